// ClusterApi's reads: gets go to the ids' shards; searches, counts and scrolls to every shard,
// their answers merged (the k best of the shards' k best, ids in order for a scroll).
#include <algorithm>
#include <cmath>

#include "absl/container/flat_hash_map.h"
#include "cluster_api.h"
#include "cluster_api_fanout.h"
#include "search_merge.h"
#include "tqdb/search_options.h"

namespace tqdb::cluster {
namespace {

using server::CallContext;
using Records = google::protobuf::RepeatedPtrField<v1::Record>;

// A shard that could not answer (down, cut off, too slow), as opposed to a request it refused.
bool Unreachable(const absl::Status& status) {
  return absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status);
}

// The failure that fails the search: any refusal, or an unreachable shard unless partial
// results are allowed (and some shard answered). Fills `coverage`.
template <typename Request, typename Response>
absl::Status SearchOutcome(const std::vector<ShardRequest<Request, Response>>& parts, size_t shards,
                           bool allow_partial, v1::Coverage* coverage) {
  uint32_t answered = 0;
  for (const auto& part : parts) {
    if (part.status.ok()) answered += static_cast<uint32_t>(part.shard_count());
    if (!part.status.ok() && !(allow_partial && Unreachable(part.status))) return part.status;
  }
  if (answered == 0) return FirstFailure(parts);
  coverage->set_shards(static_cast<uint32_t>(shards));
  coverage->set_answered(answered);
  return absl::OkStatus();
}

// The k best of the shards' hits, best first, moved into `out`. Ids are unique across shards.
void MergeHits(const std::vector<Records*>& per_shard, size_t k, bool lower_is_better,
               Records* out) {
  std::vector<std::vector<ShardHit>> lists;
  absl::flat_hash_map<uint64_t, v1::Record*> by_id;
  for (Records* hits : per_shard) {
    std::vector<ShardHit>& list = lists.emplace_back();
    for (v1::Record& hit : *hits) {
      list.push_back({hit.id(), lower_is_better ? -hit.score() : hit.score()});
      by_id[hit.id()] = &hit;
    }
  }
  for (const ShardHit& best : MergeTopK(lists, k)) *out->Add() = std::move(*by_id[best.id]);
}

size_t ResultsPerQuery(const v1::SearchOptions& options) {
  return options.k() == 0 ? 10 : options.k();
}

// What each of `shards` shards is asked for. With a re-rank of R candidates (the R best
// estimates, re-scored exactly), a shard holds R / S of the R best of all on average (ids are
// spread by a hash), and more than R/S + 3 sqrt(R/S) about once in a thousand searches: that is
// what each shard re-ranks, at least k. Re-ranking R on every shard made S times the exact
// reads of a server alone (the re-rank is most of a search's time).
v1::SearchOptions PerShardOptions(const v1::SearchOptions& options, size_t shards) {
  if (!options.rerank() || shards <= 1 || options.rerank_candidates() > kMaxSearchK) {
    return options;  // a shard refuses what a server alone would
  }
  const double k = static_cast<double>(ResultsPerQuery(options));
  const double total = options.rerank_candidates() == 0
                           ? std::max<double>(kDefaultRerankCandidates, k)
                           : options.rerank_candidates();
  const double share = total / static_cast<double>(shards);
  v1::SearchOptions per_shard = options;
  per_shard.set_rerank_candidates(
      static_cast<uint32_t>(std::max(k, std::min(total, std::ceil(share + 3 * std::sqrt(share))))));
  return per_shard;
}

}  // namespace

absl::Status ClusterApi::Get(const CallContext& call, const v1::GetRequest& request,
                             v1::GetResponse* response) {
  if (!call.shard_header.empty()) {
    return ServeShard(call, request.collection(), Access::kRead, request, response,
                      &server::Api::Get);
  }
  return RouteGet(call, request, response);
}

absl::Status ClusterApi::RouteGet(const CallContext& call, const v1::GetRequest& request,
                                  v1::GetResponse* response) {
  TQDB_ASSIGN_OR_RETURN(std::shared_ptr<const Placement> placement,
                        view_->Find(request.collection()));
  std::vector<std::vector<size_t>> positions;
  auto parts = PartsByShard<v1::GetRequest, v1::GetResponse>(
      request.ids(), static_cast<uint32_t>(placement->map.shards.size()), &positions);
  for (auto& part : parts) part.request = WithIdsAt(request, positions[part.shard]);
  SendToOwners(call, request.collection(), placement, &parts, &server::Api::Get,
               &v1::Tqdb::Stub::PrepareAsyncGet);
  TQDB_RETURN_IF_ERROR(FirstFailure(parts));
  // Back in the request's order: each shard answered its ids in theirs.
  response->mutable_records()->Reserve(request.ids_size());
  for (int i = 0; i < request.ids_size(); ++i) response->add_records();
  for (auto& part : parts) {
    const std::vector<size_t>& rows = positions[part.shard];
    for (size_t r = 0; r < rows.size() && r < static_cast<size_t>(part.response.records_size());
         ++r) {
      *response->mutable_records(static_cast<int>(rows[r])) =
          std::move(*part.response.mutable_records(static_cast<int>(r)));
    }
  }
  return absl::OkStatus();
}

void MergeSearchAnswers(std::vector<v1::SearchResponse>* answers, size_t k, bool lower_is_better,
                        v1::SearchResponse* response) {
  std::vector<Records*> hits;
  for (v1::SearchResponse& answer : *answers) {
    hits.push_back(answer.mutable_hits());
    if (answer.has_plan() && !response->has_plan()) *response->mutable_plan() = answer.plan();
  }
  MergeHits(hits, k, lower_is_better, response->mutable_hits());
}

void MergeSearchAnswers(std::vector<v1::SearchBatchResponse>* answers, size_t k,
                        bool lower_is_better, v1::SearchBatchResponse* response) {
  int queries = answers->empty() ? 0 : answers->front().results_size();
  for (v1::SearchBatchResponse& answer : *answers) {
    queries = std::min(queries, answer.results_size());  // the same everywhere
    if (answer.has_plan() && !response->has_plan()) *response->mutable_plan() = answer.plan();
  }
  for (int q = 0; q < queries; ++q) {
    std::vector<Records*> hits;
    for (v1::SearchBatchResponse& answer : *answers) {
      hits.push_back(answer.mutable_results(q)->mutable_hits());
    }
    MergeHits(hits, k, lower_is_better, response->add_results()->mutable_hits());
  }
}

absl::Status ClusterApi::Search(const CallContext& call, const v1::SearchRequest& request,
                                v1::SearchResponse* response) {
  if (!call.shard_header.empty()) {
    return ServeSearchShards(call, request, response, &server::Api::Search);
  }
  return RouteSearch(call, request, response);
}

absl::Status ClusterApi::SearchBatch(const CallContext& call, const v1::SearchBatchRequest& request,
                                     v1::SearchBatchResponse* response) {
  if (!call.shard_header.empty()) {
    return ServeSearchShards(call, request, response, &server::Api::SearchBatch);
  }
  return RouteSearchBatch(call, request, response);
}

template <typename Request, typename Response>
absl::Status ClusterApi::RouteSearches(const CallContext& call, const Request& request,
                                       Response* response, LocalMethod<Request, Response> local,
                                       RemoteMethod<Request, Response> remote) {
  TQDB_ASSIGN_OR_RETURN(std::shared_ptr<const Placement> placement,
                        view_->Find(request.collection()));
  Request per_shard = request;
  *per_shard.mutable_options() = PerShardOptions(request.options(), placement->map.shards.size());
  TQDB_ASSIGN_OR_RETURN(auto parts, SendToEveryShard(call, request.collection(), per_shard, local,
                                                     remote, /*by_node=*/true));
  TQDB_RETURN_IF_ERROR(SearchOutcome(parts, placement->map.shards.size(),
                                     request.options().allow_partial(),
                                     response->mutable_coverage()));
  std::vector<Response> answers;
  for (auto& part : parts) {
    if (part.status.ok()) answers.push_back(std::move(part.response));
  }
  MergeSearchAnswers(&answers, ResultsPerQuery(request.options()),
                     placement->create.config().metric() == v1::METRIC_L2, response);
  return absl::OkStatus();
}

absl::Status ClusterApi::RouteSearch(const CallContext& call, const v1::SearchRequest& request,
                                     v1::SearchResponse* response) {
  return RouteSearches(call, request, response, &server::Api::Search,
                       &v1::Tqdb::Stub::PrepareAsyncSearch);
}

absl::Status ClusterApi::RouteSearchBatch(const CallContext& call,
                                          const v1::SearchBatchRequest& request,
                                          v1::SearchBatchResponse* response) {
  return RouteSearches(call, request, response, &server::Api::SearchBatch,
                       &v1::Tqdb::Stub::PrepareAsyncSearchBatch);
}

absl::Status ClusterApi::Count(const CallContext& call, const v1::CountRequest& request,
                               v1::CountResponse* response) {
  if (!call.shard_header.empty()) {
    return ServeShard(call, request.collection(), Access::kRead, request, response,
                      &server::Api::Count);
  }
  TQDB_ASSIGN_OR_RETURN(auto parts,
                        SendToEveryShard(call, request.collection(), request, &server::Api::Count,
                                         &v1::Tqdb::Stub::PrepareAsyncCount));
  TQDB_RETURN_IF_ERROR(FirstFailure(parts));
  for (const auto& part : parts) response->set_count(response->count() + part.response.count());
  return absl::OkStatus();
}

absl::Status ClusterApi::Scroll(const CallContext& call, const v1::ScrollRequest& request,
                                v1::ScrollResponse* response) {
  if (!call.shard_header.empty()) {
    return ServeShard(call, request.collection(), Access::kRead, request, response,
                      &server::Api::Scroll);
  }
  return RouteScroll(call, request, response);
}

absl::Status ClusterApi::RouteScroll(const CallContext& call, const v1::ScrollRequest& request,
                                     v1::ScrollResponse* response) {
  // Each shard's page holds all its ids from `from` up to its next page's start. Below the
  // smallest such start (the horizon) every shard's ids are known; the page is the `limit`
  // smallest of those, and the next one starts at the first id left out, or at the horizon.
  TQDB_ASSIGN_OR_RETURN(auto parts,
                        SendToEveryShard(call, request.collection(), request, &server::Api::Scroll,
                                         &v1::Tqdb::Stub::PrepareAsyncScroll));
  TQDB_RETURN_IF_ERROR(FirstFailure(parts));
  std::optional<uint64_t> next;
  for (const auto& part : parts) {
    if (part.response.has_next()) {
      next = std::min(next.value_or(UINT64_MAX), part.response.next_from());
    }
  }
  std::vector<v1::Record*> records;
  for (auto& part : parts) {
    for (v1::Record& record : *part.response.mutable_records()) {
      if (!next.has_value() || record.id() < *next) records.push_back(&record);
    }
  }
  std::sort(records.begin(), records.end(),
            [](const v1::Record* a, const v1::Record* b) { return a->id() < b->id(); });
  const size_t limit = request.limit() == 0 ? 100 : request.limit();
  if (records.size() > limit) next = records[limit]->id();
  for (size_t i = 0; i < std::min(limit, records.size()); ++i) {
    *response->add_records() = std::move(*records[i]);
  }
  response->set_has_next(next.has_value());
  response->set_next_from(next.value_or(0));
  return absl::OkStatus();
}

}  // namespace tqdb::cluster
