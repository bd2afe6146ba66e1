#include "api_routes.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"
#include "rest_convert.h"
#include "tqdb/status_macros.h"
#include "tqdb/v1/rest.pb.h"

namespace tqdb::server {
namespace {

using v1::CountResponse;
using v1::DeleteResponse;

// A body that is a tqdb.proto request naming its collection gets the path's; a different name
// in the body is an error rather than silently one or the other.
absl::Status SameName(const std::string& path, const std::string& body) {
  if (body.empty() || body == path) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("the body names collection '", body, "' but the path '", path, "'"));
}
template <typename Request>
absl::Status TakeCollection(const std::string& name, Request* request) {
  TQDB_RETURN_IF_ERROR(SameName(name, request->collection()));
  request->set_collection(name);
  return absl::OkStatus();
}
absl::Status TakeCollection(const std::string& name, v1::CollectionConfig* config) {
  TQDB_RETURN_IF_ERROR(SameName(name, config->name()));
  config->set_name(name);
  return absl::OkStatus();
}

// The query of a search by id: the stored vector of that point.
absl::Status FillQueryById(Api* api, const HttpCall& call, v1::SearchRequest* request,
                           uint64_t id) {
  v1::GetRequest get;
  get.set_collection(request->collection());
  get.add_ids(id);
  get.set_with_vectors(true);
  v1::GetResponse got;
  TQDB_RETURN_IF_ERROR(api->Get(call.call, get, &got));
  if (got.records_size() != 1 || !got.records(0).found()) {
    return absl::NotFoundError(
        absl::StrCat("point ", id, " is not stored in collection '", request->collection(), "'"));
  }
  *request->mutable_query() = got.records(0).vector();
  return absl::OkStatus();
}

absl::Status SearchOne(Api* api, const HttpCall& call, const v1::SearchPointsRequest& body,
                       v1::SearchPointsResponse* out) {
  v1::SearchRequest request = ToSearchRequest(call.params[0], body);
  if (body.has_id()) {
    if (body.vector_size() > 0) {
      return absl::InvalidArgumentError("give the query as a vector or as an id, not both");
    }
    TQDB_RETURN_IF_ERROR(FillQueryById(api, call, &request, body.id()));
  }
  v1::SearchResponse response;
  TQDB_RETURN_IF_ERROR(api->Search(call.call, request, &response));
  for (const v1::Record& hit : response.hits()) ToPoint(hit, true, out->add_result());
  if (response.has_plan()) *out->mutable_plan() = response.plan();
  return absl::OkStatus();
}

// A batch whose searches differ only in their vectors runs as one SearchBatch (one scan of the
// lists for all); otherwise each search runs alone.
absl::Status SearchMany(Api* api, const HttpCall& call, const v1::SearchPointsBatchRequest& body,
                        v1::SearchPointsBatchResponse* out) {
  bool shared = body.searches_size() > 0;
  google::protobuf::util::MessageDifferencer same_but_vector;
  same_but_vector.IgnoreField(v1::SearchPointsRequest::descriptor()->FindFieldByName("vector"));
  for (const v1::SearchPointsRequest& search : body.searches()) {
    shared &= !search.has_id() && same_but_vector.Compare(search, body.searches(0));
  }
  if (!shared) {
    for (const v1::SearchPointsRequest& search : body.searches()) {
      TQDB_RETURN_IF_ERROR(SearchOne(api, call, search, out->add_result()));
    }
    return absl::OkStatus();
  }
  const v1::SearchRequest one = ToSearchRequest(call.params[0], body.searches(0));
  v1::SearchBatchRequest request;
  request.set_collection(one.collection());
  *request.mutable_options() = one.options();
  for (const v1::SearchPointsRequest& search : body.searches()) {
    if (search.vector_size() != body.searches(0).vector_size()) {
      return absl::InvalidArgumentError("the searches' vectors differ in length");
    }
    request.mutable_queries()->Add(search.vector().begin(), search.vector().end());
  }
  v1::SearchBatchResponse response;
  TQDB_RETURN_IF_ERROR(api->SearchBatch(call.call, request, &response));
  for (const v1::SearchBatchResponse::Hits& hits : response.results()) {
    v1::SearchPointsResponse* result = out->add_result();
    for (const v1::Record& hit : hits.hits()) ToPoint(hit, true, result->add_result());
    if (response.has_plan()) *result->mutable_plan() = response.plan();
  }
  return absl::OkStatus();
}

// A POST whose body is the tqdb.proto request as it is, its collection taken from the path.
template <typename Request, typename Response>
Route NamedRoute(Api* api, const char* path, const char* summary,
                 absl::Status (Api::*method)(const CallContext&, const Request&, Response*)) {
  return JsonRoute<Request, Response>(
      "POST", path, summary,
      [api, method](const HttpCall& call, Request request, Response* response) -> absl::Status {
        TQDB_RETURN_IF_ERROR(TakeCollection(call.params[0], &request));
        return (api->*method)(call.call, request, response);
      });
}

// The four payload routes differ only in the kind of update.
Route PayloadRoute(Api* api, const char* method, const char* path, const char* summary,
                   v1::UpdatePayloadRequest::Kind kind) {
  return JsonRoute<v1::PayloadRequest, v1::UpdatePayloadResponse>(
      method, path, summary,
      [api, kind](const HttpCall& call, const v1::PayloadRequest& body,
                  v1::UpdatePayloadResponse* response) {
        v1::UpdatePayloadRequest request;
        request.set_collection(call.params[0]);
        request.set_kind(kind);
        if (body.has_payload()) request.set_payload(JsonText(body.payload()));
        request.mutable_keys()->CopyFrom(body.keys());
        request.mutable_ids()->CopyFrom(body.points());
        request.set_filter(FilterText(body.has_filter(), body.filter()));
        request.set_durability(body.durability());
        return api->UpdatePayload(call.call, request, response);
      });
}

}  // namespace

std::vector<Route> ApiRoutes(Api* api) {
  std::vector<Route> routes;
  routes.push_back(JsonRoute<v1::ListCollectionsRequest, v1::ListCollectionsResponse>(
      "GET", "/collections", "List the collections.",
      [api](const HttpCall& call, const auto& request, auto* response) {
        return api->ListCollections(call.call, request, response);
      },
      false));
  routes.push_back(JsonRoute<v1::CollectionConfig, v1::CreateCollectionResponse>(
      "PUT", "/collections/{name}",
      "Create a collection; succeeds when an identical one exists (FAILED_PRECONDITION when "
      "it differs).",
      [api](const HttpCall& call, const v1::CollectionConfig& config, auto* response) {
        v1::CreateCollectionRequest request;
        *request.mutable_config() = config;
        TQDB_RETURN_IF_ERROR(TakeCollection(call.params[0], request.mutable_config()));
        request.set_if_not_exists(true);
        return api->CreateCollection(call.call, request, response);
      }));
  routes.push_back(JsonRoute<v1::DescribeCollectionRequest, v1::DescribeCollectionResponse>(
      "GET", "/collections/{name}",
      "Describe a collection: configuration, count, bytes, memory by part, lists.",
      [api](const HttpCall& call, auto request, auto* response) {
        request.set_collection(call.params[0]);
        return api->DescribeCollection(call.call, request, response);
      },
      false));
  routes.push_back(JsonRoute<v1::DropCollectionRequest, v1::DropCollectionResponse>(
      "DELETE", "/collections/{name}", "Drop a collection and everything in it.",
      [api](const HttpCall& call, auto request, auto* response) {
        request.set_collection(call.params[0]);
        return api->DropCollection(call.call, request, response);
      },
      false));
  routes.push_back(JsonRoute<v1::UpsertPointsRequest, v1::UpsertResponse>(
      "PUT", "/collections/{name}/points",
      "Insert or replace points: {\"points\": [{\"id\", \"vector\", \"payload\"}]}.",
      [api](const HttpCall& call, const v1::UpsertPointsRequest& body, auto* response) {
        TQDB_ASSIGN_OR_RETURN(const v1::UpsertRequest request,
                              ToUpsertRequest(call.params[0], body));
        return api->Upsert(call.call, request, response);
      }));
  routes.push_back(JsonRoute<v1::GetPointsRequest, v1::GetPointsResponse>(
      "POST", "/collections/{name}/points", "Get points by id (missing ids are left out).",
      [api](const HttpCall& call, const v1::GetPointsRequest& body, auto* response) {
        v1::GetRequest request;
        request.set_collection(call.params[0]);
        request.mutable_ids()->CopyFrom(body.ids());
        request.set_with_payloads(!body.has_with_payload() || body.with_payload());
        request.set_with_vectors(body.with_vector());
        v1::GetResponse got;
        TQDB_RETURN_IF_ERROR(api->Get(call.call, request, &got));
        for (const v1::Record& record : got.records()) {
          if (record.found()) ToPoint(record, false, response->add_result());
        }
        return absl::OkStatus();
      }));
  routes.push_back(JsonRoute<v1::SearchPointsRequest, v1::SearchPointsResponse>(
      "POST", "/collections/{name}/points/search",
      "The nearest points to a vector (or to a stored point's vector), optionally filtered.",
      [api](const HttpCall& call, const v1::SearchPointsRequest& body, auto* response) {
        return SearchOne(api, call, body, response);
      }));
  routes.push_back(JsonRoute<v1::SearchPointsBatchRequest, v1::SearchPointsBatchResponse>(
      "POST", "/collections/{name}/points/search/batch", "Several searches in one request.",
      [api](const HttpCall& call, const v1::SearchPointsBatchRequest& body, auto* response) {
        return SearchMany(api, call, body, response);
      }));
  routes.push_back(JsonRoute<v1::DeletePointsRequest, DeleteResponse>(
      "POST", "/collections/{name}/points/delete", "Delete points by id or by a filter.",
      [api](const HttpCall& call, const v1::DeletePointsRequest& body, DeleteResponse* response) {
        v1::DeleteRequest request;
        request.set_collection(call.params[0]);
        request.mutable_ids()->CopyFrom(body.points());
        request.set_filter(FilterText(body.has_filter(), body.filter()));
        request.set_durability(body.durability());
        return api->Delete(call.call, request, response);
      }));
  routes.push_back(JsonRoute<v1::CountPointsRequest, CountResponse>(
      "POST", "/collections/{name}/points/count", "Count the points (that pass a filter).",
      [api](const HttpCall& call, const v1::CountPointsRequest& body, CountResponse* response) {
        v1::CountRequest request;
        request.set_collection(call.params[0]);
        request.set_filter(FilterText(body.has_filter(), body.filter()));
        return api->Count(call.call, request, response);
      }));
  routes.push_back(JsonRoute<v1::ScrollPointsRequest, v1::ScrollPointsResponse>(
      "POST", "/collections/{name}/points/scroll",
      "Page through the points (that pass a filter) in id order.",
      [api](const HttpCall& call, const v1::ScrollPointsRequest& body, auto* response) {
        v1::ScrollRequest request;
        request.set_collection(call.params[0]);
        request.set_filter(FilterText(body.has_filter(), body.filter()));
        request.set_limit(body.limit());
        request.set_has_from(body.has_offset());
        request.set_from(body.offset());
        request.set_with_payloads(!body.has_with_payload() || body.with_payload());
        request.set_with_vectors(body.with_vector());
        v1::ScrollResponse page;
        TQDB_RETURN_IF_ERROR(api->Scroll(call.call, request, &page));
        for (const v1::Record& record : page.records()) {
          ToPoint(record, false, response->add_points());
        }
        if (page.has_next()) response->set_next_page_offset(page.next_from());
        return absl::OkStatus();
      }));
  routes.push_back(PayloadRoute(api, "POST", "/collections/{name}/points/payload",
                                "Set payload keys of points (by ids or a filter).",
                                v1::UpdatePayloadRequest::SET));
  routes.push_back(PayloadRoute(api, "PUT", "/collections/{name}/points/payload",
                                "Replace the payloads of points (by ids or a filter).",
                                v1::UpdatePayloadRequest::OVERWRITE));
  routes.push_back(PayloadRoute(api, "POST", "/collections/{name}/points/payload/delete",
                                "Delete payload keys (dotted paths) of points.",
                                v1::UpdatePayloadRequest::DELETE_KEYS));
  routes.push_back(PayloadRoute(api, "POST", "/collections/{name}/points/payload/clear",
                                "Remove the payloads of points.", v1::UpdatePayloadRequest::CLEAR));
  routes.push_back(JsonRoute<v1::CreateIndexRequest, v1::CreatePayloadIndexResponse>(
      "PUT", "/collections/{name}/index",
      "Index a payload field: {\"field_name\": \"city\", \"field_schema\": \"keyword\"}.",
      [api](const HttpCall& call, const v1::CreateIndexRequest& body, auto* response) {
        v1::CreatePayloadIndexRequest request;
        request.set_collection(call.params[0]);
        request.set_key(body.field_name());
        request.set_type(body.field_schema());
        return api->CreatePayloadIndex(call.call, request, response);
      }));
  routes.push_back(NamedRoute(
      api, "/collections/{name}/recenter",
      "Measure the center's drift ({\"dry_run\": true}) or move the center and re-encode.",
      &Api::RecenterCollection));
  routes.push_back(NamedRoute(api, "/collections/{name}/repartition",
                              "Re-split the collection into lists.", &Api::RepartitionCollection));
  routes.push_back(NamedRoute(api, "/collections/{name}/snapshots",
                              "Snapshot one collection under --snapshot_dir.",
                              &Api::CreateSnapshot));
  routes.push_back(JsonRoute<v1::CreateSnapshotRequest, v1::CreateSnapshotResponse>(
      "POST", "/snapshots", "Snapshot every collection under --snapshot_dir.",
      [api](const HttpCall& call, v1::CreateSnapshotRequest request, auto* response) {
        return api->CreateSnapshot(call.call, request, response);
      }));
  routes.push_back(JsonRoute<v1::GetServerStatsRequest, v1::GetServerStatsResponse>(
      "GET", "/stats", "Server memory by part, RocksDB's figures and the process's RSS.",
      [api](const HttpCall& call, const auto& request, auto* response) {
        return api->GetServerStats(call.call, request, response);
      },
      false));
  return routes;
}

}  // namespace tqdb::server
