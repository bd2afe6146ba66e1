// tqdb-server as a real process: health checking, graceful shutdown with a request in flight,
// malformed messages, SIGKILL + restart with real GloVe data, and concurrent clients. Each RPC's
// own behaviour and error codes are in server_rpc_test.cc.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "metrics_scrape.h"
#include "server_process.h"
#include "test_util.h"
#include "tqdb/database.h"
#include "tqdb/v1/tqdb.grpc.pb.h"

namespace tqdb {
namespace {

using ::grpc::StatusCode;
using testing::Call;
using testing::CreateRequest;
using testing::IdRange;
using testing::kDim;
using testing::ServerProcess;
using testing::UpsertRequest;

TEST(ServerTest, HealthServiceAnswersServing) {
  testing::ScopedTempDir dir;
  ServerProcess server(dir.path() + "/data");
  // grpc.health.v1.Health/Check with an empty request; the reply {status: SERVING} is 08 01.
  std::string reply;
  const grpc::Status status = RawCall(server, "/grpc.health.v1.Health/Check", "", &reply);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(reply, std::string("\x08\x01", 2));
}

TEST(ServerTest, GracefulShutdownFinishesInFlightRequestsAndKeepsData) {
  testing::ScopedTempDir dir;
  const std::string data = dir.path() + "/data";
  using S = v1::Tqdb::Stub;
  {
    ServerProcess server(data);
    v1::CreateCollectionResponse created;
    ASSERT_TRUE(Call(&S::CreateCollection, server, CreateRequest("c"), &created).ok());
    v1::UpsertResponse upserted;
    ASSERT_TRUE(Call(&S::Upsert, server, UpsertRequest("c", 0, 20000, 1), &upserted).ok());
    // A slow request (many queries, re-ranked) is in flight when SIGTERM arrives.
    v1::SearchBatchRequest batch;
    batch.set_collection("c");
    const std::vector<float> queries = testing::RandomUnitVectors(3000, kDim, 2);
    batch.mutable_queries()->Add(queries.begin(), queries.end());
    batch.mutable_options()->set_rerank(true);
    batch.mutable_options()->set_rerank_candidates(1000);
    grpc::Status in_flight;
    v1::SearchBatchResponse results;
    std::atomic<bool> answered{false};
    const double idle = server.CpuSeconds();
    std::thread client([&] {
      in_flight = Call(&S::SearchBatch, server, batch, &results);
      answered = true;
    });
    // Signal once the server is busy with the search (0.3 s of CPU), not before it has the
    // request: on a loaded machine a fixed sleep could signal before the request arrived.
    for (int i = 0; i < 3000 && server.CpuSeconds() < idle + 0.3; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_FALSE(answered) << "the search ended before the signal: the test needs a slower one";
    const int status = server.Stop(SIGTERM);
    client.join();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << server.Log();
    EXPECT_NE(server.Log().find("stopped cleanly"), std::string::npos) << server.Log();
    EXPECT_TRUE(in_flight.ok()) << in_flight.error_message();
    EXPECT_EQ(results.results_size(), 3000);
  }
  {
    ServerProcess server(data);
    EXPECT_NE(server.Log().find("collections=1 vectors=20000"), std::string::npos) << server.Log();
    v1::UpsertResponse upserted;
    ASSERT_TRUE(Call(&S::Upsert, server, UpsertRequest("c", 20000, 10, 3), &upserted).ok());
    server.Stop(SIGKILL);  // no goodbye: the acknowledged upsert must survive anyway
  }
  ServerProcess server(data);
  v1::DescribeCollectionRequest describe;
  describe.set_collection("c");
  v1::DescribeCollectionResponse described;
  ASSERT_TRUE(Call(&S::DescribeCollection, server, describe, &described).ok());
  EXPECT_EQ(described.count(), 20010);
}

TEST(ServerTest, MalformedMessagesAreRejectedWithoutHarm) {
  testing::ScopedTempDir dir;
  ServerProcess server(dir.path() + "/data");
  using S = v1::Tqdb::Stub;
  v1::CreateCollectionResponse created;
  ASSERT_TRUE(Call(&S::CreateCollection, server, CreateRequest("c"), &created).ok());
  for (const std::string& garbage : {std::string("\xff\xff\xff\xff\x0f"), std::string(1000, '\x0a'),
                                     std::string("\x12\x80\x80\x80\x80\x10")}) {
    for (const char* method : {"/tqdb.v1.Tqdb/Upsert", "/tqdb.v1.Tqdb/Search"}) {
      const grpc::Status status = RawCall(server, method, garbage);
      EXPECT_FALSE(status.ok()) << method;
    }
  }
  EXPECT_EQ(RawCall(server, "/tqdb.v1.Tqdb/NoSuchMethod", "").error_code(),
            StatusCode::UNIMPLEMENTED);
  // Still serving, data intact.
  v1::UpsertResponse upserted;
  EXPECT_TRUE(Call(&S::Upsert, server, UpsertRequest("c", 0, 10, 1), &upserted).ok());
}

TEST(ServerTest, GloveSearchesEqualInProcessAndSurviveRestart) {
  const DenseDataset& glove = testing::GloveFixture();
  const size_t nq = 100, n = glove.count - nq, d = glove.dim;
  testing::ScopedTempDir dir;
  using S = v1::Tqdb::Stub;
  v1::CreateCollectionRequest create;
  create.mutable_config()->set_name("glove");
  create.mutable_config()->set_dimension(d);
  create.mutable_config()->set_bits(4);
  v1::UpsertRequest upsert;
  upsert.set_collection("glove");
  for (uint64_t i = 0; i < n; ++i) upsert.add_ids(i);
  upsert.mutable_vectors()->Add(glove.values.begin(), glove.values.begin() + n * d);
  v1::SearchBatchRequest search;
  search.set_collection("glove");
  search.mutable_queries()->Add(glove.values.begin() + n * d, glove.values.end());
  search.mutable_options()->set_k(10);

  // In-process, same config: the reference answers.
  std::vector<std::vector<Record>> expected;
  {
    auto db = *Database::Open(dir.path() + "/inprocess");
    auto collection = *db->CreateCollection(MakeCollectionConfig("glove", d, 4));
    std::vector<uint64_t> ids(upsert.ids().begin(), upsert.ids().end());
    ASSERT_TRUE(collection->Upsert(ids, absl::MakeConstSpan(glove.values).first(n * d)).ok());
    expected = *collection->SearchBatch(absl::MakeConstSpan(glove.values).subspan(n * d, nq * d),
                                        SearchOptions());
  }
  auto expect_same = [&](const v1::SearchBatchResponse& got) {
    ASSERT_EQ(got.results_size(), nq);
    for (size_t q = 0; q < nq; ++q) {
      ASSERT_EQ(got.results(q).hits_size(), expected[q].size());
      for (size_t i = 0; i < expected[q].size(); ++i) {
        EXPECT_EQ(got.results(q).hits(i).id(), expected[q][i].id);
        EXPECT_EQ(got.results(q).hits(i).score(), expected[q][i].score);
      }
    }
  };
  const std::string data = dir.path() + "/server";
  {
    ServerProcess server(data);
    v1::CreateCollectionResponse created;
    ASSERT_TRUE(Call(&S::CreateCollection, server, create, &created).ok());
    v1::UpsertResponse upserted;
    ASSERT_TRUE(Call(&S::Upsert, server, upsert, &upserted).ok());
    v1::SearchBatchResponse got;
    ASSERT_TRUE(Call(&S::SearchBatch, server, search, &got).ok());
    expect_same(got);
    EXPECT_EQ(server.Stop(SIGTERM), 0);
  }
  ServerProcess server(data);
  v1::SearchBatchResponse got;
  ASSERT_TRUE(Call(&S::SearchBatch, server, search, &got).ok());
  expect_same(got);
}

// A server whose RocksDB cache and memtables are far smaller than the floats (1 MiB each
// against 3.6 MB) still re-ranks and gets exactly, reading the floats from its table files, and
// reports its memory by part within the bounds it was given.
TEST(ServerTest, SmallCacheStillAnswersRerankedSearchesAndGets) {
  const DenseDataset& glove = testing::GloveFixture();
  const size_t nq = 50, n = glove.count - nq, d = glove.dim;
  testing::ScopedTempDir dir;
  using S = v1::Tqdb::Stub;
  const absl::Span<const float> base = absl::MakeConstSpan(glove.values).first(n * d);
  const absl::Span<const float> queries = absl::MakeConstSpan(glove.values).subspan(n * d);
  SearchOptions options;
  options.k = 10;
  options.rerank = true;
  // Both collections are loaded alike, in batches of 1,000, each followed by the background
  // job it started (the center follows the data: where it is at search time must not depend on
  // the timing of a re-centering).
  std::vector<std::vector<Record>> expected;
  {
    auto db = *Database::Open(dir.path() + "/inprocess");
    auto collection = *db->CreateCollection(MakeCollectionConfig("glove", d, 2));
    for (size_t first = 0; first < n; first += 1000) {
      const size_t count = std::min<size_t>(1000, n - first);
      ASSERT_TRUE(
          collection->Upsert(IdRange(first, first + count), base.subspan(first * d, count * d))
              .ok());
      for (int i = 0; i < 1000; ++i) {
        const CollectionInfo info = collection->Describe();
        if (!info.background_jobs) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    expected = *collection->SearchBatch(queries, options);
  }
  ServerProcess server(dir.path() + "/data", {"--cache_mb=1", "--write_buffer_mb=1"});
  v1::CreateCollectionRequest create;
  create.mutable_config()->set_name("glove");
  create.mutable_config()->set_dimension(d);
  create.mutable_config()->set_bits(2);
  create.mutable_config()->set_rerank_store("disk");  // the re-rank reads RocksDB
  v1::CreateCollectionResponse created;
  ASSERT_TRUE(Call(&S::CreateCollection, server, create, &created).ok());
  for (size_t first = 0; first < n; first += 1000) {  // several memtable flushes
    v1::UpsertRequest upsert;
    upsert.set_collection("glove");
    const size_t count = std::min<size_t>(1000, n - first);
    for (size_t i = first; i < first + count; ++i) upsert.add_ids(i);
    upsert.mutable_vectors()->Add(base.begin() + first * d, base.begin() + (first + count) * d);
    v1::UpsertResponse upserted;
    ASSERT_TRUE(Call(&S::Upsert, server, upsert, &upserted).ok());
    v1::DescribeCollectionRequest describe;
    describe.set_collection("glove");
    for (int i = 0; i < 1000; ++i) {
      v1::DescribeCollectionResponse described;
      ASSERT_TRUE(Call(&S::DescribeCollection, server, describe, &described).ok());
      if (!described.background_jobs()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  v1::SearchBatchRequest search;
  search.set_collection("glove");
  search.mutable_queries()->Add(queries.begin(), queries.end());
  search.mutable_options()->set_k(10);
  search.mutable_options()->set_rerank(true);
  v1::SearchBatchResponse got;
  ASSERT_TRUE(Call(&S::SearchBatch, server, search, &got).ok());
  ASSERT_EQ(got.results_size(), nq);
  for (size_t q = 0; q < nq; ++q) {
    ASSERT_EQ(got.results(q).hits_size(), expected[q].size());
    for (size_t i = 0; i < expected[q].size(); ++i) {
      EXPECT_EQ(got.results(q).hits(i).id(), expected[q][i].id) << "query " << q;
      EXPECT_EQ(got.results(q).hits(i).score(), expected[q][i].score) << "query " << q;
    }
  }
  v1::GetRequest get;
  get.set_collection("glove");
  get.set_with_vectors(true);
  for (uint64_t id = 0; id < n; id += 97) get.add_ids(id);
  v1::GetResponse records;
  ASSERT_TRUE(Call(&S::Get, server, get, &records).ok());
  ASSERT_EQ(records.records_size(), get.ids_size());
  for (const v1::Record& record : records.records()) {
    ASSERT_EQ(record.vector_size(), d);
    for (size_t j = 0; j < d; ++j) {
      ASSERT_EQ(record.vector(j), base[record.id() * d + j]) << "id " << record.id();
    }
  }
  v1::GetServerStatsResponse stats;
  ASSERT_TRUE(Call(&S::GetServerStats, server, v1::GetServerStatsRequest(), &stats).ok());
  EXPECT_EQ(stats.vectors(), n);
  EXPECT_EQ(stats.block_cache_capacity(), 1u << 20);
  EXPECT_EQ(stats.write_buffer_limit(), 1u << 20);
  EXPECT_LE(stats.memtable_bytes(), 2u << 20);
  EXPECT_EQ(stats.index_memory().vectors(), 0u);
  EXPECT_GE(stats.index_memory().codes(), n * created.config().dimension() / 4);
  EXPECT_GT(stats.rss_bytes(), stats.startup_rss_bytes());
  // The baseline is the server without its data: above the process before it opened the
  // directory (gRPC threads started since), below the process now.
  EXPECT_GT(stats.baseline_rss_bytes(), stats.startup_rss_bytes());
  EXPECT_LT(stats.baseline_rss_bytes(), stats.rss_bytes());
  // The index lives on the heap, which the allocator counts.
  EXPECT_GE(stats.heap_in_use_bytes(), stats.index_memory().codes());
  EXPECT_GE(stats.accounted_bytes(), stats.index_memory().codes() + stats.block_cache_bytes());
}

TEST(ServerTest, EightConcurrentClientsLoseNoAcknowledgedWrite) {
  testing::ScopedTempDir dir;
  ServerProcess server(dir.path() + "/data");
  using S = v1::Tqdb::Stub;
  v1::CreateCollectionResponse created;
  ASSERT_TRUE(Call(&S::CreateCollection, server, CreateRequest("c"), &created).ok());
  constexpr int kClients = 8;
  constexpr uint64_t kBatch = 50;
  std::vector<std::vector<uint64_t>> acknowledged(kClients);
  std::atomic<int> errors{0};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      auto stub = v1::Tqdb::NewStub(
          grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials()));
      for (uint64_t round = 0; std::chrono::steady_clock::now() < deadline; ++round) {
        // Each client owns the ids c * 1e9 + ...; it upserts a batch, then searches.
        const uint64_t first = c * 1000000000ULL + round * kBatch;
        grpc::ClientContext upsert_context;
        v1::UpsertResponse upserted;
        if (stub->Upsert(&upsert_context, UpsertRequest("c", first, kBatch, first), &upserted)
                .ok()) {
          for (uint64_t i = 0; i < kBatch; ++i) acknowledged[c].push_back(first + i);
        } else {
          ++errors;
        }
        v1::SearchRequest search;
        search.set_collection("c");
        const std::vector<float> q = testing::RandomUnitVectors(1, kDim, round);
        search.mutable_query()->Add(q.begin(), q.end());
        grpc::ClientContext search_context;
        v1::SearchResponse found;
        if (!stub->Search(&search_context, search, &found).ok()) ++errors;
      }
    });
  }
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(errors.load(), 0);
  size_t total = 0;
  for (int c = 0; c < kClients; ++c) {
    v1::GetRequest get;
    get.set_collection("c");
    get.mutable_ids()->Add(acknowledged[c].begin(), acknowledged[c].end());
    v1::GetResponse got;
    ASSERT_TRUE(Call(&S::Get, server, get, &got).ok());
    for (const v1::Record& r : got.records()) EXPECT_TRUE(r.found()) << r.id();
    total += acknowledged[c].size();
  }
  v1::DescribeCollectionRequest describe;
  describe.set_collection("c");
  v1::DescribeCollectionResponse described;
  ASSERT_TRUE(Call(&S::DescribeCollection, server, describe, &described).ok());
  EXPECT_EQ(described.count(), total);
  EXPECT_GT(total, kClients * kBatch);
}

// Concurrent single searches on a server with one search thread, merging, are merged into batches
// (search_merger.h): each caller gets what the same query gets in a batch of all the queries,
// id for id and score for score, flat and partitioned; a query with a NaN among them fails
// alone; the metrics show queries merged (more queries than batches).
TEST(ServerTest, ConcurrentSingleSearchesAreMergedAndAnswerAsInABatch) {
  const DenseDataset& glove = testing::GloveFixture();
  constexpr size_t kQueries = 64;
  const size_t n = glove.count - kQueries, d = glove.dim;
  testing::ScopedTempDir dir;
  using S = v1::Tqdb::Stub;
  ServerProcess server(dir.path() + "/data",
                       {"--threads=1", "--merge_searches", "--metrics_listen=127.0.0.1:0"});
  v1::UpsertRequest upsert;
  for (uint64_t i = 0; i < n; ++i) upsert.add_ids(i);
  upsert.mutable_vectors()->Add(glove.values.begin(), glove.values.begin() + n * d);
  for (const std::string name : {"flat", "lists"}) {
    v1::CreateCollectionRequest create;
    create.mutable_config()->set_name(name);
    create.mutable_config()->set_dimension(d);
    create.mutable_config()->set_bits(2);
    create.mutable_config()->set_partition_at(0);
    v1::CreateCollectionResponse created;
    ASSERT_TRUE(Call(&S::CreateCollection, server, create, &created).ok());
    upsert.set_collection(name);
    v1::UpsertResponse upserted;
    ASSERT_TRUE(Call(&S::Upsert, server, upsert, &upserted).ok());
  }
  v1::RepartitionCollectionRequest repartition;
  repartition.set_collection("lists");
  repartition.set_lists(40);
  v1::RepartitionCollectionResponse repartitioned;
  ASSERT_TRUE(Call(&S::RepartitionCollection, server, repartition, &repartitioned).ok());

  for (const std::string name : {"flat", "lists"}) {
    for (const bool rerank : {false, true}) {
      v1::SearchOptions options;
      options.set_k(10);
      options.set_rerank(rerank);
      v1::SearchBatchRequest batch;
      batch.set_collection(name);
      batch.mutable_queries()->Add(glove.values.begin() + n * d, glove.values.end());
      *batch.mutable_options() = options;
      v1::SearchBatchResponse expected;
      ASSERT_TRUE(Call(&S::SearchBatch, server, batch, &expected).ok());
      ASSERT_EQ(expected.results_size(), static_cast<int>(kQueries));

      constexpr int kClients = 16, kRounds = 3;
      std::atomic<int> differ{0}, failed{0}, nan_refused{0};
      std::vector<std::thread> clients;
      for (int c = 0; c < kClients; ++c) {
        clients.emplace_back([&, c] {
          auto stub = v1::Tqdb::NewStub(
              grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials()));
          for (size_t q = c; q < kRounds * kQueries; q += kClients) {
            v1::SearchRequest search;
            search.set_collection(name);
            const float* row = &glove.values[(n + q % kQueries) * d];
            search.mutable_query()->Add(row, row + d);
            *search.mutable_options() = options;
            const bool poisoned = c == 0 && q % 5 == 0;
            if (poisoned) search.mutable_query()->Set(3, std::nanf(""));
            grpc::ClientContext context;
            context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
            v1::SearchResponse found;
            const grpc::Status status = stub->Search(&context, search, &found);
            if (poisoned) {
              nan_refused += status.error_code() == StatusCode::INVALID_ARGUMENT;
              continue;
            }
            if (!status.ok()) {
              ++failed;
              continue;
            }
            const auto& want = expected.results(static_cast<int>(q % kQueries)).hits();
            bool same = found.hits_size() == want.size();
            for (int i = 0; same && i < want.size(); ++i) {
              same = found.hits(i).id() == want[i].id() && found.hits(i).score() == want[i].score();
            }
            differ += !same;
          }
        });
      }
      for (std::thread& client : clients) client.join();
      EXPECT_EQ(failed.load(), 0) << name << " rerank " << rerank;
      EXPECT_EQ(differ.load(), 0) << name << " rerank " << rerank;
      int poisoned = 0;
      for (size_t q = 0; q < kRounds * kQueries; q += kClients) poisoned += q % 5 == 0;
      EXPECT_EQ(nan_refused.load(), poisoned) << name;
    }
  }
  const std::map<std::string, double> samples =
      testing::Parse(testing::Scrape(testing::MetricsPort(server)));
  const double batches = samples.at("tqdb_search_merger{count=\"batches\"}");
  const double queries = samples.at("tqdb_search_merger{count=\"queries\"}");
  EXPECT_EQ(queries, 4.0 * 3 * kQueries);  // every single search went through the merger
  EXPECT_LT(batches, queries) << "no search was merged";
}

TEST(ServerTest, ASecondServerCannotTakeTheSamePort) {
  // gRPC's default SO_REUSEPORT would let it bind, and new connections would split between two
  // data directories.
  testing::ScopedTempDir dir;
  ServerProcess first(dir.path() + "/a");
  const std::string log = dir.path() + "/b.log";
  const std::string command = std::string("timeout 30 ") + testing::ServerBinary() +
                              " --data_dir=" + dir.path() + "/b --listen=" + first.address() +
                              " 2> " + log;
  const int status = std::system(command.c_str());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << "exit status " << status;
  std::ifstream in(log);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("address is in use"), std::string::npos) << text;
  v1::ListCollectionsResponse listed;
  EXPECT_TRUE(
      Call(&v1::Tqdb::Stub::ListCollections, first, v1::ListCollectionsRequest(), &listed).ok());
}

TEST(ServerTest, OversizedResponsesAreRefusedBeforeTheyAreBuilt) {
  testing::ScopedTempDir dir;
  ServerProcess server(dir.path() + "/data");
  using S = v1::Tqdb::Stub;
  v1::CreateCollectionResponse created;
  ASSERT_TRUE(Call(&S::CreateCollection, server, CreateRequest("c"), &created).ok());
  constexpr uint64_t kCount = 16384;
  for (uint64_t first = 0; first < kCount; first += 4096) {
    v1::UpsertResponse upserted;
    ASSERT_TRUE(Call(&S::Upsert, server, UpsertRequest("c", first, 4096, first), &upserted).ok());
  }
  // The report's request: 40 queries, k = 16,384, with vectors. About 40 x 16,384 x 160 bytes
  // = 100 MiB of response, over the default limit of 64 MiB.
  v1::SearchBatchRequest batch;
  batch.set_collection("c");
  const std::vector<float> queries = testing::RandomUnitVectors(40, kDim, 9);
  batch.mutable_queries()->Add(queries.begin(), queries.end());
  batch.mutable_options()->set_k(16384);
  batch.mutable_options()->set_with_vectors(true);
  const size_t rss_before = server.RssBytes();
  v1::SearchBatchResponse answered;
  const grpc::Status refused = Call(&S::SearchBatch, server, batch, &answered);
  EXPECT_EQ(refused.error_code(), StatusCode::RESOURCE_EXHAUSTED) << refused.error_message();
  EXPECT_NE(refused.error_message().find("max_response_bytes"), std::string::npos)
      << refused.error_message();
  EXPECT_LT(server.RssBytes(), rss_before + (size_t{16} << 20))
      << "the refused response was built anyway";
  // The same search without vectors (about 20 MiB) is answered in full.
  batch.mutable_options()->set_with_vectors(false);
  ASSERT_TRUE(Call(&S::SearchBatch, server, batch, &answered).ok());
  ASSERT_EQ(answered.results_size(), 40);
  EXPECT_EQ(answered.results(0).hits_size(), 16384);

  // Payloads count too, once read: 80 payloads of 1 MiB (upserted in two requests, each under
  // the default --max_request_bytes of 64 MiB).
  for (uint64_t first = 0; first < 80; first += 40) {
    v1::UpsertRequest big = UpsertRequest("c", first, 40, 1);
    for (std::string& payload : *big.mutable_payloads()) payload.assign(size_t{1} << 20, 'x');
    v1::UpsertResponse upserted;
    ASSERT_TRUE(Call(&S::Upsert, server, big, &upserted).ok());
  }
  v1::GetRequest get;
  get.set_collection("c");
  for (uint64_t id = 0; id < 80; ++id) get.add_ids(id);
  get.set_with_payloads(true);
  v1::GetResponse got;
  const grpc::Status too_big = Call(&S::Get, server, get, &got);
  EXPECT_EQ(too_big.error_code(), StatusCode::RESOURCE_EXHAUSTED) << too_big.error_message();
  get.mutable_ids()->Truncate(10);
  EXPECT_TRUE(Call(&S::Get, server, get, &got).ok());
}

}  // namespace
}  // namespace tqdb
