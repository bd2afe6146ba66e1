// A bounded fuzz pass over the HTTP port of a real tqdb-server: random bytes as requests, and
// random JSON (and JSON-like garbage) as the body of every route. The server must answer each
// request it can parse with a JSON error or success (never a 500), never crash or hang. Bodies
// that happen to be valid may write or delete points; the server must go on answering.
#include <chrono>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "http_test_client.h"
#include "loopback_socket.h"
#include "server_process.h"
#include "test_util.h"

namespace tqdb {
namespace {

using nlohmann::json;
using testing::Http;
using testing::HttpReply;
using testing::ServerProcess;

// Writes `bytes` to a new connection and reads what comes back within 2 seconds.
std::string SendRaw(int port, const std::string& bytes) {
  const int fd = testing::ConnectLoopback(port, /*timeout_seconds=*/2);
  std::string reply;
  if (fd < 0) return reply;
  (void)!write(fd, bytes.data(), bytes.size());
  shutdown(fd, SHUT_WR);
  char buffer[4096];
  for (ssize_t got; (got = read(fd, buffer, sizeof(buffer))) > 0;) reply.append(buffer, got);
  close(fd);
  return reply;
}

// A random JSON value, nested up to `depth`, biased towards the API's own field names.
json RandomJson(std::mt19937_64& rng, int depth) {
  static const std::vector<std::string> kKeys = {
      "vector", "id",       "limit",  "filter",       "must",       "should",    "must_not",
      "key",    "match",    "value",  "range",        "gte",        "points",    "payload",
      "ids",    "searches", "params", "nprobe",       "rerank",     "dimension", "bits",
      "metric", "keys",     "offset", "with_payload", "field_name", "x"};
  switch (std::uniform_int_distribution<int>(0, depth > 0 ? 7 : 4)(rng)) {
    case 0:
      return nullptr;
    case 1:
      return std::uniform_int_distribution<int>(0, 1)(rng) == 1;
    case 2: {
      const int64_t values[] = {0, -1, 1, 3, 4, 100000, INT64_MAX, INT64_MIN};
      return values[std::uniform_int_distribution<int>(0, 7)(rng)];
    }
    case 3:
      return std::uniform_real_distribution<double>(-1e30, 1e30)(rng);
    case 4: {
      const char* strings[] = {"", "NaN", "Infinity", "keyword", "METRIC_L2", "\xff\xfe", "c"};
      return strings[std::uniform_int_distribution<int>(0, 6)(rng)];
    }
    case 5:
    case 6: {
      json object = json::object();
      const int fields = std::uniform_int_distribution<int>(0, 4)(rng);
      for (int i = 0; i < fields; ++i) {
        object[kKeys[std::uniform_int_distribution<size_t>(0, kKeys.size() - 1)(rng)]] =
            RandomJson(rng, depth - 1);
      }
      return object;
    }
    default: {
      json array = json::array();
      const int items = std::uniform_int_distribution<int>(0, 5)(rng);
      for (int i = 0; i < items; ++i) array.push_back(RandomJson(rng, depth - 1));
      return array;
    }
  }
}

TEST(HttpFuzzTest, RandomRequestsAndBodiesGetAnswersAndNeverCrashIt) {
  testing::ScopedTempDir dir;
  ServerProcess server(dir.path() + "/data", {"--http_listen=127.0.0.1:0",
                                              "--snapshot_dir=" + dir.path() + "/snapshots"});
  const int port = server.http_port();
  ASSERT_NE(port, 0) << server.Log();
  ASSERT_EQ(Http(port, "PUT", "/collections/c", R"({"dimension": 4, "bits": 4})").status, 200);
  ASSERT_EQ(Http(port, "PUT", "/collections/c/points",
                 R"({"points": [{"id": 1, "vector": [1, 2, 3, 4], "payload": {"a": 1}}]})")
                .status,
            200);
  std::mt19937_64 rng(20261205);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);

  // Random bytes, and random mutations of a valid request.
  const std::string valid =
      "POST /collections/c/points/search HTTP/1.1\r\nHost: x\r\nContent-Length: 24\r\n\r\n"
      "{\"vector\": [1, 0, 0, 0]}";
  for (int i = 0; i < 200 && std::chrono::steady_clock::now() < deadline; ++i) {
    std::string bytes = valid;
    if (i % 2 == 0) {
      bytes.resize(std::uniform_int_distribution<size_t>(0, 300)(rng));
      for (char& c : bytes) c = static_cast<char>(rng());
    } else {
      for (int flips = 0; flips < 4; ++flips) {
        bytes[std::uniform_int_distribution<size_t>(0, bytes.size() - 1)(rng)] =
            static_cast<char>(rng());
      }
    }
    const std::string reply = SendRaw(port, bytes);
    EXPECT_FALSE(server.Exited()) << "after raw request " << i;
    if (!reply.empty()) {
      EXPECT_EQ(reply.rfind("HTTP/1.1 ", 0), 0u) << reply;
    }
  }

  // Random JSON to every route the description lists (DELETE aside, which would drop `c`).
  const json description = Http(port, "GET", "/openapi.json").json;
  int requests = 0;
  for (const auto& [path, methods] : description["paths"].items()) {
    for (const auto& [method, operation] : methods.items()) {
      if (method == "delete" || path.find("snapshots") != std::string::npos) continue;
      std::string upper = method;
      for (char& ch : upper) ch = static_cast<char>(std::toupper(ch));
      const std::string concrete = absl::StrReplaceAll(path, {{"{name}", "c"}});
      for (int i = 0; i < 15 && std::chrono::steady_clock::now() < deadline; ++i) {
        std::string body = RandomJson(rng, 4).dump(-1, ' ', false, json::error_handler_t::replace);
        if (i % 5 == 4 && !body.empty()) body.resize(body.size() / 2);  // cut short
        const HttpReply reply = Http(port, upper, concrete, body);
        ++requests;
        ASSERT_NE(reply.status, 0) << upper << " " << concrete << " " << body;
        EXPECT_LT(reply.status, 500)
            << upper << " " << concrete << " " << body << ": " << reply.text;
        if (reply.status >= 400) {
          EXPECT_FALSE(reply.code().empty()) << reply.text;
        }
      }
    }
  }
  EXPECT_GT(requests, 100);
  EXPECT_FALSE(server.Exited());
  const HttpReply count = Http(port, "POST", "/collections/c/points/count");
  EXPECT_EQ(count.status, 200) << count.text;
  EXPECT_EQ(Http(port, "GET", "/healthz").status, 200);
}

}  // namespace
}  // namespace tqdb
