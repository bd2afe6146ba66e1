// The read side of Collection: Get, Search and SearchBatch. Ids and scores come from the index
// under the read lock; vectors and payloads come from the RocksDB snapshot installed with that
// index state, so a read never mixes two versions of a record.
#include <algorithm>
#include <cstring>
#include <optional>

#include "absl/strings/str_cat.h"
#include "db/batch_size.h"
#include "db/storage/keys.h"
#include "db/storage/store.h"
#include "index/rerank.h"
#include "index/vector_checks.h"
#include "rocksdb/db.h"
#include "tqdb/collection.h"
#include "tqdb/status_macros.h"

namespace tqdb {

using storage::Cf;

namespace {

// One MultiGet of `cf` for `ids`; NotFound entries come back as nullopt.
absl::StatusOr<std::vector<std::optional<std::string>>> MultiGet(
    const storage::Store& store, Cf cf, uint32_t cid, absl::Span<const uint64_t> ids,
    const rocksdb::Snapshot* snapshot) {
  std::vector<std::string> keys;
  std::vector<rocksdb::Slice> slices;
  keys.reserve(ids.size());
  for (uint64_t id : ids) keys.push_back(storage::RecordKey(cid, id));
  for (const std::string& key : keys) slices.emplace_back(key);
  std::vector<rocksdb::ColumnFamilyHandle*> cfs(ids.size(), store.cf(cf));
  std::vector<std::string> values;
  rocksdb::ReadOptions read;
  read.snapshot = snapshot;
  std::vector<rocksdb::Status> statuses = store.db()->MultiGet(read, cfs, slices, &values);
  std::vector<std::optional<std::string>> out(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    if (statuses[i].IsNotFound()) continue;
    TQDB_RETURN_IF_ERROR(storage::FromRocks(statuses[i], "reading records"));
    out[i] = std::move(values[i]);
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<std::vector<float>>> Collection::ReadVectors(
    absl::Span<const uint64_t> ids, const rocksdb::Snapshot* snapshot) const {
  TQDB_ASSIGN_OR_RETURN(auto values, MultiGet(*store_, Cf::kVectors, cid_, ids, snapshot));
  std::vector<std::vector<float>> vectors(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!values[i].has_value() || values[i]->size() != dim() * sizeof(float)) {
      return absl::DataLossError(
          absl::StrCat("collection '", config_.name, "': the stored vector of id ", ids[i],
                       values[i].has_value() ? " has the wrong size" : " is missing"));
    }
    vectors[i].resize(dim());
    std::memcpy(vectors[i].data(), values[i]->data(), values[i]->size());
  }
  return vectors;
}

absl::Status Collection::FillRecords(std::vector<Record>* records, bool with_vectors,
                                     bool with_payloads, const rocksdb::Snapshot* snapshot) const {
  std::vector<uint64_t> ids;
  std::vector<Record*> targets;
  for (Record& record : *records) {
    if (!record.found) continue;
    ids.push_back(record.id);
    targets.push_back(&record);
  }
  if (ids.empty()) return absl::OkStatus();
  if (with_vectors) {
    TQDB_ASSIGN_OR_RETURN(std::vector<std::vector<float>> vectors, ReadVectors(ids, snapshot));
    for (size_t i = 0; i < ids.size(); ++i) targets[i]->vector = std::move(vectors[i]);
  }
  if (with_payloads) {
    TQDB_ASSIGN_OR_RETURN(auto payloads, MultiGet(*store_, Cf::kPayloads, cid_, ids, snapshot));
    for (size_t i = 0; i < ids.size(); ++i) {
      if (payloads[i].has_value()) targets[i]->payload = std::move(*payloads[i]);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Record>> Collection::Get(absl::Span<const uint64_t> ids,
                                                    bool with_vectors, bool with_payloads) const {
  TQDB_RETURN_IF_ERROR(CheckLive());
  TQDB_RETURN_IF_ERROR(CheckBatchSize(ids.size(), "get"));
  if (with_vectors && !config_.store_vectors) {
    return absl::FailedPreconditionError(absl::StrCat(
        "collection '", config_.name, "' does not store float vectors (store_vectors is off)"));
  }
  std::vector<Record> records(ids.size());
  std::shared_ptr<const rocksdb::Snapshot> snapshot;
  {
    ReaderLock lock(index_mu_);
    for (size_t i = 0; i < ids.size(); ++i) {
      records[i].id = ids[i];
      records[i].found = index_->Contains(ids[i]);
    }
    snapshot = snapshot_;
  }
  TQDB_RETURN_IF_ERROR(FillRecords(&records, with_vectors, with_payloads, snapshot.get()));
  return records;
}

absl::Status Collection::ValidateSearch(const SearchOptions& options) const {
  TQDB_RETURN_IF_ERROR(CheckLive());
  if ((options.rerank || options.with_vectors) && !config_.store_vectors) {
    return absl::FailedPreconditionError(
        absl::StrCat("collection '", config_.name, "' does not store float vectors, so ",
                     options.rerank ? "re-rank" : "returning vectors", " is not possible"));
  }
  // The index checks the queries (count, dimension, finiteness, zero cosine queries).
  return ValidateSearchOptions(options);
}

absl::StatusOr<std::vector<std::vector<Record>>> Collection::SearchBatch(
    absl::Span<const float> queries, const SearchOptions& options) const {
  TQDB_RETURN_IF_ERROR(ValidateSearch(options));
  // The index returns estimates only: re-rank reads the floats from the snapshot below.
  SearchOptions scan;
  scan.k = options.rerank ? std::max(options.k, options.rerank_candidates) : options.k;
  std::vector<std::vector<SearchHit>> hits;
  std::shared_ptr<const rocksdb::Snapshot> snapshot;
  {
    ReaderLock lock(index_mu_);
    TQDB_ASSIGN_OR_RETURN(hits, index_->SearchBatch(queries, scan));
    snapshot = snapshot_;
  }

  std::vector<std::vector<Record>> results(hits.size());
  std::vector<absl::Status> errors(hits.size());
#pragma omp parallel for schedule(dynamic, 1)
  for (size_t q = 0; q < hits.size(); ++q) {
    std::vector<Record>& records = results[q];
    for (const SearchHit& hit : hits[q]) records.push_back({hit.id, true, hit.score, {}, {}});
    if (options.rerank && !records.empty()) {
      std::vector<uint64_t> ids;
      for (const Record& r : records) ids.push_back(r.id);
      absl::StatusOr<std::vector<std::vector<float>>> vectors = ReadVectors(ids, snapshot.get());
      if (!vectors.ok()) {
        errors[q] = vectors.status();
        continue;
      }
      const float* query = queries.data() + q * dim();
      const float norm_sq = static_cast<float>(Dot(query, query, dim()));
      std::vector<Record> reranked;
      for (const auto& [score, i] :
           RerankExact(config_.metric, query, norm_sq, dim(), records.size(), options.k,
                       [&](size_t c) { return (*vectors)[c].data(); })) {
        reranked.push_back({records[i].id, true, score, {}, {}});
        if (options.with_vectors) reranked.back().vector = std::move((*vectors)[i]);
      }
      records = std::move(reranked);
    }
    const bool vectors_pending = options.with_vectors && !options.rerank;
    if (vectors_pending || options.with_payloads) {
      errors[q] = FillRecords(&records, vectors_pending, options.with_payloads, snapshot.get());
    }
  }
  for (const absl::Status& error : errors) TQDB_RETURN_IF_ERROR(error);
  return results;
}

absl::StatusOr<std::vector<Record>> Collection::Search(absl::Span<const float> query,
                                                       const SearchOptions& options) const {
  if (query.size() != static_cast<size_t>(dim())) {
    return absl::InvalidArgumentError(
        absl::StrCat("query has ", query.size(), " values; the collection's dimension is ", dim()));
  }
  TQDB_ASSIGN_OR_RETURN(std::vector<std::vector<Record>> results, SearchBatch(query, options));
  return std::move(results[0]);
}

}  // namespace tqdb
