// The metrics endpoint of a real server: it answers Prometheus text whose every sample line
// parses, and its request counters, latency histograms and collection gauges move with requests.
// Hostile HTTP (any method, path, header or body, fuzzed; half-sent requests held open) gets an
// answer and never stops the server; label values stay bounded.
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <thread>

#include "gtest/gtest.h"
#include "metrics_scrape.h"
#include "server_process.h"
#include "test_util.h"

namespace tqdb {
namespace {

using testing::Call;
using testing::Connect;
using testing::Exchange;
using testing::MetricsPort;
using testing::Parse;
using testing::Scrape;
using testing::ServerProcess;
using S = v1::Tqdb::Stub;

// The status code of an HTTP response ("HTTP/1.1 404 Not Found" -> 404); 0 when none.
int StatusOf(const std::string& response) {
  std::smatch match;
  static const std::regex status_line(R"(^HTTP/1\.[01] ([0-9]{3}))");
  return std::regex_search(response, match, status_line) ? std::stoi(match[1]) : 0;
}

TEST(MetricsTest, EndpointParsesAndCountersMoveWithRequests) {
  testing::ScopedTempDir dir;
  ServerProcess server(dir.path() + "/data", {"--metrics_listen=127.0.0.1:0"});
  const int port = MetricsPort(server);
  ASSERT_NE(port, 0);

  v1::CreateCollectionResponse created;
  ASSERT_TRUE(Call(&S::CreateCollection, server, testing::CreateRequest("c"), &created).ok());
  v1::UpsertResponse upserted;
  ASSERT_TRUE(Call(&S::Upsert, server, testing::UpsertRequest("c", 0, 100, 1), &upserted).ok());
  v1::DescribeCollectionRequest missing;
  missing.set_collection("missing");
  v1::DescribeCollectionResponse described;
  EXPECT_FALSE(Call(&S::DescribeCollection, server, missing, &described).ok());

  std::map<std::string, double> first = Parse(Scrape(port));
  EXPECT_EQ(first[R"(tqdb_requests_total{code="OK",method="Upsert"})"], 1);
  EXPECT_EQ(first[R"(tqdb_requests_total{code="NOT_FOUND",method="DescribeCollection"})"], 1);
  EXPECT_EQ(first[R"(tqdb_request_seconds_count{method="Upsert"})"], 1);
  EXPECT_EQ(first[R"(tqdb_collection_vectors{collection="c"})"], 100);
  EXPECT_GT(first[R"(tqdb_collection_memory_bytes{collection="c"})"], 0);
  EXPECT_EQ(first[R"(tqdb_collection_lists{collection="c"})"], 0);  // flat
  EXPECT_EQ(first.count(R"(tqdb_rocksdb{figure="writes_stopped"})"), 1u);

  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(
        Call(&S::Upsert, server, testing::UpsertRequest("c", 100 + i * 10, 10, 2 + i), &upserted)
            .ok());
  }
  std::map<std::string, double> second = Parse(Scrape(port));
  EXPECT_EQ(second[R"(tqdb_requests_total{code="OK",method="Upsert"})"], 4);
  EXPECT_EQ(second[R"(tqdb_collection_vectors{collection="c"})"], 130);
  EXPECT_EQ(second[R"(tqdb_request_seconds_count{method="Upsert"})"], 4);
}

// The requests that crashed the server through prometheus-cpp's civetweb exposer (SIGSEGV in
// mg_send_http_error), and others: each gets a status line, and the server lives on.
TEST(MetricsTest, EveryRequestShapeIsAnsweredAndTheServerLives) {
  testing::ScopedTempDir dir;
  ServerProcess server(dir.path() + "/data", {"--metrics_listen=127.0.0.1:0"});
  const int port = MetricsPort(server);
  ASSERT_NE(port, 0);
  const std::string host = "Host: 127.0.0.1\r\n";
  const std::pair<std::string, std::set<int>> cases[] = {
      {"GET / HTTP/1.1\r\n" + host + "\r\n", {404}},
      {"GET /../../etc/passwd HTTP/1.1\r\n" + host + "\r\n", {400, 404}},
      {"GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\n" + host + "\r\n", {400, 404}},
      {"HEAD /metrics HTTP/1.1\r\n" + host + "\r\n", {200}},
      {"POST /metrics HTTP/1.1\r\n" + host + "Content-Length: 0\r\n\r\n", {405}},
      {"PUT /metrics HTTP/1.1\r\n" + host + "Content-Length: 0\r\n\r\n", {405}},
      {"DELETE /metrics HTTP/1.1\r\n" + host + "\r\n", {405}},
      {"PROPFIND / HTTP/1.1\r\n" + host + "\r\n", {400, 404, 405}},
      {"POST /metrics HTTP/1.1\r\n" + host + "Content-Length: 1000000000000000000\r\n\r\nx",
       {400, 413}},
      {"POST /metrics HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n",
       {400, 405, 413}},
      {"GET /metrics HTTP/1.1\r\n" + host + "Content-Length: -5\r\n\r\n", {200, 400, 413}},
      {"GARBAGE\r\n\r\n", {400}},
      {"GET /" + std::string(20000, 'a') + " HTTP/1.1\r\n" + host + "\r\n", {400, 414}},
      {"GET /metrics HTTP/1.1\r\nX: " + std::string(20000, 'b') + "\r\n\r\n", {400, 431}},
  };
  for (const auto& [request, expected] : cases) {
    const std::string response = Exchange(port, request);
    const int status = StatusOf(response);
    EXPECT_TRUE(expected.count(status)) << request.substr(0, 80) << " -> " << status << "\n"
                                        << response.substr(0, 200);
    ASSERT_FALSE(server.Exited()) << "the server died on: " << request.substr(0, 80) << "\n"
                                  << server.Log();
  }
  EXPECT_FALSE(Parse(Scrape(port)).empty());
}

// Random methods, paths, headers and bodies (bounded: 400 requests, a fixed seed); every one is
// answered or closed, and the server still serves /metrics and gRPC afterwards.
TEST(MetricsTest, FuzzedRequestsNeverStopTheServer) {
  testing::ScopedTempDir dir;
  ServerProcess server(dir.path() + "/data", {"--metrics_listen=127.0.0.1:0"});
  const int port = MetricsPort(server);
  ASSERT_NE(port, 0);
  std::mt19937_64 random(26);
  auto pick = [&](const std::vector<std::string>& from) { return from[random() % from.size()]; };
  auto bytes = [&](size_t n) {
    std::string out(n, '\0');
    for (char& c : out) c = static_cast<char>(random());
    return out;
  };
  const std::vector<std::string> methods = {
      "GET",      "HEAD",  "POST",    "PUT", "DELETE", "OPTIONS", "PATCH",
      "PROPFIND", "TRACE", "CONNECT", "get", "",       "G\x01T",  std::string(300, 'M')};
  const std::vector<std::string> paths = {"/",
                                          "/metrics",
                                          "/metrics?x=1",
                                          "/../..",
                                          "/%2e%2e/",
                                          "//metrics",
                                          "*",
                                          "/%00",
                                          "/%zz",
                                          "http://127.0.0.1/metrics",
                                          "/" + std::string(9000, 'p'),
                                          "/\xff\xfe",
                                          ""};
  const std::vector<std::string> versions = {"HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/9", ""};
  const std::vector<std::string> headers = {"Host: x\r\n",
                                            "Content-Length: 10\r\n",
                                            "Content-Length: 99999999999999999999\r\n",
                                            "Content-Length: -1\r\n",
                                            "Transfer-Encoding: chunked\r\n",
                                            "Expect: 100-continue\r\n",
                                            "Range: bytes=0-1,2-3\r\n",
                                            "Connection: keep-alive\r\n",
                                            "Accept-Encoding: gzip, br\r\n",
                                            "X: \x01\x02\r\n",
                                            "NoColon\r\n",
                                            ": empty\r\n"};
  std::vector<std::string> requests;
  for (int i = 0; i < 400; ++i) {
    std::string request = pick(methods) + " " + pick(paths) + " " + pick(versions) + "\r\n";
    for (int h = random() % 4; h > 0; --h) request += pick(headers);
    request += "\r\n";
    if (random() % 2) request += bytes(random() % 200);
    if (random() % 8 == 0) request = bytes(1 + random() % 400);  // not HTTP at all
    requests.push_back(std::move(request));
  }
  // Eight clients at a time: a request the server waits to complete costs its read timeout.
  std::atomic<int> next{0}, unparsed{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&] {
      for (int i; (i = next.fetch_add(1)) < static_cast<int>(requests.size());) {
        const std::string response = Exchange(port, requests[i], 5);
        if (!response.empty() && StatusOf(response) == 0) unparsed.fetch_add(1);
      }
    });
  }
  for (std::thread& client : clients) client.join();
  EXPECT_EQ(unparsed.load(), 0) << "answers without a status line";
  ASSERT_FALSE(server.Exited()) << server.Log();
  EXPECT_FALSE(Parse(Scrape(port)).empty());
  v1::ListCollectionsResponse listed;
  EXPECT_TRUE(Call(&S::ListCollections, server, v1::ListCollectionsRequest(), &listed).ok());
}

// A client can name any method; only the ones served get a label of their own. A dropped
// collection's gauges go.
TEST(MetricsTest, LabelsStayBounded) {
  testing::ScopedTempDir dir;
  ServerProcess server(dir.path() + "/data", {"--metrics_listen=127.0.0.1:0"});
  const int port = MetricsPort(server);
  ASSERT_NE(port, 0);
  for (int i = 0; i < 200; ++i) {
    testing::RawCall(server, "/tqdb.v1.Tqdb/NoSuchMethod" + std::to_string(i), "");
    testing::RawCall(server, "/made.up.Service/M" + std::to_string(i), "");
  }
  for (int i = 0; i < 20; ++i) {
    const std::string name = "c" + std::to_string(i);
    v1::CreateCollectionResponse created;
    ASSERT_TRUE(Call(&S::CreateCollection, server, testing::CreateRequest(name), &created).ok());
    Scrape(port);  // the collection's gauges exist
    v1::DropCollectionRequest drop;
    drop.set_collection(name);
    v1::DropCollectionResponse dropped;
    ASSERT_TRUE(Call(&S::DropCollection, server, drop, &dropped).ok());
  }
  const std::string text = Scrape(port);
  const std::map<std::string, double> samples = Parse(text);
  EXPECT_EQ(samples.at(R"(tqdb_requests_total{code="UNIMPLEMENTED",method="unknown"})"), 400);
  std::set<std::string> methods;
  for (const auto& [series, value] : samples) {
    std::smatch match;
    if (std::regex_search(series, match, std::regex("method=\"([^\"]*)\""))) {
      methods.insert(match[1]);
    }
    EXPECT_EQ(series.find("collection=\"c"), std::string::npos)
        << "a dropped collection: " << series;
  }
  EXPECT_EQ(methods, (std::set<std::string>{"CreateCollection", "DropCollection", "unknown"}));
  EXPECT_LT(text.size(), 64u << 10);
}

// Connections that send half a request and wait do not keep a scrape from being answered.
TEST(MetricsTest, HalfSentRequestsDoNotBlockScrapes) {
  testing::ScopedTempDir dir;
  ServerProcess server(dir.path() + "/data", {"--metrics_listen=127.0.0.1:0"});
  const int port = MetricsPort(server);
  ASSERT_NE(port, 0);
  std::vector<int> idle;
  const auto opening = std::chrono::steady_clock::now();
  for (int i = 0; i < 100; ++i) {
    idle.push_back(Connect(port, 60));
    const std::string half = "GET /metr";
    (void)!send(idle.back(), half.data(), half.size(), MSG_NOSIGNAL);
  }
  const auto start = std::chrono::steady_clock::now();
  std::printf("100 half-sent requests opened in %.2f s\n",
              std::chrono::duration<double>(start - opening).count());
  const std::string response =
      Exchange(port, "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", 30);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(StatusOf(response), 200) << "no answer within 30 s behind 100 half-sent requests";
  std::printf("scrape behind 100 half-sent requests answered in %.2f s\n", seconds);
  for (int fd : idle) close(fd);
}

}  // namespace
}  // namespace tqdb
