#include "openapi.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"

namespace tqdb::server {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using Json = nlohmann::json;

// Component names: tqdb's messages by their name within tqdb.v1 ("SearchBatchResponse.Hits"),
// others by their full name ("google.protobuf.Struct").
std::string SchemaName(const Descriptor* message) {
  constexpr std::string_view kPackage = "tqdb.v1.";
  const std::string& name = message->full_name();
  return name.rfind(kPackage, 0) == 0 ? name.substr(kPackage.size()) : name;
}

std::string Ref(const Descriptor* message) {
  return absl::StrCat("#/components/schemas/", SchemaName(message));
}

class SchemaBuilder {
 public:
  // A reference to `message`'s schema, adding it (and what it refers to) to the components.
  Json RefTo(const Descriptor* message) {
    Add(message);
    return Json{{"$ref", Ref(message)}};
  }
  Json TakeSchemas() { return std::move(schemas_); }

 private:
  void Add(const Descriptor* message) {
    const std::string name = SchemaName(message);
    if (schemas_.contains(name)) return;
    // protobuf's JSON mapping writes the well-known JSON types as plain JSON.
    if (message->full_name() == "google.protobuf.Struct") {
      schemas_[name] = Json{{"type", "object"}, {"additionalProperties", true}};
      return;
    }
    if (message->full_name() == "google.protobuf.Value") {
      schemas_[name] = Json{{"description", "any JSON value"}, {"nullable", true}};
      return;
    }
    if (message->full_name() == "google.protobuf.ListValue") {
      schemas_[name] = Json{{"type", "array"}, {"items", Json::object()}};
      return;
    }
    schemas_[name] = Json{{"type", "object"}};  // placed first: a message may contain itself
    Json properties = Json::object();
    for (int i = 0; i < message->field_count(); ++i) {
      const FieldDescriptor* field = message->field(i);
      Json schema = FieldSchema(field);
      properties[field->name()] =
          field->is_repeated() ? Json{{"type", "array"}, {"items", schema}} : schema;
    }
    schemas_[name] = Json{{"type", "object"}, {"properties", properties}};
  }

  Json FieldSchema(const FieldDescriptor* field) {
    switch (field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        return Json{{"type", "integer"}, {"format", "int32"}};
      case FieldDescriptor::CPPTYPE_UINT32:
        return Json{{"type", "integer"}, {"format", "uint32"}, {"minimum", 0}};
      case FieldDescriptor::CPPTYPE_INT64:
      case FieldDescriptor::CPPTYPE_UINT64:
        // Written as a decimal string (JSON numbers lose precision past 2^53); read as either.
        return Json{
            {"oneOf", Json::array({Json{{"type", "string"}, {"pattern", "^-?[0-9]+$"}},
                                   Json{{"type", "integer"}}})},
            {"format", field->cpp_type() == FieldDescriptor::CPPTYPE_INT64 ? "int64" : "uint64"}};
      case FieldDescriptor::CPPTYPE_FLOAT:
        return Json{{"type", "number"}, {"format", "float"}};
      case FieldDescriptor::CPPTYPE_DOUBLE:
        return Json{{"type", "number"}, {"format", "double"}};
      case FieldDescriptor::CPPTYPE_BOOL:
        return Json{{"type", "boolean"}};
      case FieldDescriptor::CPPTYPE_ENUM: {
        Json names = Json::array();
        for (int v = 0; v < field->enum_type()->value_count(); ++v) {
          names.push_back(field->enum_type()->value(v)->name());
        }
        return Json{{"type", "string"}, {"enum", names}};
      }
      case FieldDescriptor::CPPTYPE_STRING:
        return field->type() == FieldDescriptor::TYPE_BYTES
                   ? Json{{"type", "string"}, {"format", "byte"}}
                   : Json{{"type", "string"}};
      case FieldDescriptor::CPPTYPE_MESSAGE:
        return RefTo(field->message_type());
    }
    return Json::object();
  }

  Json schemas_ = Json::object();
};

Json Content(const std::string& content_type, Json schema) {
  return Json{{content_type, Json{{"schema", std::move(schema)}}}};
}

}  // namespace

std::string OpenApiJson(const std::vector<Route>& routes, const std::string& version) {
  SchemaBuilder schemas;
  const Json error =
      schemas.RefTo(google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(
          "tqdb.v1.ErrorResponse"));
  Json paths = Json::object();
  for (const Route& route : routes) {
    Json operation = {{"summary", route.summary},
                      {"operationId", absl::StrCat(route.method, route.pattern)}};
    Json parameters = Json::array();
    for (size_t at = route.pattern.find('{'); at != std::string::npos;
         at = route.pattern.find('{', at + 1)) {
      const std::string name = route.pattern.substr(at + 1, route.pattern.find('}', at) - at - 1);
      parameters.push_back(
          {{"name", name}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}});
    }
    parameters.push_back(
        {{"name", "timeout"},
         {"in", "query"},
         {"required", false},
         {"description", "seconds the caller waits; a request not started by then is refused"},
         {"schema", {{"type", "number"}}}});
    operation["parameters"] = parameters;
    if (route.request != nullptr) {
      operation["requestBody"] = {
          {"required", false},
          {"content", Content("application/json", schemas.RefTo(route.request))}};
    }
    const Json answer =
        route.response != nullptr ? schemas.RefTo(route.response) : Json{{"type", "string"}};
    operation["responses"] = {
        {"200", {{"description", "OK"}, {"content", Content(route.content_type, answer)}}},
        {"default",
         {{"description", "an error: its gRPC code, HTTP status and message"},
          {"content", Content("application/json", error)}}}};
    if (route.needs_key)
      operation["security"] =
          Json::array({Json{{"bearer", Json::array()}}, Json{{"apiKey", Json::array()}}});
    std::string method = route.method;
    for (char& c : method) c = static_cast<char>(std::tolower(c));
    paths[route.pattern][method] = operation;
  }
  Json document = {
      {"openapi", "3.0.3"},
      {"info",
       {{"title", "tqdb HTTP/JSON API"},
        {"version", version},
        {"description",
         "The HTTP/JSON face of tqdb's gRPC API (proto/tqdb/v1/tqdb.proto and rest.proto): the "
         "same validation, limits, API keys and metrics. Bodies follow protobuf's JSON "
         "mapping: 64-bit integers are written as strings and read from numbers or strings."}}},
      {"paths", paths},
      {"components",
       {{"schemas", schemas.TakeSchemas()},
        {"securitySchemes",
         {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}},
          {"apiKey", {{"type", "apiKey"}, {"in", "header"}, {"name", "api-key"}}}}}}}};
  return document.dump(2) + "\n";
}

}  // namespace tqdb::server
