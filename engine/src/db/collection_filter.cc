// Filtered reads of a collection (issue "filtered search"): which points pass a filter (the
// payload indexes, then the stored payloads where they cannot answer), Count, the filtered
// search and its plans.
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
// Passing sets kept per collection for filters used again before the next write.
constexpr size_t kFilterCacheEntries = 8;
// A partitioned filtered scan probes nprobe / share^kNprobeExponent lists: the filtered top-k
// are about the unfiltered top-(k / share), whose lists grow slower than their number. On all
// GloVe at 512 lists (filter_bench, re-rank from RocksDB), 0.3 kept recall@10 at 0.993-0.999
// from 50% to 1% passing (unfiltered 0.993) at 0.5-0.93x of the unfiltered QPS; 0.5 gained
// 0.001-0.003 of recall for 0.39-0.50x.
constexpr double kNprobeExponent = 0.3;
// From this share passing, a scan without the per-slot check, then the check on the candidates.
constexpr double kPostFilterShare = 0.8;

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
    (candidates - with_payload).ForEach([&](uint64_t id) {
      if (filter::Matches(filter, id, none)) passing.add(id);
    });
    return passing;
  }
  const std::vector<uint64_t> ids = candidates.ToVector();
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

absl::StatusOr<std::shared_ptr<const FilterMatch>> CollectionImpl::MatchFilter(
    const Filter& filter) const {
  if (!filter.text.empty()) {
    MutexLock lock(filter_cache_mu_);
    for (const CachedMatch& cached : filter_cache_) {
      if (cached.state_version == state_version_ && cached.filter_text == filter.text) {
        return cached.match;
      }
    }
  }
  TQDB_ASSIGN_OR_RETURN(IdSet passing, PassingIds(filter));
  auto match = std::make_shared<const FilterMatch>(std::move(passing));
  if (!filter.text.empty()) {
    const uint64_t version = state_version_;
    MutexLock lock(filter_cache_mu_);
    // Entries of older states can never be used again.
    filter_cache_.erase(
        std::remove_if(filter_cache_.begin(), filter_cache_.end(),
                       [&](const CachedMatch& cached) { return cached.state_version != version; }),
        filter_cache_.end());
    if (filter_cache_.size() >= kFilterCacheEntries) filter_cache_.erase(filter_cache_.begin());
    filter_cache_.push_back({filter.text, version, match});
  }
  return match;
}

absl::StatusOr<size_t> CollectionImpl::Count(const Filter& filter) const {
  TQDB_RETURN_IF_ERROR(CheckLive());
  ReaderLock lock(index_mu_);
  TQDB_ASSIGN_OR_RETURN(const std::shared_ptr<const FilterMatch> match, MatchFilter(filter));
  return match->passing().cardinality();
}

absl::Status CollectionImpl::ScoreEachPassing(absl::Span<const float> queries, const IdSet& passing,
                                              int k, const storage::ReadView& view,
                                              std::vector<std::vector<SearchHit>>* hits) const {
  const int d = dim();
  const std::vector<uint64_t> ids = passing.ToVector();
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
  const size_t count = queries.size() / d;
#pragma omp parallel for schedule(dynamic, 1) if (count > 1)
  for (size_t q = 0; q < count; ++q) {
    const float* query = queries.data() + q * d;
    const float norm_sq = static_cast<float>(Dot(query, query, d));
    for (const auto& [score, i] : RerankExact(config_.metric, query, norm_sq, d, ids.size(), k,
                                              [&](size_t i) { return row_of[i]; })) {
      (*hits)[q].push_back({ids[i], score});
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::vector<SearchHit>>> CollectionImpl::ScanFiltered(
    absl::Span<const float> queries, const SearchOptions& options, const FilterMatch& match,
    SearchPlan* plan) const {
  const size_t n = index_->size();
  const double share = static_cast<double>(plan->passing) / static_cast<double>(n);
  const PassingIdSelector& selector = match.Selector(payload_index_.ids());
  IvfSearchParameters scan = IndexParametersOf(options);
  if (const auto* ivf = dynamic_cast<const IvfIndex*>(index_.get()); ivf != nullptr) {
    // Probe more lists as fewer points pass, so recall does not collapse at 1%.
    const auto base = static_cast<double>(ivf->ProbedLists(options.nprobe, options.parts));
    const double wanted = std::ceil(base / std::pow(std::max(share, 1e-9), kNprobeExponent));
    scan.nprobe = static_cast<int>(std::min<double>(static_cast<double>(ivf->lists()), wanted));
    plan->nprobe = scan.nprobe;
  }
  const size_t kept = static_cast<size_t>(scan.k);
  const size_t count = queries.size() / dim();
  if (share >= kPostFilterShare) {
    // Nearly everything passes: scan without the per-slot check, keeping enough more candidates
    // that the kept ones are among those that pass (checked: a query short of them is scanned
    // again with the check).
    plan->name = "scan-then-filter";
    IvfSearchParameters wide = scan;
    wide.k = static_cast<int>(std::min<double>(kMaxSearchK, std::ceil(kept / share * 1.1) + 8));
    TQDB_ASSIGN_OR_RETURN(std::vector<std::vector<SearchHit>> hits,
                          index_->SearchBatch(queries, wide));
    const size_t reachable = std::min<size_t>(kept, plan->passing);
    std::vector<size_t> short_queries;
    for (size_t q = 0; q < count; ++q) {
      std::vector<SearchHit>& found = hits[q];
      found.erase(std::remove_if(found.begin(), found.end(),
                                 [&](const SearchHit& h) { return !selector.Contains(h.id); }),
                  found.end());
      if (found.size() > kept) found.resize(kept);
      if (found.size() < reachable) short_queries.push_back(q);
    }
    if (short_queries.empty()) return hits;
    std::vector<float> again;
    for (size_t q : short_queries) {
      again.insert(again.end(), queries.begin() + q * dim(), queries.begin() + (q + 1) * dim());
    }
    scan.selector = &selector;
    TQDB_ASSIGN_OR_RETURN(std::vector<std::vector<SearchHit>> rescanned,
                          index_->SearchBatch(again, scan));
    for (size_t i = 0; i < short_queries.size(); ++i) {
      hits[short_queries[i]] = std::move(rescanned[i]);
    }
    return hits;
  }
  plan->name = "filtered-scan";
  scan.selector = &selector;
  return index_->SearchBatch(queries, scan);
}

absl::StatusOr<std::vector<std::vector<Record>>> CollectionImpl::SearchFiltered(
    absl::Span<const float> queries, const SearchOptions& options) const {
  TQDB_ASSIGN_OR_RETURN(const size_t count, CountQueries(queries, dim()));
  std::vector<std::vector<SearchHit>> hits(count);
  storage::ReadView view;
  bool rerank_from_disk = true;
  SearchPlan plan;
  {
    // One index state for the filter, the scan and the snapshot the records come from.
    ReaderLock lock(index_mu_);
    view = snapshot_;
    TQDB_ASSIGN_OR_RETURN(const std::shared_ptr<const FilterMatch> match,
                          MatchFilter(*options.filter));
    plan.passing = match->passing().cardinality();
    if (plan.passing == 0) {
      plan.name = "none-pass";
      rerank_from_disk = false;
    } else if (config_.store_vectors &&
               ExactIsCheaper(plan.passing, index_->size(), rerank_vectors_ != nullptr)) {
      plan.name = "exact";  // few pass: each scored exactly, from memory or RocksDB
      TQDB_RETURN_IF_ERROR(ScoreEachPassing(queries, match->passing(), options.k, view, &hits));
      rerank_from_disk = false;
    } else {
      TQDB_ASSIGN_OR_RETURN(hits, ScanFiltered(queries, options, *match, &plan));
      if (options.rerank && rerank_vectors_ != nullptr) {
        TQDB_RETURN_IF_ERROR(RerankFromMemory(queries, options, &hits));
        rerank_from_disk = false;
      }
    }
  }
  if (options.plan != nullptr) *options.plan = plan;
  std::vector<std::vector<Record>> results(count);
  for (size_t q = 0; q < count; ++q) {
    TQDB_ASSIGN_OR_RETURN(results[q], FinishQuery(queries.data() + q * dim(), hits[q], options,
                                                  view, rerank_from_disk));
  }
  return results;
}

}  // namespace tqdb
