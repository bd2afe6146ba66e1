// The metrics endpoint of a real server: it answers Prometheus text whose every sample line
// parses, and its request counters, latency histograms and collection gauges move with requests.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <regex>

#include "gtest/gtest.h"
#include "server_process.h"
#include "test_util.h"

namespace tqdb {
namespace {

using testing::Call;
using testing::ServerProcess;
using S = v1::Tqdb::Stub;

// GET http://127.0.0.1:`port`/metrics; the response body.
std::string Scrape(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  const std::string request = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  EXPECT_EQ(write(fd, request.data(), request.size()), static_cast<ssize_t>(request.size()));
  std::string response;
  char buffer[4096];
  for (ssize_t got; (got = read(fd, buffer, sizeof(buffer))) > 0;) response.append(buffer, got);
  close(fd);
  const size_t body = response.find("\r\n\r\n");
  EXPECT_NE(response.find(" 200 "), std::string::npos) << response.substr(0, 200);
  return body == std::string::npos ? "" : response.substr(body + 4);
}

// Every sample, by its name and labels; fails the test on a line that is not Prometheus text
// (values as Go's ParseFloat reads them: NaN and Inf in any case).
std::map<std::string, double> Parse(const std::string& text) {
  static const std::regex sample(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})?) ([-+]?([0-9.eE+-]+|[Ii][Nn][Ff]|[Nn][Aa][Nn]))$)");
  std::map<std::string, double> samples;
  size_t start = 0;
  for (size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
    const std::string line = text.substr(start, end - start);
    if (line.empty() || line[0] == '#') continue;
    std::smatch match;
    EXPECT_TRUE(std::regex_match(line, match, sample)) << "not Prometheus text: " << line;
    if (!match.empty()) samples[match[1]] = std::stod(match[3]);
  }
  return samples;
}

TEST(MetricsTest, EndpointParsesAndCountersMoveWithRequests) {
  testing::ScopedTempDir dir;
  ServerProcess server(dir.path() + "/data", {"--metrics_listen=127.0.0.1:0"});
  std::smatch match;
  const std::string log = server.Log();
  ASSERT_TRUE(std::regex_search(log, match, std::regex("metrics=127\\.0\\.0\\.1:([0-9]+)"))) << log;
  const int port = std::stoi(match[1]);

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

}  // namespace
}  // namespace tqdb
