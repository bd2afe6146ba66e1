#include "rest_convert.h"

#include "absl/strings/str_cat.h"
#include "json_mapping.h"

namespace tqdb::server {

absl::StatusOr<v1::UpsertRequest> ToUpsertRequest(const std::string& collection,
                                                  const v1::UpsertPointsRequest& body) {
  v1::UpsertRequest request;
  request.set_collection(collection);
  request.set_durability(body.durability());
  bool any_payload = false;
  for (const v1::Point& point : body.points()) any_payload |= point.has_payload();
  for (int i = 0; i < body.points_size(); ++i) {
    const v1::Point& point = body.points(i);
    if (point.vector_size() != body.points(0).vector_size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "points[", i, "] has ", point.vector_size(), " floats but points[0] has ",
          body.points(0).vector_size(), "; every vector has the collection's dimension"));
    }
    request.add_ids(point.id());
    request.mutable_vectors()->Add(point.vector().begin(), point.vector().end());
    if (any_payload) {
      const bool none = !point.has_payload() ||
                        point.payload().kind_case() == google::protobuf::Value::kNullValue;
      request.add_payloads(none ? "" : JsonText(point.payload()));
    }
  }
  return request;
}

std::string FilterText(bool has_filter, const google::protobuf::Struct& filter) {
  return has_filter ? JsonText(filter) : "";
}

v1::SearchRequest ToSearchRequest(const std::string& collection,
                                  const v1::SearchPointsRequest& body) {
  v1::SearchRequest request;
  request.set_collection(collection);
  request.mutable_query()->Add(body.vector().begin(), body.vector().end());
  v1::SearchOptions& options = *request.mutable_options();
  options.set_k(body.limit());
  options.set_with_payloads(body.with_payload());
  options.set_with_vectors(body.with_vector());
  options.set_nprobe(body.params().nprobe());
  options.set_rerank(body.params().rerank());
  options.set_rerank_candidates(body.params().rerank_candidates());
  options.set_explain(body.explain());
  options.set_filter(FilterText(body.has_filter(), body.filter()));
  return request;
}

void ToPoint(const v1::Record& record, bool with_score, v1::Point* point) {
  point->set_id(record.id());
  point->mutable_vector()->Add(record.vector().begin(), record.vector().end());
  if (with_score) point->set_score(record.score());
  if (!record.payload().empty() && !ParseJsonValue(record.payload(), point->mutable_payload())) {
    point->clear_payload();
    point->set_payload_bytes(record.payload());
  }
}

}  // namespace tqdb::server
