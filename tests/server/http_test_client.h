// A JSON client for the HTTP API tests: one request to a real tqdb-server's HTTP port, the
// answer's status and its body parsed as JSON.
#pragma once

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>

#include "gtest/gtest.h"

namespace tqdb::testing {

struct HttpReply {
  int status = 0;  // 0: no answer (the connection failed)
  nlohmann::json json;
  std::string text;
  httplib::Headers headers;
  // The error body's gRPC code name ("NOT_FOUND"), or "" when the body is not an error.
  std::string code() const {
    return json.is_object() && json.contains("error") ? json["error"].value("code", "") : "";
  }
};

inline HttpReply ToReply(const httplib::Result& result) {
  HttpReply reply;
  if (!result) return reply;
  reply.status = result->status;
  reply.text = result->body;
  reply.headers = result->headers;
  reply.json = nlohmann::json::parse(result->body, nullptr, /*allow_exceptions=*/false);
  return reply;
}

// `method` `path` with `body` (JSON text) and extra `headers`, on 127.0.0.1:`port`.
// `type` is the body's Content-Type: `curl -d` sends application/x-www-form-urlencoded.
inline HttpReply Http(int port, const std::string& method, const std::string& path,
                      const std::string& body = "", const httplib::Headers& headers = {},
                      const char* type = "application/json") {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(60, 0);
  client.set_connection_timeout(5, 0);
  if (method == "GET") return ToReply(client.Get(path, headers));
  if (method == "DELETE") return ToReply(client.Delete(path, headers, body, type));
  if (method == "PUT") return ToReply(client.Put(path, headers, body, type));
  if (method == "POST") return ToReply(client.Post(path, headers, body, type));
  if (method == "PATCH") return ToReply(client.Patch(path, headers, body, type));
  ADD_FAILURE() << "no such method in the test client: " << method;
  return {};
}

inline httplib::Headers Bearer(const std::string& key) {
  return {{"Authorization", "Bearer " + key}};
}

}  // namespace tqdb::testing
