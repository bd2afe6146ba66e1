// The HTTP/JSON API on a real tqdb-server (--http_listen=127.0.0.1:0): every route's happy path,
// the same answers as gRPC for the same searches on real GloVe vectors, each class of error with
// its gRPC code and matching HTTP status, and the route metrics.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "http_test_client.h"
#include "server_process.h"
#include "test_util.h"

namespace tqdb {
namespace {

using nlohmann::json;
using testing::Http;
using testing::HttpReply;
using testing::ServerProcess;

class HttpApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(
        dir_.path() + "/data", std::vector<std::string>{"--http_listen=127.0.0.1:0",
                                                        "--snapshot_dir=" + dir_.path() + "/snap"});
    ASSERT_NE(server_->http_port(), 0) << server_->Log();
  }
  HttpReply Call(const std::string& method, const std::string& path, const json& body = nullptr) {
    return Http(server_->http_port(), method, path, body.is_null() ? "" : body.dump());
  }
  // Creates `name` (cosine, 4 bits, dimension 4) with points 1..4 and payloads.
  void CreateSmallCollection(const std::string& name) {
    ASSERT_EQ(Call("PUT", "/collections/" + name, {{"dimension", 4}, {"bits", 4}}).status, 200);
    const json points = {
        {{"id", 1}, {"vector", {1, 0, 0, 0}}, {"payload", {{"city", "Paris"}, {"n", 1}}}},
        {{"id", 2}, {"vector", {0, 1, 0, 0}}, {"payload", {{"city", "Rome"}, {"n", 2}}}},
        {{"id", 3}, {"vector", {0.9, 0.1, 0, 0}}, {"payload", {{"city", "Paris"}, {"n", 3}}}},
        {{"id", 4}, {"vector", {0, 0, 1, 0}}}};
    const HttpReply upsert = Call("PUT", "/collections/" + name + "/points", {{"points", points}});
    ASSERT_EQ(upsert.status, 200) << upsert.text;
    EXPECT_EQ(upsert.json["inserted"], "4");
  }
  static std::vector<uint64_t> Ids(const json& points) {
    std::vector<uint64_t> ids;
    for (const json& point : points) ids.push_back(std::stoull(point["id"].get<std::string>()));
    return ids;
  }

  testing::ScopedTempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(HttpApiTest, CollectionsAreCreatedListedDescribedAndDropped) {
  EXPECT_EQ(Call("GET", "/healthz").json["status"], "ok");
  EXPECT_EQ(Call("GET", "/readyz").json["status"], "ok");
  CreateSmallCollection("docs");
  // PUT again with the same configuration succeeds; with another, FAILED_PRECONDITION (as gRPC's
  // CreateCollection with if_not_exists).
  EXPECT_EQ(Call("PUT", "/collections/docs", {{"dimension", 4}, {"bits", 4}}).status, 200);
  const HttpReply other = Call("PUT", "/collections/docs", {{"dimension", 8}, {"bits", 4}});
  EXPECT_EQ(other.status, 400) << other.text;
  EXPECT_EQ(other.code(), "FAILED_PRECONDITION");
  EXPECT_EQ(Call("GET", "/collections").json["names"], json({"docs"}));
  const HttpReply described = Call("GET", "/collections/docs");
  ASSERT_EQ(described.status, 200);
  EXPECT_EQ(described.json["count"], "4");
  EXPECT_EQ(described.json["config"]["dimension"], 4);
  EXPECT_EQ(described.json["config"]["metric"], "METRIC_COSINE");
  EXPECT_TRUE(described.json["memory"].contains("codes"));
  EXPECT_EQ(Call("DELETE", "/collections/docs").status, 200);
  EXPECT_EQ(Call("GET", "/collections/docs").code(), "NOT_FOUND");
}

TEST_F(HttpApiTest, PointsAreWrittenReadSearchedCountedScrolledAndDeleted) {
  CreateSmallCollection("docs");
  // Get: missing ids are left out; payloads by default, vectors when asked.
  HttpReply got =
      Call("POST", "/collections/docs/points", {{"ids", {3, 9}}, {"with_vector", true}});
  ASSERT_EQ(got.status, 200) << got.text;
  ASSERT_EQ(got.json["result"].size(), 1u);
  EXPECT_EQ(got.json["result"][0]["payload"]["city"], "Paris");
  EXPECT_NEAR(got.json["result"][0]["vector"][0].get<double>(), 0.9, 1e-6);

  HttpReply search = Call("POST", "/collections/docs/points/search",
                          {{"vector", {1, 0, 0, 0}}, {"limit", 2}, {"with_payload", true}});
  ASSERT_EQ(search.status, 200) << search.text;
  EXPECT_EQ(Ids(search.json["result"]), (std::vector<uint64_t>{1, 3}));
  EXPECT_NEAR(search.json["result"][0]["score"].get<double>(), 1.0, 0.02);
  EXPECT_EQ(search.json["result"][1]["payload"]["n"], 3);

  // By a stored point's vector; with a filter (and its plan).
  search = Call("POST", "/collections/docs/points/search", {{"id", 2}, {"limit", 1}});
  EXPECT_EQ(Ids(search.json["result"]), (std::vector<uint64_t>{2}));
  const json rome = {{"must", {{{"key", "city"}, {"match", {{"value", "Rome"}}}}}}};
  search = Call("POST", "/collections/docs/points/search",
                {{"vector", {1, 0, 0, 0}}, {"limit", 3}, {"filter", rome}, {"explain", true}});
  ASSERT_EQ(search.status, 200) << search.text;
  EXPECT_EQ(Ids(search.json["result"]), (std::vector<uint64_t>{2}));
  EXPECT_EQ(search.json["plan"]["passing"], "1");

  // A batch sharing its options runs as one; one that mixes them runs each alone: same answers.
  const json shared = {
      {"searches",
       {{{"vector", {1, 0, 0, 0}}, {"limit", 1}}, {{"vector", {0, 0, 1, 0}}, {"limit", 1}}}}};
  const json mixed = {{"searches",
                       {{{"vector", {1, 0, 0, 0}}, {"limit", 1}},
                        {{"id", 4}, {"limit", 1}},
                        {{"vector", {0, 1, 0, 0}}, {"limit", 2}, {"filter", rome}}}}};
  HttpReply batch = Call("POST", "/collections/docs/points/search/batch", shared);
  ASSERT_EQ(batch.status, 200) << batch.text;
  EXPECT_EQ(Ids(batch.json["result"][0]["result"]), (std::vector<uint64_t>{1}));
  EXPECT_EQ(Ids(batch.json["result"][1]["result"]), (std::vector<uint64_t>{4}));
  batch = Call("POST", "/collections/docs/points/search/batch", mixed);
  ASSERT_EQ(batch.status, 200) << batch.text;
  EXPECT_EQ(Ids(batch.json["result"][1]["result"]), (std::vector<uint64_t>{4}));
  EXPECT_EQ(Ids(batch.json["result"][2]["result"]), (std::vector<uint64_t>{2}));

  const json paris = {{"must", {{{"key", "city"}, {"match", {{"value", "Paris"}}}}}}};
  EXPECT_EQ(Call("POST", "/collections/docs/points/count", json::object()).json["count"], "4");
  EXPECT_EQ(Call("POST", "/collections/docs/points/count", {{"filter", paris}}).json["count"], "2");

  // Scroll in pages of 3: ids 1..3, then 4 and no next page.
  HttpReply page = Call("POST", "/collections/docs/points/scroll", {{"limit", 3}});
  ASSERT_EQ(page.status, 200) << page.text;
  EXPECT_EQ(Ids(page.json["points"]), (std::vector<uint64_t>{1, 2, 3}));
  page = Call("POST", "/collections/docs/points/scroll",
              {{"limit", 3}, {"offset", page.json["next_page_offset"]}});
  EXPECT_EQ(Ids(page.json["points"]), (std::vector<uint64_t>{4}));
  EXPECT_FALSE(page.json.contains("next_page_offset"));

  HttpReply deleted = Call("POST", "/collections/docs/points/delete", {{"filter", paris}});
  ASSERT_EQ(deleted.status, 200) << deleted.text;
  EXPECT_EQ(deleted.json["deleted"], "2");
  deleted = Call("POST", "/collections/docs/points/delete", {{"points", {4, 5}}});
  EXPECT_EQ(deleted.json["deleted"], "1");
  EXPECT_EQ(Call("POST", "/collections/docs/points/count").json["count"], "1");
}

// `curl -d` labels its body application/x-www-form-urlencoded; it is still JSON, whatever its
// size (cpp-httplib alone would parse it as form fields and refuse it past 8 KiB).
TEST_F(HttpApiTest, BodiesLabelledAsFormsAreReadAsJson) {
  ASSERT_EQ(Call("PUT", "/collections/wide", {{"dimension", 1536}, {"bits", 4}}).status, 200);
  json points = json::array();
  for (int i = 0; i < 20; ++i) {
    points.push_back({{"id", i}, {"vector", std::vector<float>(1536, 0.25f + 0.01f * i)}});
  }
  const std::string body = json{{"points", points}}.dump();
  ASSERT_GT(body.size(), 100000u);
  const HttpReply reply = Http(server_->http_port(), "PUT", "/collections/wide/points", body, {},
                               "application/x-www-form-urlencoded");
  EXPECT_EQ(reply.status, 200) << reply.text;
  EXPECT_EQ(reply.json["inserted"], "20");
}

TEST_F(HttpApiTest, PayloadsAreSetOverwrittenTrimmedClearedAndIndexed) {
  CreateSmallCollection("docs");
  auto payload_of = [&](int id) {
    return Call("POST", "/collections/docs/points", {{"ids", {id}}}).json["result"][0]["payload"];
  };
  EXPECT_EQ(Call("POST", "/collections/docs/points/payload",
                 {{"payload", {{"tag", "new"}}}, {"points", {1, 2}}})
                .json["updated"],
            "2");
  EXPECT_EQ(payload_of(1), json({{"city", "Paris"}, {"n", 1}, {"tag", "new"}}));
  EXPECT_EQ(Call("PUT", "/collections/docs/points/payload",
                 {{"payload", {{"only", true}}}, {"points", {2}}})
                .status,
            200);
  EXPECT_EQ(payload_of(2), json({{"only", true}}));
  EXPECT_EQ(Call("POST", "/collections/docs/points/payload/delete",
                 {{"keys", {"tag", "n"}}, {"points", {1}}})
                .status,
            200);
  EXPECT_EQ(payload_of(1), json({{"city", "Paris"}}));
  const json paris = {{"must", {{{"key", "city"}, {"match", {{"value", "Paris"}}}}}}};
  EXPECT_EQ(
      Call("POST", "/collections/docs/points/payload/clear", {{"filter", paris}}).json["updated"],
      "2");
  EXPECT_FALSE(payload_of(3).is_object());

  const HttpReply index =
      Call("PUT", "/collections/docs/index", {{"field_name", "only"}, {"field_schema", "bool"}});
  ASSERT_EQ(index.status, 200) << index.text;
  const json described = Call("GET", "/collections/docs").json;
  ASSERT_EQ(described["payload_indexes"].size(), 1u);
  EXPECT_EQ(described["payload_indexes"][0]["key"], "only");
  EXPECT_EQ(Call("PUT", "/collections/docs/index", {{"field_name", "x"}, {"field_schema", "blob"}})
                .status,
            400);
}

TEST_F(HttpApiTest, AdminRoutesRecenterRepartitionSnapshotAndReportStats) {
  CreateSmallCollection("docs");
  const HttpReply drift = Call("POST", "/collections/docs/recenter", {{"dry_run", true}});
  ASSERT_EQ(drift.status, 200) << drift.text;
  EXPECT_TRUE(drift.json["drift"].is_number());
  EXPECT_EQ(drift.json["reencoded"], "0");
  const HttpReply lists = Call("POST", "/collections/docs/repartition", {{"lists", 2}});
  ASSERT_EQ(lists.status, 200) << lists.text;
  EXPECT_EQ(lists.json["partitioning"]["list_sizes"].size(), 2u);
  EXPECT_EQ(Call("POST", "/collections/docs/recenter", {{"collection", "other"}}).code(),
            "INVALID_ARGUMENT");

  const HttpReply one = Call("POST", "/collections/docs/snapshots", {{"name", "one"}});
  ASSERT_EQ(one.status, 200) << one.text;
  EXPECT_NE(one.json["path"].get<std::string>().find("one"), std::string::npos);
  EXPECT_EQ(Call("POST", "/snapshots", {{"name", "all"}}).status, 200);
  EXPECT_EQ(Call("POST", "/snapshots", {{"name", "../x"}}).status, 400);

  const HttpReply stats = Call("GET", "/stats");
  ASSERT_EQ(stats.status, 200) << stats.text;
  EXPECT_EQ(stats.json["vectors"], "4");
  EXPECT_NE(stats.json["rss_bytes"], "0");
}

TEST_F(HttpApiTest, RestAndGrpcGiveIdenticalSearches) {
  std::vector<float> base, queries;
  testing::SplitGloveFixture(20, &base, &queries);
  constexpr int kDimGlove = 100;
  const size_t n = 3000;
  v1::CreateCollectionRequest create;
  create.mutable_config()->set_name("glove");
  create.mutable_config()->set_dimension(kDimGlove);
  create.mutable_config()->set_bits(4);
  v1::CreateCollectionResponse created;
  ASSERT_TRUE(testing::Call(&v1::Tqdb::Stub::CreateCollection, *server_, create, &created).ok());
  v1::UpsertRequest upsert;
  upsert.set_collection("glove");
  for (size_t i = 0; i < n; ++i) {
    upsert.add_ids(i);
    upsert.add_payloads(absl::StrCat("{\"bucket\": ", i % 3, "}"));
  }
  upsert.mutable_vectors()->Add(base.begin(), base.begin() + n * kDimGlove);
  v1::UpsertResponse upserted;
  ASSERT_TRUE(testing::Call(&v1::Tqdb::Stub::Upsert, *server_, upsert, &upserted).ok());

  const json bucket = {{"must", {{{"key", "bucket"}, {"match", {{"value", 1}}}}}}};
  for (const bool rerank : {false, true}) {
    for (const bool filtered : {false, true}) {
      SCOPED_TRACE(absl::StrCat("rerank ", rerank, " filtered ", filtered));
      json batch = {{"searches", json::array()}};
      v1::SearchBatchRequest grpc_batch;
      grpc_batch.set_collection("glove");
      for (size_t q = 0; q < 20; ++q) {
        const std::vector<float> query(queries.begin() + q * kDimGlove,
                                       queries.begin() + (q + 1) * kDimGlove);
        json body = {{"vector", query}, {"limit", 10}, {"params", {{"rerank", rerank}}}};
        v1::SearchRequest request;
        request.set_collection("glove");
        request.mutable_query()->Add(query.begin(), query.end());
        request.mutable_options()->set_k(10);
        request.mutable_options()->set_rerank(rerank);
        if (filtered) {
          body["filter"] = bucket;
          request.mutable_options()->set_filter(bucket.dump());
        }
        v1::SearchResponse expected;
        ASSERT_TRUE(testing::Call(&v1::Tqdb::Stub::Search, *server_, request, &expected).ok());
        const HttpReply reply = Call("POST", "/collections/glove/points/search", body);
        ASSERT_EQ(reply.status, 200) << reply.text;
        ASSERT_EQ(reply.json["result"].size(), static_cast<size_t>(expected.hits_size()));
        for (int i = 0; i < expected.hits_size(); ++i) {
          EXPECT_EQ(Ids(reply.json["result"])[i], expected.hits(i).id());
          // protobuf writes a float with the digits that read back to the same float.
          EXPECT_EQ(reply.json["result"][i]["score"].get<float>(), expected.hits(i).score());
        }
        batch["searches"].push_back(body);
        grpc_batch.mutable_queries()->Add(query.begin(), query.end());
        *grpc_batch.mutable_options() = request.options();
      }
      v1::SearchBatchResponse expected;
      ASSERT_TRUE(
          testing::Call(&v1::Tqdb::Stub::SearchBatch, *server_, grpc_batch, &expected).ok());
      const HttpReply reply = Call("POST", "/collections/glove/points/search/batch", batch);
      ASSERT_EQ(reply.status, 200) << reply.text;
      for (int q = 0; q < expected.results_size(); ++q) {
        std::vector<uint64_t> want;
        for (const v1::Record& hit : expected.results(q).hits()) want.push_back(hit.id());
        EXPECT_EQ(Ids(reply.json["result"][q]["result"]), want);
      }
    }
  }
}

TEST_F(HttpApiTest, ErrorsCarryTheGrpcCodeAndTheMatchingHttpStatus) {
  CreateSmallCollection("docs");
  struct Case {
    const char* what;
    std::string method, path, body;
    int status;
    const char* code;
  };
  const std::string search = "/collections/docs/points/search";
  const std::vector<Case> cases = {
      {"bad JSON", "POST", search, "{\"vector\": [1, 0", 400, "INVALID_ARGUMENT"},
      {"wrong type", "POST", search, R"({"vector": [1,0,0,0], "limit": "ten"})", 400,
       "INVALID_ARGUMENT"},
      {"unknown field", "POST", search, R"({"vectr": [1,0,0,0]})", 400, "INVALID_ARGUMENT"},
      {"wrong dimension", "POST", search, R"({"vector": [1,0,0]})", 400, "INVALID_ARGUMENT"},
      {"NaN", "POST", search, R"({"vector": [1,0,0,"NaN"]})", 400, "INVALID_ARGUMENT"},
      {"k out of range", "POST", search, R"({"vector": [1,0,0,0], "limit": 100000})", 400,
       "INVALID_ARGUMENT"},
      {"bad filter", "POST", search, R"({"vector": [1,0,0,0], "filter": {"must": 3}})", 400,
       "INVALID_ARGUMENT"},
      {"unknown collection", "POST", "/collections/nope/points/search", R"({"vector": [1,0,0,0]})",
       404, "NOT_FOUND"},
      {"unknown id", "POST", search, R"({"id": 77})", 404, "NOT_FOUND"},
      {"vectors of two lengths", "PUT", "/collections/docs/points",
       R"({"points": [{"id": 5, "vector": [1,0,0,0,1]}, {"id": 6, "vector": [1,0,0]}]})", 400,
       "INVALID_ARGUMENT"},
      {"empty upsert", "PUT", "/collections/docs/points", R"({"points": []})", 400,
       "INVALID_ARGUMENT"},
      {"bad name", "PUT", "/collections/.hidden", R"({"dimension": 4, "bits": 4})", 400,
       "INVALID_ARGUMENT"},
      {"no route", "GET", "/nothing/here", "", 404, "NOT_FOUND"},
      {"wrong method", "PATCH", "/collections/docs", "{}", 405, "UNIMPLEMENTED"},
      {"bad timeout", "POST", search + "?timeout=-1", R"({"vector": [1,0,0,0]})", 400,
       "INVALID_ARGUMENT"},
  };
  for (const Case& c : cases) {
    const HttpReply reply = Http(server_->http_port(), c.method, c.path, c.body);
    EXPECT_EQ(reply.status, c.status) << c.what << ": " << reply.text;
    EXPECT_EQ(reply.code(), c.code) << c.what << ": " << reply.text;
    EXPECT_EQ(reply.json["error"]["http_status"], c.status) << c.what;
    EXPECT_FALSE(reply.json["error"]["message"].get<std::string>().empty()) << c.what;
  }
  // Nothing above changed the collection.
  EXPECT_EQ(Call("POST", "/collections/docs/points/count").json["count"], "4");
}

TEST_F(HttpApiTest, MetricsCountRequestsByRouteAndStatus) {
  CreateSmallCollection("docs");
  Call("POST", "/collections/docs/points/search", {{"vector", {1, 0, 0, 0}}});
  Call("POST", "/collections/nope/points/search", {{"vector", {1, 0, 0, 0}}});
  Call("GET", "/no/such/route");
  // A request is counted once its answer is sent, so a scrape right after may miss it.
  const std::vector<std::string> series = {
      R"(tqdb_http_requests_total{route="POST /collections/{name}/points/search",status="200"} 1)",
      R"(tqdb_http_requests_total{route="POST /collections/{name}/points/search",status="404"} 1)",
      R"(tqdb_http_requests_total{route="unknown",status="404"} 1)",
      R"(tqdb_http_request_seconds_count{route="PUT /collections/{name}/points"} 1)"};
  HttpReply metrics;
  auto all_there = [&] {
    for (const std::string& line : series) {
      if (metrics.text.find(line) == std::string::npos) return false;
    }
    return true;
  };
  for (int attempt = 0; attempt < 50; ++attempt) {
    metrics = Call("GET", "/metrics");
    if (all_there()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(metrics.status, 200);
  EXPECT_TRUE(all_there()) << metrics.text;
}

// Small limits: a body over --max_request_bytes is refused with 413 before the handler; an
// answer over --max_response_bytes with RESOURCE_EXHAUSTED; nothing is stored from either.
TEST(HttpLimitsTest, BodiesAndAnswersOverTheLimitsAreRefused) {
  testing::ScopedTempDir dir;
  ServerProcess server(
      dir.path() + "/data",
      {"--http_listen=127.0.0.1:0", "--max_request_bytes=3000", "--max_response_bytes=3000"});
  const int port = server.http_port();
  ASSERT_EQ(Http(port, "PUT", "/collections/docs", R"({"dimension": 100, "bits": 4})").status, 200);
  // Floats of many digits: about 12 bytes each in JSON, 4 in protobuf.
  std::vector<float> vector(100);
  for (int i = 0; i < 100; ++i) vector[i] = 0.123456789f + 0.001f * static_cast<float>(i);
  json points = json::array();
  for (int i = 0; i < 3; ++i) points.push_back({{"id", i}, {"vector", vector}});
  // nlohmann writes a float as the double it widens to: about 20 bytes each, 2,000 a point.
  HttpReply reply = Http(port, "PUT", "/collections/docs/points", json{{"points", points}}.dump());
  EXPECT_EQ(reply.status, 413) << reply.text;
  EXPECT_EQ(reply.code(), "RESOURCE_EXHAUSTED");
  EXPECT_EQ(Http(port, "POST", "/collections/docs/points/count").json["count"], "0");
  for (const json& point : points) {
    ASSERT_EQ(
        Http(port, "PUT", "/collections/docs/points", json{{"points", {point}}}.dump()).status,
        200);
  }
  // Within the server's (protobuf) budget, but not as JSON.
  reply = Http(port, "POST", "/collections/docs/points/search",
               json{{"vector", vector}, {"with_vector", true}}.dump());
  EXPECT_EQ(reply.status, 429) << reply.text;
  EXPECT_EQ(reply.code(), "RESOURCE_EXHAUSTED");
  EXPECT_EQ(Http(port, "POST", "/collections/docs/points/count").json["count"], "3");
}

}  // namespace
}  // namespace tqdb
