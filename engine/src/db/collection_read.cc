// The read side of a collection: Get, Search and SearchBatch. Ids and scores come from the index
// under the read lock; vectors and payloads come from the store's snapshot installed with that
// index state, so a read never mixes two versions of a record.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "db/batch_size.h"
#include "db/collection_impl.h"
#include "index/rerank.h"
#include "index/vector_checks.h"
#include "tqdb/status_macros.h"

namespace tqdb {

absl::Status CollectionImpl::FillRecords(std::vector<Record>* records, bool with_vectors,
                                         bool with_payloads, const storage::ReadView& view) const {
  std::vector<uint64_t> ids;
  std::vector<Record*> targets;
  for (Record& record : *records) {
    if (!record.found) continue;
    ids.push_back(record.id);
    targets.push_back(&record);
  }
  if (ids.empty()) return absl::OkStatus();
  if (with_vectors) {
    TQDB_ASSIGN_OR_RETURN(std::vector<std::vector<float>> vectors,
                          store_.ReadVectors(ids, dim(), view));
    for (size_t i = 0; i < ids.size(); ++i) targets[i]->vector = std::move(vectors[i]);
  }
  if (with_payloads) {
    TQDB_ASSIGN_OR_RETURN(std::vector<std::string> payloads, store_.ReadPayloads(ids, view));
    for (size_t i = 0; i < ids.size(); ++i) targets[i]->payload = std::move(payloads[i]);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Record>> CollectionImpl::Get(absl::Span<const uint64_t> ids,
                                                        bool with_vectors,
                                                        bool with_payloads) const {
  TQDB_RETURN_IF_ERROR(CheckLive());
  TQDB_RETURN_IF_ERROR(CheckBatchSize(ids.size(), "get"));
  if (with_vectors && !config_.store_vectors) {
    return absl::FailedPreconditionError(absl::StrCat(
        "collection '", config_.name, "' does not store float vectors (store_vectors is off)"));
  }
  std::vector<Record> records(ids.size());
  storage::ReadView view;
  {
    ReaderLock lock(index_mu_);
    for (size_t i = 0; i < ids.size(); ++i) {
      records[i].id = ids[i];
      records[i].found = index_->Contains(ids[i]);
    }
    view = snapshot_;
  }
  TQDB_RETURN_IF_ERROR(FillRecords(&records, with_vectors, with_payloads, view));
  return records;
}

absl::Status CollectionImpl::ValidateSearch(const SearchOptions& options) const {
  TQDB_RETURN_IF_ERROR(CheckLive());
  if ((options.rerank || options.with_vectors) && !config_.store_vectors) {
    return absl::FailedPreconditionError(
        absl::StrCat("collection '", config_.name, "' does not store float vectors, so ",
                     options.rerank ? "re-rank" : "returning vectors", " is not possible"));
  }
  // The index checks the queries (count, dimension, finiteness, zero cosine queries).
  return ValidateSearchOptions(options);
}

absl::StatusOr<std::vector<Record>> CollectionImpl::FinishQuery(const float* query,
                                                                const std::vector<SearchHit>& hits,
                                                                const SearchOptions& options,
                                                                const storage::ReadView& view,
                                                                bool rerank_from_disk) const {
  std::vector<Record> records;
  for (const SearchHit& hit : hits) records.push_back({hit.id, true, hit.score, {}, {}});
  const bool reranked_here = options.rerank && rerank_from_disk;
  if (reranked_here && !records.empty()) {
    std::vector<uint64_t> ids;
    for (const Record& r : records) ids.push_back(r.id);
    TQDB_ASSIGN_OR_RETURN(std::vector<std::vector<float>> vectors,
                          store_.ReadVectors(ids, dim(), view));
    const float norm_sq = static_cast<float>(Dot(query, query, dim()));
    std::vector<Record> reranked;
    for (const auto& [score, i] :
         RerankExact(config_.metric, query, norm_sq, dim(), records.size(), options.k,
                     [&](size_t c) { return vectors[c].data(); })) {
      reranked.push_back({records[i].id, true, score, {}, {}});
      if (options.with_vectors) reranked.back().vector = std::move(vectors[i]);
    }
    records = std::move(reranked);
  }
  const bool vectors_pending = options.with_vectors && !reranked_here;
  if (vectors_pending || options.with_payloads) {
    TQDB_RETURN_IF_ERROR(FillRecords(&records, vectors_pending, options.with_payloads, view));
  }
  return records;
}

absl::Status CollectionImpl::RerankFromMemory(absl::Span<const float> queries,
                                              const SearchOptions& options,
                                              std::vector<std::vector<SearchHit>>* hits) const {
  const int d = dim();
  std::vector<absl::Status> errors(hits->size());
  // One query stays on its thread: a team would wake (and spin) the others for nothing.
#pragma omp parallel for schedule(dynamic, 1) if (hits->size() > 1)
  for (size_t q = 0; q < hits->size(); ++q) {
    std::vector<SearchHit>& candidates = (*hits)[q];
    // Rows read in place need no buffer (zeroing one was 600 KB a query at d = 1536).
    const bool decodes = rerank_vectors_->decodes();
    std::vector<float> buffer(decodes ? candidates.size() * d : 0);
    std::vector<const float*> rows(candidates.size());
    for (size_t c = 0; c < candidates.size(); ++c) {
      rows[c] = rerank_vectors_->Find(candidates[c].id, decodes ? &buffer[c * d] : nullptr);
      if (rows[c] == nullptr) {
        errors[q] = absl::DataLossError(absl::StrCat("collection '", config_.name, "': id ",
                                                     candidates[c].id,
                                                     " is missing from the re-rank store"));
        break;
      }
    }
    if (!errors[q].ok()) continue;
    const float* query = queries.data() + q * d;
    const float norm_sq = static_cast<float>(Dot(query, query, d));
    std::vector<SearchHit> reranked;
    for (const auto& [score, c] : RerankExact(config_.metric, query, norm_sq, d, candidates.size(),
                                              options.k, [&](size_t i) { return rows[i]; })) {
      reranked.push_back({candidates[c].id, score});
    }
    candidates = std::move(reranked);
  }
  for (const absl::Status& error : errors) TQDB_RETURN_IF_ERROR(error);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::vector<Record>>> CollectionImpl::SearchBatch(
    absl::Span<const float> queries, const SearchOptions& options) const {
  TQDB_RETURN_IF_ERROR(ValidateSearch(options));
  if (options.filter != nullptr && !options.filter->empty()) {
    return SearchFiltered(queries, options);
  }
  const IvfSearchParameters scan = IndexParametersOf(options);
  std::vector<std::vector<SearchHit>> hits;
  storage::ReadView view;
  bool rerank_from_disk = true;
  {
    ReaderLock lock(index_mu_);
    TQDB_ASSIGN_OR_RETURN(hits, index_->SearchBatch(queries, scan));
    view = snapshot_;
    if (options.rerank && rerank_vectors_ != nullptr) {
      TQDB_RETURN_IF_ERROR(RerankFromMemory(queries, options, &hits));
      rerank_from_disk = false;
    }
  }
  std::vector<std::vector<Record>> results(hits.size());
  std::vector<absl::Status> errors(hits.size());
  // A single query's re-rank stays on its thread (as above).
#pragma omp parallel for schedule(dynamic, 1) if (hits.size() > 1)
  for (size_t q = 0; q < hits.size(); ++q) {
    absl::StatusOr<std::vector<Record>> records =
        FinishQuery(queries.data() + q * dim(), hits[q], options, view, rerank_from_disk);
    if (records.ok()) {
      results[q] = *std::move(records);
    } else {
      errors[q] = records.status();
    }
  }
  for (const absl::Status& error : errors) TQDB_RETURN_IF_ERROR(error);
  return results;
}

absl::StatusOr<std::vector<Record>> CollectionImpl::Search(absl::Span<const float> query,
                                                           const SearchOptions& options) const {
  if (query.size() != static_cast<size_t>(dim())) {
    return absl::InvalidArgumentError(
        absl::StrCat("query has ", query.size(), " values; the collection's dimension is ", dim()));
  }
  TQDB_ASSIGN_OR_RETURN(std::vector<std::vector<Record>> results, SearchBatch(query, options));
  return std::move(results[0]);
}

}  // namespace tqdb
