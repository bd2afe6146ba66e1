// The HTTP port's security and description on a real tqdb-server: API keys with roles (401 and
// 403 as on gRPC; an unknown key refused before its body is read), TLS from the gRPC port's
// files, the non-loopback rule, the bound on connections, and the OpenAPI description (the
// committed copy is the served one, and every route it describes answers).
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "api_keys.h"
#include "gtest/gtest.h"
#include "http_test_client.h"
#include "loopback_socket.h"
#include "server_process.h"
#include "test_certificates.h"
#include "test_util.h"

namespace tqdb {
namespace {

using nlohmann::json;
using testing::Bearer;
using testing::Http;
using testing::HttpReply;
using testing::ServerProcess;

int Connect(int port) { return testing::ConnectLoopback(port, /*timeout_seconds=*/20); }

// Sends `request` and reads one response: its headers and Content-Length bytes of body (or
// until the server closes, or 20 s pass).
std::string Exchange(int fd, const std::string& request) {
  (void)!write(fd, request.data(), request.size());
  std::string reply;
  char buffer[4096];
  for (ssize_t got; (got = read(fd, buffer, sizeof(buffer))) > 0;) {
    reply.append(buffer, got);
    const size_t end = reply.find("\r\n\r\n");
    const size_t length = reply.find("Content-Length: ");
    if (end != std::string::npos && length != std::string::npos &&
        reply.size() >= end + 4 + std::stoul(reply.substr(length + 16))) {
      break;
    }
  }
  return reply;
}

std::string KeyLine(const std::string& key, const std::string& role,
                    const std::string& collections = "") {
  return absl::BytesToHexString(server::Sha256(key)) + " " + role + " " + collections + "\n";
}

class HttpKeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string keys = dir_.path() + "/keys";
    std::ofstream(keys) << KeyLine("admin-key", "admin") << KeyLine("read-key", "read")
                        << KeyLine("docs-writer", "write", "docs");
    server_ = std::make_unique<ServerProcess>(
        dir_.path() + "/data",
        std::vector<std::string>{"--http_listen=127.0.0.1:0", "--api_keys_file=" + keys});
    ASSERT_NE(server_->http_port(), 0) << server_->Log();
    ASSERT_EQ(Http(port(), "PUT", "/collections/docs", R"({"dimension": 2, "bits": 4})",
                   Bearer("admin-key"))
                  .status,
              200);
  }
  int port() const { return server_->http_port(); }

  testing::ScopedTempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(HttpKeysTest, RolesAndCollectionsAreCheckedAsOnGrpc) {
  const std::string upsert = R"({"points": [{"id": 1, "vector": [1, 0]}]})";
  struct Case {
    const char* what;
    httplib::Headers headers;
    std::string method, path, body;
    int status;
  };
  const std::vector<Case> cases = {
      {"no key", {}, "GET", "/collections", "", 401},
      {"unknown key", Bearer("guess"), "GET", "/collections", "", 401},
      {"read key lists", Bearer("read-key"), "GET", "/collections", "", 200},
      {"read key writes", Bearer("read-key"), "PUT", "/collections/docs/points", upsert, 403},
      {"writer writes", Bearer("docs-writer"), "PUT", "/collections/docs/points", upsert, 200},
      {"writer elsewhere", Bearer("docs-writer"), "PUT", "/collections/other/points", upsert, 403},
      {"writer drops", Bearer("docs-writer"), "DELETE", "/collections/docs", "", 403},
      {"api-key header",
       {{"api-key", "read-key"}},
       "POST",
       "/collections/docs/points/count",
       "",
       200},
      {"metrics need a key", {}, "GET", "/metrics", "", 401},
      {"metrics with one", Bearer("read-key"), "GET", "/metrics", "", 200},
      {"health is open", {}, "GET", "/healthz", "", 200},
      {"the console is open", {}, "GET", "/", "", 200},
      {"the description is open", {}, "GET", "/openapi.json", "", 200},
  };
  for (const Case& c : cases) {
    const HttpReply reply = Http(port(), c.method, c.path, c.body, c.headers);
    EXPECT_EQ(reply.status, c.status) << c.what << ": " << reply.text;
    if (c.status == 401) {
      EXPECT_EQ(reply.code(), "UNAUTHENTICATED") << c.what;
    }
    if (c.status == 403) {
      EXPECT_EQ(reply.code(), "PERMISSION_DENIED") << c.what;
    }
  }
  EXPECT_EQ(
      Http(port(), "POST", "/collections/docs/points/count", "", Bearer("read-key")).json["count"],
      "1");
}

// A client without a known key cannot make the server read (and hold) a large body: the answer
// comes from the headers alone, though the body never arrives.
TEST_F(HttpKeysTest, AnUnknownKeyIsRefusedBeforeItsBodyIsRead) {
  const int fd = Connect(port());
  ASSERT_GE(fd, 0);
  const auto start = std::chrono::steady_clock::now();
  const std::string reply =
      Exchange(fd,
               "PUT /collections/docs/points HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               "Authorization: Bearer guess\r\nContent-Type: application/json\r\n"
               "Content-Length: 50000000\r\n\r\n{\"points\": [");
  close(fd);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_NE(reply.find("HTTP/1.1 401"), std::string::npos) << reply;
  EXPECT_NE(reply.find("UNAUTHENTICATED"), std::string::npos) << reply;
  EXPECT_LT(seconds, 5.0) << "the server waited for the body";
}

class HttpTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::MakeCa(dir_.path(), "ca");
    testing::MakeCertificate(dir_.path(), "ca", "server", true);
  }
  std::string Path(const std::string& file) const { return dir_.path() + "/" + file; }
  testing::ScopedTempDir dir_;
};

TEST_F(HttpTlsTest, HttpsWorksWithTheGrpcPortsCertificateAndPlaintextIsRefused) {
  ServerProcess server(dir_.path() + "/data",
                       {"--http_listen=127.0.0.1:0", "--tls_cert=" + Path("server.pem"),
                        "--tls_key=" + Path("server.key")});
  ASSERT_NE(server.http_port(), 0) << server.Log();
  httplib::SSLClient tls("127.0.0.1", server.http_port());
  tls.set_ca_cert_path(Path("ca.pem").c_str());
  tls.enable_server_certificate_verification(true);
  const httplib::Result listed = tls.Get("/collections");
  ASSERT_TRUE(listed) << httplib::to_string(listed.error());
  EXPECT_EQ(listed->status, 200);
  EXPECT_EQ(listed->body, R"({"names":[]})");
  // Plain HTTP to the TLS port gets no answer.
  EXPECT_EQ(Http(server.http_port(), "GET", "/collections").status, 0);
}

// The gRPC port's rule holds for the HTTP port: a non-loopback address needs authenticated
// clients (or --insecure), and the refusal names the flag.
TEST_F(HttpTlsTest, ANonLoopbackHttpAddressNeedsAuthenticatedClients) {
  const std::string log = Path("refused.log");
  const std::string command = std::string("timeout 60 ") + testing::ServerBinary() +
                              " --data_dir=" + Path("data") +
                              " --listen=127.0.0.1:0 --http_listen=0.0.0.0:0 2> " + log;
  const int status = std::system(command.c_str());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << status;
  const std::string text = testing::Read(log);
  EXPECT_NE(text.find("refusing to listen on 0.0.0.0:0 (--http_listen)"), std::string::npos)
      << text;
}

// With one worker and 16 waiting places, the 18th connection at once is told 503 at once.
TEST(HttpConnectionsTest, ConnectionsPastTheLimitAreToldToRetry) {
  testing::ScopedTempDir dir;
  ServerProcess server(dir.path() + "/data", {"--http_listen=127.0.0.1:0", "--http_connections=1"});
  ASSERT_NE(server.http_port(), 0) << server.Log();
  std::vector<int> idle;
  for (int i = 0; i < 17; ++i) idle.push_back(Connect(server.http_port()));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // all accepted and queued
  const int fd = Connect(server.http_port());
  ASSERT_GE(fd, 0);
  const std::string reply = Exchange(fd, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  close(fd);
  EXPECT_NE(reply.find("HTTP/1.1 503"), std::string::npos) << reply;
  EXPECT_NE(reply.find("UNAVAILABLE"), std::string::npos) << reply;
  for (int f : idle) close(f);
  // Once they are gone, requests are served again.
  for (int attempt = 0; attempt < 100; ++attempt) {
    if (Http(server.http_port(), "GET", "/healthz").status == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(Http(server.http_port(), "GET", "/healthz").status, 200);
}

// The description served is the committed docs/openapi.json (regenerate it with
// `tqdb-server --print_openapi > docs/openapi.json`), and every route it describes answers:
// with its own answer or an error of its own, never "no route" (404) or 405.
TEST(OpenApiTest, TheCommittedDescriptionIsServedAndEveryRouteItDescribesAnswers) {
  testing::ScopedTempDir dir;
  ServerProcess server(dir.path() + "/data", {"--http_listen=127.0.0.1:0"});
  const int port = server.http_port();
  const HttpReply served = Http(port, "GET", "/openapi.json");
  ASSERT_EQ(served.status, 200);
  EXPECT_EQ(served.text, testing::Read(TQDB_OPENAPI_JSON))
      << "docs/openapi.json is stale: run tqdb-server --print_openapi > docs/openapi.json";
  EXPECT_EQ(served.json["openapi"], "3.0.3");
  ASSERT_EQ(Http(port, "PUT", "/collections/c", R"({"dimension": 2, "bits": 4})").status, 200);
  int routes = 0;
  for (const auto& [path, methods] : served.json["paths"].items()) {
    for (const auto& [method, operation] : methods.items()) {
      // "c" for every parameter, and a DELETE last so the others still find the collection.
      if (method == "delete") continue;
      const std::string concrete = absl::StrReplaceAll(path, {{"{name}", "c"}});
      std::string upper = method;
      for (char& ch : upper) ch = static_cast<char>(std::toupper(ch));
      const HttpReply reply = Http(port, upper, concrete, "{}");
      EXPECT_NE(reply.status, 0) << upper << " " << path;
      EXPECT_NE(reply.status, 405) << upper << " " << path << ": " << reply.text;
      EXPECT_EQ(reply.text.find("no route"), std::string::npos) << upper << " " << path;
      EXPECT_TRUE(operation.contains("responses")) << path;
      ++routes;
    }
  }
  EXPECT_GE(routes, 25);
  EXPECT_EQ(Http(port, "DELETE", "/collections/c").status, 200);
  // And a path it does not describe has no route.
  EXPECT_NE(Http(port, "GET", "/collections/c/nothing").text.find("no route"), std::string::npos);
}

}  // namespace
}  // namespace tqdb
