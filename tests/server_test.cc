// tqdb-server as a real process on 127.0.0.1 and a free port: every RPC, the status codes of bad
// requests, health checking, graceful shutdown with a request in flight, and SIGKILL + restart.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <regex>
#include <thread>

#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "test_util.h"
#include "tqdb/database.h"
#include "tqdb/v1/tqdb.grpc.pb.h"

namespace tqdb {
namespace {

using ::grpc::StatusCode;

// A tqdb-server child process; its stderr goes to a file, parsed for the port it bound.
class ServerProcess {
 public:
  ServerProcess(const std::string& data_dir, std::vector<std::string> extra_flags = {}) {
    log_ = data_dir + ".log";
    pid_ = fork();
    if (pid_ == 0) {
      const int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, STDERR_FILENO);
      std::vector<std::string> args = {TQDB_SERVER_BINARY, "--data_dir=" + data_dir,
                                       "--listen=127.0.0.1:0", "--threads=2"};
      args.insert(args.end(), extra_flags.begin(), extra_flags.end());
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    const std::regex listening("listening on 127\\.0\\.0\\.1:([0-9]+)");
    for (int i = 0; i < 600 && port_ == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      std::smatch match;
      const std::string log = Log();
      if (std::regex_search(log, match, listening)) port_ = std::stoi(match[1]);
    }
    EXPECT_NE(port_, 0) << "server did not start; log:\n" << Log();
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(INT32_MAX);
    channel_ = grpc::CreateCustomChannel(address(), grpc::InsecureChannelCredentials(), args);
    stub_ = v1::Tqdb::NewStub(channel_);
  }
  ~ServerProcess() {
    if (pid_ > 0) Stop(SIGKILL);
  }

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  v1::Tqdb::Stub& stub() { return *stub_; }
  grpc::Channel& channel() { return *channel_; }
  std::string Log() const {
    std::ifstream in(log_);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  // Sends `signal` and returns the exit status.
  int Stop(int signal) {
    kill(pid_, signal);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string log_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Tqdb::Stub> stub_;
};

constexpr int kDim = 32;

v1::CreateCollectionRequest CreateRequest(const std::string& name, bool store_vectors = true) {
  v1::CreateCollectionRequest request;
  request.mutable_config()->set_name(name);
  request.mutable_config()->set_dimension(kDim);
  request.mutable_config()->set_bits(4);
  request.mutable_config()->set_store_vectors(store_vectors);
  return request;
}

v1::UpsertRequest UpsertRequest(const std::string& name, uint64_t first, size_t n, uint64_t seed) {
  v1::UpsertRequest request;
  request.set_collection(name);
  const std::vector<float> vectors = testing::RandomUnitVectors(n, kDim, seed);
  request.mutable_vectors()->Add(vectors.begin(), vectors.end());
  for (uint64_t i = 0; i < n; ++i) {
    request.add_ids(first + i);
    request.add_payloads("payload " + std::to_string(first + i));
  }
  return request;
}

template <typename Request, typename Response>
grpc::Status Call(grpc::Status (v1::Tqdb::Stub::*method)(grpc::ClientContext*, const Request&,
                                                         Response*),
                  ServerProcess& server, const Request& request, Response* response) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  return (server.stub().*method)(&context, request, response);
}

TEST(ServerTest, EveryRpcWorksAndBadRequestsGetTheRightCode) {
  testing::ScopedTempDir dir;
  ServerProcess server(dir.path() + "/data", {"--max_request_bytes=1000000"});
  using S = v1::Tqdb::Stub;

  v1::CreateCollectionResponse created;
  ASSERT_TRUE(Call(&S::CreateCollection, server, CreateRequest("docs"), &created).ok());
  EXPECT_EQ(created.config().variant(), "mse-ratio");
  EXPECT_EQ(Call(&S::CreateCollection, server, CreateRequest("docs"), &created).error_code(),
            StatusCode::ALREADY_EXISTS);
  v1::CreateCollectionRequest other = CreateRequest("docs");
  other.mutable_config()->set_dimension(64);
  other.set_if_not_exists(true);
  EXPECT_EQ(Call(&S::CreateCollection, server, other, &created).error_code(),
            StatusCode::FAILED_PRECONDITION);
  v1::CreateCollectionRequest bad = CreateRequest("bad name!");
  EXPECT_EQ(Call(&S::CreateCollection, server, bad, &created).error_code(),
            StatusCode::INVALID_ARGUMENT);
  bad = CreateRequest("x");
  bad.mutable_config()->set_bits(0);
  EXPECT_EQ(Call(&S::CreateCollection, server, bad, &created).error_code(),
            StatusCode::INVALID_ARGUMENT);
  for (uint32_t dimension : {0u, 65537u, 4294967295u}) {  // the engine's limit is 65,536
    bad = CreateRequest("x");
    bad.mutable_config()->set_dimension(dimension);
    grpc::Status status = Call(&S::CreateCollection, server, bad, &created);
    EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT) << dimension;
    EXPECT_NE(status.error_message().find("dimension must be in [1, 65536]"), std::string::npos)
        << status.error_message();
  }

  v1::UpsertResponse upserted;
  ASSERT_TRUE(Call(&S::Upsert, server, UpsertRequest("docs", 0, 500, 1), &upserted).ok());
  EXPECT_EQ(upserted.inserted(), 500);

  // Client-streaming bulk load: three messages, summed.
  {
    grpc::ClientContext context;
    v1::UpsertResponse streamed;
    auto writer = server.stub().UpsertStream(&context, &streamed);
    for (uint64_t b = 0; b < 3; ++b) {
      ASSERT_TRUE(writer->Write(UpsertRequest("docs", 500 + b * 100, 100, 10 + b)));
    }
    writer->WritesDone();
    ASSERT_TRUE(writer->Finish().ok());
    EXPECT_EQ(streamed.inserted(), 300);
  }

  v1::ListCollectionsResponse listed;
  ASSERT_TRUE(Call(&S::ListCollections, server, v1::ListCollectionsRequest(), &listed).ok());
  ASSERT_EQ(listed.names_size(), 1);
  v1::DescribeCollectionRequest describe;
  describe.set_collection("docs");
  v1::DescribeCollectionResponse described;
  ASSERT_TRUE(Call(&S::DescribeCollection, server, describe, &described).ok());
  EXPECT_EQ(described.count(), 800);
  EXPECT_EQ(described.code_bytes(), kDim * 4 / 8);

  // Search for a stored vector: it comes back first, with its payload.
  const v1::UpsertRequest first = UpsertRequest("docs", 0, 500, 1);
  v1::SearchRequest search;
  search.set_collection("docs");
  search.mutable_query()->Add(first.vectors().begin() + 7 * kDim,
                              first.vectors().begin() + 8 * kDim);
  search.mutable_options()->set_k(3);
  search.mutable_options()->set_rerank(true);
  search.mutable_options()->set_with_payloads(true);
  v1::SearchResponse found;
  ASSERT_TRUE(Call(&S::Search, server, search, &found).ok());
  ASSERT_EQ(found.hits_size(), 3);
  EXPECT_EQ(found.hits(0).id(), 7);
  EXPECT_NEAR(found.hits(0).score(), 1.0, 1e-5);
  EXPECT_EQ(found.hits(0).payload(), "payload 7");

  v1::SearchBatchRequest batch;
  batch.set_collection("docs");
  batch.mutable_queries()->Add(first.vectors().begin(), first.vectors().begin() + 4 * kDim);
  v1::SearchBatchResponse batch_found;
  ASSERT_TRUE(Call(&S::SearchBatch, server, batch, &batch_found).ok());
  ASSERT_EQ(batch_found.results_size(), 4);
  EXPECT_EQ(batch_found.results(2).hits_size(), 10);  // k = 0 means 10

  v1::GetRequest get;
  get.set_collection("docs");
  get.add_ids(3);
  get.add_ids(123456);
  get.set_with_vectors(true);
  get.set_with_payloads(true);
  v1::GetResponse got;
  ASSERT_TRUE(Call(&S::Get, server, get, &got).ok());
  ASSERT_EQ(got.records_size(), 2);
  EXPECT_TRUE(got.records(0).found());
  EXPECT_EQ(got.records(0).vector_size(), kDim);
  EXPECT_EQ(got.records(0).vector(5), first.vectors(3 * kDim + 5));
  EXPECT_FALSE(got.records(1).found());

  v1::DeleteRequest del;
  del.set_collection("docs");
  del.add_ids(7);
  v1::DeleteResponse deleted;
  ASSERT_TRUE(Call(&S::Delete, server, del, &deleted).ok());
  EXPECT_EQ(deleted.deleted(), 1);
  ASSERT_TRUE(Call(&S::Search, server, search, &found).ok());
  EXPECT_NE(found.hits(0).id(), 7);

  // Bad requests, each with its code and a message.
  auto expect_code = [](const grpc::Status& status, StatusCode code) {
    EXPECT_EQ(status.error_code(), code) << status.error_message();
    EXPECT_FALSE(status.error_message().empty());
  };
  v1::SearchRequest wrong = search;
  wrong.set_collection("nope");
  expect_code(Call(&S::Search, server, wrong, &found), StatusCode::NOT_FOUND);
  wrong = search;
  wrong.mutable_query()->RemoveLast();
  expect_code(Call(&S::Search, server, wrong, &found), StatusCode::INVALID_ARGUMENT);
  wrong = search;
  wrong.mutable_query()->Set(0, std::nanf(""));
  expect_code(Call(&S::Search, server, wrong, &found), StatusCode::INVALID_ARGUMENT);
  wrong = search;
  wrong.mutable_options()->set_k(100000);
  expect_code(Call(&S::Search, server, wrong, &found), StatusCode::INVALID_ARGUMENT);
  v1::UpsertRequest empty;
  empty.set_collection("docs");
  expect_code(Call(&S::Upsert, server, empty, &upserted), StatusCode::INVALID_ARGUMENT);
  v1::UpsertRequest inf = UpsertRequest("docs", 9000, 2, 3);
  inf.mutable_vectors()->Set(5, INFINITY);
  expect_code(Call(&S::Upsert, server, inf, &upserted), StatusCode::INVALID_ARGUMENT);
  // Larger than --max_request_bytes: refused before it reaches the engine.
  expect_code(Call(&S::Upsert, server, UpsertRequest("docs", 10000, 10000, 4), &upserted),
              StatusCode::RESOURCE_EXHAUSTED);
  v1::SearchBatchRequest ragged = batch;
  ragged.mutable_queries()->RemoveLast();
  v1::SearchBatchResponse ragged_found;
  expect_code(Call(&S::SearchBatch, server, ragged, &ragged_found), StatusCode::INVALID_ARGUMENT);
  ASSERT_TRUE(
      Call(&S::CreateCollection, server, CreateRequest("codes_only", false), &created).ok());
  ASSERT_TRUE(Call(&S::Upsert, server, UpsertRequest("codes_only", 0, 10, 5), &upserted).ok());
  v1::SearchRequest rerank = search;
  rerank.set_collection("codes_only");
  expect_code(Call(&S::Search, server, rerank, &found), StatusCode::FAILED_PRECONDITION);

  // Nothing above changed the stored data.
  ASSERT_TRUE(Call(&S::DescribeCollection, server, describe, &described).ok());
  EXPECT_EQ(described.count(), 799);

  v1::DropCollectionRequest drop;
  drop.set_collection("docs");
  v1::DropCollectionResponse dropped;
  ASSERT_TRUE(Call(&S::DropCollection, server, drop, &dropped).ok());
  expect_code(Call(&S::DropCollection, server, drop, &dropped), StatusCode::NOT_FOUND);
  expect_code(Call(&S::Search, server, search, &found), StatusCode::NOT_FOUND);
}

// Sends raw bytes to `method` through the generic stub; returns the call's status and, in
// `reply`, the response bytes.
grpc::Status RawCall(ServerProcess& server, const std::string& method, const std::string& bytes,
                     std::string* reply = nullptr) {
  grpc::GenericStub generic(std::shared_ptr<grpc::Channel>(&server.channel(), [](auto*) {}));
  grpc::ClientContext context;
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1), response;
  std::mutex mu;
  std::condition_variable done_cv;
  bool done = false;
  grpc::Status status;
  generic.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                    [&](grpc::Status s) {
                      std::lock_guard lock(mu);
                      status = s;
                      done = true;
                      done_cv.notify_all();
                    });
  std::unique_lock lock(mu);
  done_cv.wait(lock, [&] { return done; });
  if (reply != nullptr && status.ok()) {
    std::vector<grpc::Slice> slices;
    if (response.Dump(&slices).ok()) {
      for (const grpc::Slice& s : slices) {
        reply->append(reinterpret_cast<const char*>(s.begin()), s.size());
      }
    }
  }
  return status;
}

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
    std::thread client([&] { in_flight = Call(&S::SearchBatch, server, batch, &results); });
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
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

}  // namespace
}  // namespace tqdb
