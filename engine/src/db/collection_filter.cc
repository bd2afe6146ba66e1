// Filtered reads of a collection (issue "filtered search"): which points pass a filter (the
// payload indexes, then the stored payloads where they cannot answer), Count, the filtered
// search and its plan, and CreatePayloadIndex.
#include <omp.h>

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "db/collection_impl.h"
#include "db/filter_selector.h"
#include "index/rerank.h"
#include "index/vector_checks.h"
#include "tqdb/status_macros.h"

namespace tqdb {
namespace {

constexpr size_t kPayloadReadChunk = 4096;
constexpr size_t kMaxPayloadIndexes = 64;

// Whether scoring every passing point from its floats beats a filtered scan: the scan reads
// every code of the lists it probes (about n/16 floats' worth of work for a flat index), and
// floats read from RocksDB cost far more than floats in memory.
bool ExactIsCheaper(size_t passing, size_t n, bool floats_in_memory) {
  return floats_in_memory ? passing <= std::max<size_t>(n / 16, 256)
                          : passing <= std::clamp<size_t>(n / 256, 64, 2048);
}

}  // namespace

absl::StatusOr<IdSet> CollectionImpl::PassingIds(const Filter& filter) const {
  TQDB_RETURN_IF_ERROR(payload_index_.Check(filter));
  bool exact = false;
  IdSet candidates = payload_index_.Candidates(filter, &exact);
  if (exact) return candidates;
  // Check the candidates against their stored payloads (as of the snapshot of this index state).
  IdSet passing;
  const uint64_t count = candidates.cardinality();
  if (count * 8 >= payload_index_.ids().cardinality()) {
    IdSet with_payload;
    TQDB_RETURN_IF_ERROR(store_.ForEachPayload(snapshot_, [&](uint64_t id, std::string_view bytes) {
      with_payload.add(id);
      if (candidates.contains(id) && filter::Matches(filter, id, filter::ParsePayload(bytes))) {
        passing.add(id);
      }
    }));
    const filter::Json none;
    const IdSet without = candidates - with_payload;
    std::vector<uint64_t> ids(without.cardinality());
    if (!ids.empty()) without.toUint64Array(ids.data());
    for (uint64_t id : ids) {
      if (filter::Matches(filter, id, none)) passing.add(id);
    }
    return passing;
  }
  std::vector<uint64_t> ids(count);
  if (count > 0) candidates.toUint64Array(ids.data());
  for (size_t first = 0; first < ids.size(); first += kPayloadReadChunk) {
    const absl::Span<const uint64_t> chunk =
        absl::MakeConstSpan(ids).subspan(first, kPayloadReadChunk);
    TQDB_ASSIGN_OR_RETURN(std::vector<std::string> payloads, store_.ReadPayloads(chunk, snapshot_));
    for (size_t i = 0; i < chunk.size(); ++i) {
      if (filter::Matches(filter, chunk[i], filter::ParsePayload(payloads[i]))) {
        passing.add(chunk[i]);
      }
    }
  }
  return passing;
}

absl::StatusOr<size_t> CollectionImpl::Count(const Filter& filter) const {
  TQDB_RETURN_IF_ERROR(CheckLive());
  ReaderLock lock(index_mu_);
  TQDB_ASSIGN_OR_RETURN(const IdSet passing, PassingIds(filter));
  return passing.cardinality();
}

absl::StatusOr<std::vector<std::vector<Record>>> CollectionImpl::SearchFiltered(
    absl::Span<const float> queries, const SearchOptions& options) const {
  TQDB_ASSIGN_OR_RETURN(const size_t count, CountQueries(queries, dim()));
  const int d = dim();
  std::vector<std::vector<SearchHit>> hits(count);
  storage::ReadView view;
  bool rerank_from_disk = true;
  SearchPlan plan;
  {
    // One index state for the filter, the scan and the snapshot the records come from.
    ReaderLock lock(index_mu_);
    view = snapshot_;
    TQDB_ASSIGN_OR_RETURN(const IdSet passing, PassingIds(*options.filter));
    plan.passing = passing.cardinality();
    const size_t n = index_->size();
    if (plan.passing == 0) {
      plan.name = "none-pass";
      rerank_from_disk = false;
    } else if (config_.store_vectors &&
               ExactIsCheaper(plan.passing, n, rerank_vectors_ != nullptr)) {
      // Few pass: score each exactly, from the memory store or RocksDB.
      plan.name = "exact";
      std::vector<uint64_t> ids(plan.passing);
      passing.toUint64Array(ids.data());
      std::vector<float> rows(ids.size() * d);
      std::vector<const float*> row_of(ids.size());
      if (rerank_vectors_ != nullptr) {
        for (size_t i = 0; i < ids.size(); ++i) {
          row_of[i] = rerank_vectors_->Find(ids[i], &rows[i * d]);
          if (row_of[i] == nullptr) {
            return absl::DataLossError(absl::StrCat("collection '", config_.name, "': id ", ids[i],
                                                    " is missing from the re-rank store"));
          }
        }
      } else {
        TQDB_ASSIGN_OR_RETURN(std::vector<std::vector<float>> vectors,
                              store_.ReadVectors(ids, d, view));
        for (size_t i = 0; i < ids.size(); ++i) {
          std::copy(vectors[i].begin(), vectors[i].end(), rows.begin() + i * d);
          row_of[i] = &rows[i * d];
        }
      }
#pragma omp parallel for schedule(dynamic, 1) if (count > 1)
      for (size_t q = 0; q < count; ++q) {
        const float* query = queries.data() + q * d;
        const float norm_sq = static_cast<float>(Dot(query, query, d));
        for (const auto& [score, i] : RerankExact(config_.metric, query, norm_sq, d, ids.size(),
                                                  options.k, [&](size_t i) { return row_of[i]; })) {
          hits[q].push_back({ids[i], score});
        }
      }
      rerank_from_disk = false;
    } else {
      plan.name = "filtered-scan";
      const PassingIdSelector selector(passing, payload_index_.ids());
      IvfSearchParameters scan = IndexParametersOf(options);
      scan.selector = &selector;
      if (const auto* ivf = dynamic_cast<const IvfIndex*>(index_.get()); ivf != nullptr) {
        // Probe more lists as fewer points pass, so the scan meets about as many passing
        // vectors as an unfiltered probe meets vectors (recall does not collapse at 1%).
        const int base = options.nprobe > 0 ? options.nprobe : ivf->default_nprobe();
        const double share = static_cast<double>(plan.passing) / static_cast<double>(n);
        scan.nprobe = static_cast<int>(std::min<double>(static_cast<double>(ivf->lists()),
                                                        std::ceil(base / std::max(share, 1e-9))));
        plan.nprobe = scan.nprobe;
      }
      TQDB_ASSIGN_OR_RETURN(hits, index_->SearchBatch(queries, scan));
      if (options.rerank && rerank_vectors_ != nullptr) {
        TQDB_RETURN_IF_ERROR(RerankFromMemory(queries, options, &hits));
        rerank_from_disk = false;
      }
    }
  }
  if (options.plan != nullptr) *options.plan = plan;
  std::vector<std::vector<Record>> results(count);
  for (size_t q = 0; q < count; ++q) {
    TQDB_ASSIGN_OR_RETURN(
        results[q], FinishQuery(queries.data() + q * d, hits[q], options, view, rerank_from_disk));
  }
  return results;
}

absl::Status CollectionImpl::CreatePayloadIndex(const PayloadFieldIndex& field) {
  TQDB_RETURN_IF_ERROR(CheckLive());
  if (field.key.empty() || field.key.size() > 256 || field.key.front() == '.' ||
      field.key.back() == '.') {
    return absl::InvalidArgumentError(absl::StrCat(
        "a payload index key is a dotted path of 1 to 256 characters, got '", field.key, "'"));
  }
  // Writes wait while the field is indexed, so the payloads read are those of the commit.
  MutexLock write_lock(write_mu_);
  TQDB_RETURN_IF_ERROR(CheckLive());
  std::vector<PayloadFieldIndex> fields;
  {
    ReaderLock lock(index_mu_);
    fields = payload_index_.fields();
  }
  for (const PayloadFieldIndex& existing : fields) {
    if (existing.key == field.key) {
      return absl::AlreadyExistsError(
          absl::StrCat("collection '", config_.name, "' indexes '", field.key, "' already (as ",
                       std::string(PayloadIndexTypeName(existing.type)), ")"));
    }
  }
  if (fields.size() >= kMaxPayloadIndexes) {
    return absl::FailedPreconditionError(absl::StrCat("collection '", config_.name, "' has ",
                                                      fields.size(), " payload indexes, the most"));
  }
  PayloadIndex built({field});
  TQDB_RETURN_IF_ERROR(store_.ForEachPayload(nullptr, [&](uint64_t id, std::string_view bytes) {
    built.Put(id, filter::ParsePayload(bytes));
  }));
  fields.push_back(field);
  storage::CollectionStore::Batch batch = store_.NewBatch();
  batch.PutPayloadIndexes(fields);
  return Commit(&batch, Durability::kSync, [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(index_mu_) {
    payload_index_.AdoptFields(std::move(built));
  });
}

}  // namespace tqdb
