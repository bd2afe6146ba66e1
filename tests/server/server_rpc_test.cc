// Every RPC of tqdb.v1.Tqdb against a real tqdb-server process on 127.0.0.1: what it returns, the
// status code of each kind of bad request, and that a refused request changes nothing stored.
#include <cmath>
#include <memory>
#include <string>
#include <tuple>

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "server_process.h"
#include "test_util.h"
#include "tqdb/v1/tqdb.grpc.pb.h"

namespace tqdb {
namespace {

using ::grpc::StatusCode;
using testing::Call;
using testing::CreateRequest;
using testing::kDim;
using testing::ServerProcess;
using testing::UpsertRequest;
using S = v1::Tqdb::Stub;

void ExpectCode(const grpc::Status& status, StatusCode code) {
  EXPECT_EQ(status.error_code(), code) << status.error_message();
  EXPECT_FALSE(status.error_message().empty());
}

// A server with collection "docs" holding vectors 0..499 (with payloads "payload <id>").
class ServerRpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(
        dir_.path() + "/data",
        std::vector<std::string>{"--max_request_bytes=1000000", "--max_collections=3",
                                 "--max_dimension=4096",
                                 "--snapshot_dir=" + dir_.path() + "/snaps"});
    v1::CreateCollectionResponse created;
    ASSERT_TRUE(Call(&S::CreateCollection, *server_, CreateRequest("docs"), &created).ok());
    EXPECT_EQ(created.config().variant(), "mse-ratio");
    v1::UpsertResponse upserted;
    ASSERT_TRUE(Call(&S::Upsert, *server_, stored_, &upserted).ok());
    ASSERT_EQ(upserted.inserted(), 500);
  }

  int64_t Count(const std::string& collection) {
    v1::DescribeCollectionRequest describe;
    describe.set_collection(collection);
    v1::DescribeCollectionResponse described;
    EXPECT_TRUE(Call(&S::DescribeCollection, *server_, describe, &described).ok());
    return described.count();
  }

  // A search for stored vector `row`, re-ranked, k = 3, with payloads.
  v1::SearchRequest SearchFor(int row) const {
    v1::SearchRequest search;
    search.set_collection("docs");
    search.mutable_query()->Add(stored_.vectors().begin() + row * kDim,
                                stored_.vectors().begin() + (row + 1) * kDim);
    search.mutable_options()->set_k(3);
    search.mutable_options()->set_rerank(true);
    search.mutable_options()->set_with_payloads(true);
    return search;
  }

  testing::ScopedTempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  const v1::UpsertRequest stored_ = UpsertRequest("docs", 0, 500, 1);
};

TEST_F(ServerRpcTest, CreateCollection) {
  v1::CreateCollectionResponse created;
  ExpectCode(Call(&S::CreateCollection, *server_, CreateRequest("docs"), &created),
             StatusCode::ALREADY_EXISTS);
  v1::CreateCollectionRequest other = CreateRequest("docs");
  other.mutable_config()->set_dimension(64);
  other.set_if_not_exists(true);
  ExpectCode(Call(&S::CreateCollection, *server_, other, &created),
             StatusCode::FAILED_PRECONDITION);
  ExpectCode(Call(&S::CreateCollection, *server_, CreateRequest("bad name!"), &created),
             StatusCode::INVALID_ARGUMENT);
  v1::CreateCollectionRequest bad = CreateRequest("x");
  bad.mutable_config()->set_bits(0);
  ExpectCode(Call(&S::CreateCollection, *server_, bad, &created), StatusCode::INVALID_ARGUMENT);
  for (uint32_t dimension : {0u, 65537u, 4294967295u}) {  // the engine's limit is 65,536
    bad = CreateRequest("x");
    bad.mutable_config()->set_dimension(dimension);
    const grpc::Status status = Call(&S::CreateCollection, *server_, bad, &created);
    EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT) << dimension;
    EXPECT_NE(status.error_message().find("dimension must be in [1, 65536], got " +
                                          std::to_string(dimension)),
              std::string::npos)
        << status.error_message();
  }
  for (uint32_t bits : {9u, 255u, 4294967295u}) {  // the message names the value sent
    bad = CreateRequest("x");
    bad.mutable_config()->set_bits(bits);
    const grpc::Status status = Call(&S::CreateCollection, *server_, bad, &created);
    EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT) << bits;
    EXPECT_NE(status.error_message().find("got " + std::to_string(bits)), std::string::npos)
        << status.error_message();
  }
  bad = CreateRequest("x");
  bad.mutable_config()->set_centering("sideways");
  ExpectCode(Call(&S::CreateCollection, *server_, bad, &created), StatusCode::INVALID_ARGUMENT);
  bad = CreateRequest("x");
  bad.mutable_config()->set_metric(v1::METRIC_INNER_PRODUCT);
  bad.mutable_config()->set_centering("auto");
  ExpectCode(Call(&S::CreateCollection, *server_, bad, &created), StatusCode::INVALID_ARGUMENT);
  bad = CreateRequest("x");
  bad.mutable_config()->add_center(1);  // not kDim values
  ExpectCode(Call(&S::CreateCollection, *server_, bad, &created), StatusCode::INVALID_ARGUMENT);
  bad = CreateRequest("x");
  bad.mutable_config()->set_rerank_store("f64");
  ExpectCode(Call(&S::CreateCollection, *server_, bad, &created), StatusCode::INVALID_ARGUMENT);
  bad = CreateRequest("x", /*store_vectors=*/false);
  bad.mutable_config()->set_rerank_store("f16");  // a copy of floats that are not stored
  ExpectCode(Call(&S::CreateCollection, *server_, bad, &created), StatusCode::INVALID_ARGUMENT);
  v1::ListCollectionsResponse listed;
  ASSERT_TRUE(Call(&S::ListCollections, *server_, v1::ListCollectionsRequest(), &listed).ok());
  EXPECT_EQ(listed.names_size(), 1);  // none of the refused ones
}

TEST_F(ServerRpcTest, FractionalBitsByteBudgetsAndCompactFactorsSurviveARestart) {
  v1::CreateCollectionResponse created;
  v1::CreateCollectionRequest half = CreateRequest("half");
  half.mutable_config()->set_bits(1);
  half.mutable_config()->set_bit_eighths(4);
  ASSERT_TRUE(Call(&S::CreateCollection, *server_, half, &created).ok());
  EXPECT_EQ(created.config().bit_eighths(), 4u);
  EXPECT_EQ(created.config().variant(), "mse-ratio");  // tq-prod takes whole bits
  // The fixture's server holds 3 collections at most: these two go before "budget" comes.
  auto drop = [&](const std::string& name) {
    v1::DropCollectionRequest request;
    request.set_collection(name);
    v1::DropCollectionResponse dropped;
    ASSERT_TRUE(Call(&S::DropCollection, *server_, request, &dropped).ok());
  };
  v1::CreateCollectionRequest wide = CreateRequest("wide");
  wide.mutable_config()->clear_bits();
  wide.mutable_config()->set_bytes_per_vector(20);
  wide.mutable_config()->set_factor_bits(32);
  const grpc::Status wide_status = Call(&S::CreateCollection, *server_, wide, &created);
  ASSERT_TRUE(wide_status.ok()) << wide_status.error_message();
  // 32-bit factors: 3 bits is 12 + 8 bytes; 3.125 would be 13 + 8.
  EXPECT_EQ(created.config().bits(), 3u);
  EXPECT_EQ(created.config().bit_eighths(), 0u);
  EXPECT_EQ(created.config().factor_bits(), 32u);
  drop("wide");
  v1::UpsertResponse upserted;
  // A vector whose norm 16-bit factors cannot hold is refused, under L2 (cosine normalizes).
  v1::CreateCollectionRequest l2 = CreateRequest("l2");
  l2.mutable_config()->set_metric(v1::METRIC_L2);
  l2.mutable_config()->set_factor_bits(16);
  ASSERT_TRUE(Call(&S::CreateCollection, *server_, l2, &created).ok());
  v1::UpsertRequest large = UpsertRequest("l2", 0, 1, 7);
  large.set_vectors(0, 40000);
  ExpectCode(Call(&S::Upsert, *server_, large, &upserted), StatusCode::INVALID_ARGUMENT);
  drop("l2");
  v1::CreateCollectionRequest budget = CreateRequest("budget");
  budget.mutable_config()->clear_bits();
  budget.mutable_config()->set_bytes_per_vector(20);
  ASSERT_TRUE(Call(&S::CreateCollection, *server_, budget, &created).ok());
  // d = 32 with 16-bit factors (a budget's default): 4 bits is 16 + 4 bytes; 4.125 would be
  // 17 + 4.
  EXPECT_EQ(created.config().bits(), 4u);
  EXPECT_EQ(created.config().bit_eighths(), 0u);
  EXPECT_EQ(created.config().factor_bits(), 16u);
  for (auto [bits, eighths, bytes, variant] : {std::tuple{1u, 8u, 0u, ""},
                                               {1u, 4u, 0u, "prod"},
                                               {8u, 1u, 0u, ""},
                                               {0u, 0u, 5u, ""},
                                               {2u, 0u, 40u, ""}}) {
    v1::CreateCollectionRequest bad = CreateRequest("x");
    bad.mutable_config()->set_factor_bits(bits == 8 ? 24 : 32);  // 24: not a factor width
    bad.mutable_config()->set_bits(bits);
    bad.mutable_config()->set_bit_eighths(eighths);
    if (bytes > 0) bad.mutable_config()->set_bytes_per_vector(bytes);
    bad.mutable_config()->set_variant(variant);
    ExpectCode(Call(&S::CreateCollection, *server_, bad, &created), StatusCode::INVALID_ARGUMENT);
  }

  for (const char* name : {"half", "budget"}) {
    ASSERT_TRUE(Call(&S::Upsert, *server_, UpsertRequest(name, 0, 300, 7), &upserted).ok());
  }
  auto check = [&] {
    // 1.5 bits: 16 of 32 coordinates at 2 bits, 6 bytes of code and 8 of factors; the budget:
    // 4 bits and 16-bit factors, 16 + 4 bytes.
    for (auto [name, bits, eighths, code_bytes, bytes] :
         {std::tuple{"half", 1u, 4u, 6u, 14u}, {"budget", 4u, 0u, 16u, 20u}}) {
      SCOPED_TRACE(name);
      v1::DescribeCollectionRequest describe;
      describe.set_collection(name);
      v1::DescribeCollectionResponse described;
      ASSERT_TRUE(Call(&S::DescribeCollection, *server_, describe, &described).ok());
      EXPECT_EQ(described.count(), 300u);
      EXPECT_EQ(described.config().bits(), bits);
      EXPECT_EQ(described.config().bit_eighths(), eighths);
      EXPECT_DOUBLE_EQ(described.bits_per_coordinate(), bits + eighths / 8.0);
      EXPECT_EQ(described.code_bytes(), code_bytes);
      EXPECT_EQ(described.bytes_per_vector(), bytes);
    }
    // Each stored vector finds itself, from its codes and after the re-rank.
    const v1::UpsertRequest rows = UpsertRequest("half", 0, 300, 7);
    for (int row : {0, 151, 299}) {
      for (const char* name : {"half", "budget"}) {
        v1::SearchRequest search;
        search.set_collection(name);
        search.mutable_query()->Add(rows.vectors().begin() + row * kDim,
                                    rows.vectors().begin() + (row + 1) * kDim);
        search.mutable_options()->set_k(1);
        search.mutable_options()->set_rerank(true);
        v1::SearchResponse found;
        ASSERT_TRUE(Call(&S::Search, *server_, search, &found).ok());
        ASSERT_EQ(found.hits_size(), 1);
        EXPECT_EQ(found.hits(0).id(), static_cast<uint64_t>(row)) << name;
      }
    }
  };
  check();
  server_.reset();
  server_ = std::make_unique<ServerProcess>(dir_.path() + "/data");
  check();
}

TEST_F(ServerRpcTest, CollectionsCenterOnceTheyHoldAThousandVectors) {
  v1::DescribeCollectionRequest describe;
  describe.set_collection("docs");
  v1::DescribeCollectionResponse described;
  ASSERT_TRUE(Call(&S::DescribeCollection, *server_, describe, &described).ok());
  EXPECT_EQ(described.config().centering(), "auto");
  EXPECT_EQ(described.center_size(), 0);  // 500 vectors
  v1::UpsertResponse upserted;
  ASSERT_TRUE(Call(&S::Upsert, *server_, UpsertRequest("docs", 500, 500, 2), &upserted).ok());
  ASSERT_TRUE(Call(&S::DescribeCollection, *server_, describe, &described).ok());
  EXPECT_EQ(described.center_size(), kDim);
  // Still found: the first 500 were re-encoded against the center.
  v1::SearchResponse found;
  ASSERT_TRUE(Call(&S::Search, *server_, SearchFor(7), &found).ok());
  ASSERT_GT(found.hits_size(), 0);
  EXPECT_EQ(found.hits(0).id(), 7u);

  // The admin re-center: a dry run reports the drift (none: the center is that mean).
  v1::RecenterCollectionRequest recenter;
  recenter.set_collection("docs");
  recenter.set_dry_run(true);
  v1::RecenterCollectionResponse recentered;
  ASSERT_TRUE(Call(&S::RecenterCollection, *server_, recenter, &recentered).ok());
  EXPECT_LT(recentered.drift(), 1e-6);
  EXPECT_EQ(recentered.reencoded(), 0u);
  EXPECT_EQ(recentered.new_center_size(), kDim);
  recenter.set_dry_run(false);
  ASSERT_TRUE(Call(&S::RecenterCollection, *server_, recenter, &recentered).ok());
  EXPECT_EQ(recentered.reencoded(), 1000u);
  recenter.set_collection("nope");
  ExpectCode(Call(&S::RecenterCollection, *server_, recenter, &recentered), StatusCode::NOT_FOUND);
}

TEST_F(ServerRpcTest, RepartitionDescribeAndNprobe) {
  v1::RepartitionCollectionRequest repartition;
  repartition.set_collection("docs");
  repartition.set_lists(501);  // more lists than the 500 vectors
  v1::RepartitionCollectionResponse repartitioned;
  ExpectCode(Call(&S::RepartitionCollection, *server_, repartition, &repartitioned),
             StatusCode::FAILED_PRECONDITION);
  repartition.set_lists(10);
  ASSERT_TRUE(Call(&S::RepartitionCollection, *server_, repartition, &repartitioned).ok());
  EXPECT_EQ(repartitioned.partitioning().number(), 1u);
  EXPECT_EQ(repartitioned.partitioning().list_sizes_size(), 10);
  EXPECT_EQ(repartitioned.partitioning().nprobe(), 10u);  // at least 32: every list
  EXPECT_GE(repartitioned.partitioning().imbalance(), 1.0);
  EXPECT_GE(repartitioned.partitioning().largest_to_mean(), 1.0);
  EXPECT_TRUE(repartitioned.partitioning().lists_by_direction());  // a cosine collection
  v1::DescribeCollectionRequest describe;
  describe.set_collection("docs");
  v1::DescribeCollectionResponse described;
  ASSERT_TRUE(Call(&S::DescribeCollection, *server_, describe, &described).ok());
  uint64_t total = 0;
  for (uint64_t size : described.partitioning().list_sizes()) total += size;
  EXPECT_EQ(total, 500u);
  EXPECT_GT(described.memory().lists(), 0u);
  // Every list probed: the vector itself comes first; one list also answers.
  v1::SearchRequest search = SearchFor(7);
  search.mutable_options()->set_nprobe(10);
  v1::SearchResponse found;
  ASSERT_TRUE(Call(&S::Search, *server_, search, &found).ok());
  ASSERT_GT(found.hits_size(), 0);
  EXPECT_EQ(found.hits(0).id(), 7u);
  search.mutable_options()->set_nprobe(1);
  ASSERT_TRUE(Call(&S::Search, *server_, search, &found).ok());
  EXPECT_GT(found.hits_size(), 0);
  repartition.set_collection("nope");
  ExpectCode(Call(&S::RepartitionCollection, *server_, repartition, &repartitioned),
             StatusCode::NOT_FOUND);
  // A collection's default nprobe past int is refused at creation.
  v1::CreateCollectionRequest bad = CreateRequest("x");
  bad.mutable_config()->set_nprobe(4000000000u);
  v1::CreateCollectionResponse created;
  ExpectCode(Call(&S::CreateCollection, *server_, bad, &created), StatusCode::INVALID_ARGUMENT);
}

TEST_F(ServerRpcTest, UpsertAndUpsertStream) {
  // Client-streaming bulk load: three messages, summed.
  grpc::ClientContext context;
  v1::UpsertResponse streamed;
  auto writer = server_->stub().UpsertStream(&context, &streamed);
  for (uint64_t b = 0; b < 3; ++b) {
    ASSERT_TRUE(writer->Write(UpsertRequest("docs", 500 + b * 100, 100, 10 + b)));
  }
  writer->WritesDone();
  ASSERT_TRUE(writer->Finish().ok());
  EXPECT_EQ(streamed.inserted(), 300);
  {
    // Messages naming the same ids (applied in order: the last wins) and others (applied two
    // at a time), then one the server refuses: the error names it and what went in before it.
    grpc::ClientContext again;
    v1::UpsertResponse overlapping;
    auto stream = server_->stub().UpsertStream(&again, &overlapping);
    for (uint64_t seed = 20; seed < 24; ++seed) {
      ASSERT_TRUE(stream->Write(UpsertRequest("docs", 2000, 50, seed)));
      ASSERT_TRUE(stream->Write(UpsertRequest("docs", 3000 + seed * 100, 50, seed)));
    }
    v1::UpsertRequest refused = UpsertRequest("docs", 9990, 2, 30);
    refused.mutable_vectors()->Set(3, NAN);
    stream->Write(refused);  // the server may end the stream once it is refused
    stream->WritesDone();
    const grpc::Status status = stream->Finish();
    EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(status.error_message().find("stream message 8 (the 8 before it are applied)"),
              std::string::npos)
        << status.error_message();
    v1::GetRequest get;
    get.set_collection("docs");
    get.add_ids(2007);
    get.set_with_vectors(true);
    v1::GetResponse got;
    ASSERT_TRUE(Call(&S::Get, *server_, get, &got).ok());
    const v1::UpsertRequest last = UpsertRequest("docs", 2000, 50, 23);
    ASSERT_EQ(got.records(0).vector_size(), static_cast<int>(kDim));
    for (int j = 0; j < static_cast<int>(kDim); ++j) {
      ASSERT_EQ(got.records(0).vector(j), last.vectors(7 * kDim + j)) << j;
    }
  }

  v1::UpsertResponse upserted;
  v1::UpsertRequest empty;
  empty.set_collection("docs");
  ExpectCode(Call(&S::Upsert, *server_, empty, &upserted), StatusCode::INVALID_ARGUMENT);
  v1::UpsertRequest inf = UpsertRequest("docs", 9000, 2, 3);
  inf.mutable_vectors()->Set(5, INFINITY);
  ExpectCode(Call(&S::Upsert, *server_, inf, &upserted), StatusCode::INVALID_ARGUMENT);
  // Larger than --max_request_bytes: refused before it reaches the engine.
  ExpectCode(Call(&S::Upsert, *server_, UpsertRequest("docs", 10000, 10000, 4), &upserted),
             StatusCode::RESOURCE_EXHAUSTED);
  ExpectCode(Call(&S::Upsert, *server_, UpsertRequest("nope", 0, 1, 5), &upserted),
             StatusCode::NOT_FOUND);
  EXPECT_EQ(Count("docs"), 800 + 50 + 4 * 50);
}

TEST_F(ServerRpcTest, ListAndDescribe) {
  v1::ListCollectionsResponse listed;
  ASSERT_TRUE(Call(&S::ListCollections, *server_, v1::ListCollectionsRequest(), &listed).ok());
  ASSERT_EQ(listed.names_size(), 1);
  EXPECT_EQ(listed.names(0), "docs");
  v1::DescribeCollectionRequest describe;
  describe.set_collection("docs");
  v1::DescribeCollectionResponse described;
  ASSERT_TRUE(Call(&S::DescribeCollection, *server_, describe, &described).ok());
  EXPECT_EQ(described.count(), 500);
  EXPECT_EQ(described.code_bytes(), kDim * 4 / 8);
  describe.set_collection("nope");
  ExpectCode(Call(&S::DescribeCollection, *server_, describe, &described), StatusCode::NOT_FOUND);
}

// A collection that re-ranks from memory: the store is in its config and its memory figure, and
// a re-ranked search finds a stored vector first with its exact score.
TEST_F(ServerRpcTest, ReRankFromMemory) {
  v1::CreateCollectionRequest create = CreateRequest("in_memory");
  create.mutable_config()->set_rerank_store("int8");
  v1::CreateCollectionResponse created;
  ASSERT_TRUE(Call(&S::CreateCollection, *server_, create, &created).ok());
  EXPECT_EQ(created.config().rerank_store(), "int8");
  v1::UpsertResponse upserted;
  ASSERT_TRUE(Call(&S::Upsert, *server_, UpsertRequest("in_memory", 0, 200, 1), &upserted).ok());
  v1::SearchRequest search = SearchFor(7);
  search.set_collection("in_memory");
  v1::SearchResponse found;
  ASSERT_TRUE(Call(&S::Search, *server_, search, &found).ok());
  ASSERT_GT(found.hits_size(), 0);
  EXPECT_EQ(found.hits(0).id(), 7);
  EXPECT_NEAR(found.hits(0).score(), 1.0, 1e-2);
  v1::DescribeCollectionRequest describe;
  describe.set_collection("in_memory");
  v1::DescribeCollectionResponse described;
  ASSERT_TRUE(Call(&S::DescribeCollection, *server_, describe, &described).ok());
  EXPECT_EQ(described.config().rerank_store(), "int8");
  EXPECT_GE(described.memory().vectors(), 200u * (kDim + 4));
  // The default: the mapped file, exact floats outside the process's own memory; disk when
  // asked, and for a collection without vectors (nothing to re-rank with). The server holds at
  // most 3 collections: each goes after its check.
  const auto created_store = [&](v1::CreateCollectionRequest request) {
    v1::CreateCollectionResponse created;
    EXPECT_TRUE(Call(&S::CreateCollection, *server_, request, &created).ok());
    v1::DropCollectionRequest drop;
    drop.set_collection(request.config().name());
    v1::DropCollectionResponse dropped;
    EXPECT_TRUE(Call(&S::DropCollection, *server_, drop, &dropped).ok());
    return created.config().rerank_store();
  };
  EXPECT_EQ(created_store(CreateRequest("mapped")), "mmap");
  v1::CreateCollectionRequest on_disk = CreateRequest("on_disk");
  on_disk.mutable_config()->set_rerank_store("disk");
  EXPECT_EQ(created_store(on_disk), "disk");
  EXPECT_EQ(created_store(CreateRequest("codes_only", /*store_vectors=*/false)), "disk");
}

TEST_F(ServerRpcTest, Search) {
  // A stored vector comes back first, with its payload.
  v1::SearchResponse found;
  ASSERT_TRUE(Call(&S::Search, *server_, SearchFor(7), &found).ok());
  ASSERT_EQ(found.hits_size(), 3);
  EXPECT_EQ(found.hits(0).id(), 7);
  EXPECT_NEAR(found.hits(0).score(), 1.0, 1e-5);
  EXPECT_EQ(found.hits(0).payload(), "payload 7");

  v1::SearchRequest wrong = SearchFor(7);
  wrong.set_collection("nope");
  ExpectCode(Call(&S::Search, *server_, wrong, &found), StatusCode::NOT_FOUND);
  wrong = SearchFor(7);
  wrong.mutable_query()->RemoveLast();
  ExpectCode(Call(&S::Search, *server_, wrong, &found), StatusCode::INVALID_ARGUMENT);
  wrong = SearchFor(7);
  wrong.mutable_query()->Set(0, std::nanf(""));
  ExpectCode(Call(&S::Search, *server_, wrong, &found), StatusCode::INVALID_ARGUMENT);
  wrong = SearchFor(7);
  wrong.mutable_options()->set_k(100000);
  ExpectCode(Call(&S::Search, *server_, wrong, &found), StatusCode::INVALID_ARGUMENT);

  // Re-rank needs the stored floats.
  v1::CreateCollectionResponse created;
  ASSERT_TRUE(
      Call(&S::CreateCollection, *server_, CreateRequest("codes_only", false), &created).ok());
  v1::UpsertResponse upserted;
  ASSERT_TRUE(Call(&S::Upsert, *server_, UpsertRequest("codes_only", 0, 10, 5), &upserted).ok());
  v1::SearchRequest rerank = SearchFor(7);
  rerank.set_collection("codes_only");
  ExpectCode(Call(&S::Search, *server_, rerank, &found), StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Count("docs"), 500);
}

// Values past int name the value sent (the old binary clamped them first and reported
// "got 1073741824").
TEST_F(ServerRpcTest, OutOfRangeValuesAreReportedAsSent) {
  v1::SearchResponse found;
  for (const char* field : {"k", "rerank_candidates", "nprobe"}) {
    v1::SearchRequest wrong = SearchFor(7);
    v1::SearchOptions* options = wrong.mutable_options();
    if (field[0] == 'k') options->set_k(4294967295u);
    if (field[0] == 'r') options->set_rerank_candidates(4294967295u);
    if (field[0] == 'n') options->set_nprobe(4294967295u);
    const grpc::Status status = Call(&S::Search, *server_, wrong, &found);
    ExpectCode(status, StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(status.error_message().find(std::string(field) + " must be in"), std::string::npos)
        << status.error_message();
    EXPECT_NE(status.error_message().find("got 4294967295"), std::string::npos)
        << status.error_message();
  }
  v1::CreateCollectionRequest create = CreateRequest("wide_nprobe");
  create.mutable_config()->set_nprobe(4294967295u);
  v1::CreateCollectionResponse created;
  const grpc::Status status = Call(&S::CreateCollection, *server_, create, &created);
  ExpectCode(status, StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("got 4294967295"), std::string::npos)
      << status.error_message();
}

// Protobuf logs an ERROR line for every string field that is not UTF-8; a client sending many
// must not fill the server's log (the old binary: 3,949 lines in 2 minutes of fuzzing).
TEST_F(ServerRpcTest, MalformedUtf8DoesNotFloodTheLog) {
  // DescribeCollectionRequest{collection = "\xff\xfe..."}: field 1, length-delimited.
  const std::string bad_name = "\xff\xfe\xfd not utf-8";
  const std::string request = std::string("\x0a") + static_cast<char>(bad_name.size()) + bad_name;
  for (int i = 0; i < 300; ++i) {
    testing::RawCall(*server_, "/tqdb.v1.Tqdb/DescribeCollection", request);
  }
  const std::string log = server_->Log();
  size_t lines = 0;
  for (size_t at = 0; (at = log.find("libprotobuf", at)) != std::string::npos; ++at) ++lines;
  EXPECT_LE(lines, 2u) << log.substr(0, 2000);
  EXPECT_FALSE(server_->Exited());
}

TEST_F(ServerRpcTest, SearchBatch) {
  v1::SearchBatchRequest batch;
  batch.set_collection("docs");
  batch.mutable_queries()->Add(stored_.vectors().begin(), stored_.vectors().begin() + 4 * kDim);
  v1::SearchBatchResponse found;
  ASSERT_TRUE(Call(&S::SearchBatch, *server_, batch, &found).ok());
  ASSERT_EQ(found.results_size(), 4);
  EXPECT_EQ(found.results(2).hits_size(), 10);  // k = 0 means 10
  v1::SearchBatchRequest ragged = batch;
  ragged.mutable_queries()->RemoveLast();
  ExpectCode(Call(&S::SearchBatch, *server_, ragged, &found), StatusCode::INVALID_ARGUMENT);
}

// Floats as little-endian float32 bytes (what numpy's tobytes() gives): the same vectors, the
// same answers, and vectors back as bytes when asked.
TEST_F(ServerRpcTest, FloatsAsBytesInAndOut) {
  auto bytes_of = [](const float* floats, size_t n) {
    return std::string(reinterpret_cast<const char*>(floats), n * sizeof(float));
  };
  v1::UpsertRequest upsert;
  upsert.set_collection("docs");
  upsert.add_ids(9001);
  upsert.add_ids(9002);
  upsert.set_vectors_f32(bytes_of(stored_.vectors().data(), 2 * kDim));
  v1::UpsertResponse upserted;
  ASSERT_TRUE(Call(&S::Upsert, *server_, upsert, &upserted).ok());
  EXPECT_EQ(upserted.inserted(), 2);

  v1::SearchRequest as_floats = SearchFor(1), as_bytes = SearchFor(1);
  as_bytes.clear_query();
  as_bytes.set_query_f32(bytes_of(stored_.vectors().data() + kDim, kDim));
  as_bytes.mutable_options()->set_with_vectors(true);
  as_bytes.mutable_options()->set_f32_bytes(true);
  v1::SearchResponse floats_found, bytes_found;
  ASSERT_TRUE(Call(&S::Search, *server_, as_floats, &floats_found).ok());
  ASSERT_TRUE(Call(&S::Search, *server_, as_bytes, &bytes_found).ok());
  ASSERT_EQ(bytes_found.hits_size(), floats_found.hits_size());
  for (int i = 0; i < bytes_found.hits_size(); ++i) {
    EXPECT_EQ(bytes_found.hits(i).id(), floats_found.hits(i).id());
    EXPECT_EQ(bytes_found.hits(i).score(), floats_found.hits(i).score());
    EXPECT_EQ(bytes_found.hits(i).vector_size(), 0);
    EXPECT_EQ(bytes_found.hits(i).vector_f32().size(), kDim * sizeof(float));
  }

  v1::SearchBatchRequest batch;
  batch.set_collection("docs");
  batch.set_queries_f32(bytes_of(stored_.vectors().data(), 3 * kDim));
  v1::SearchBatchResponse batch_found;
  ASSERT_TRUE(Call(&S::SearchBatch, *server_, batch, &batch_found).ok());
  EXPECT_EQ(batch_found.results_size(), 3);

  v1::GetRequest get;
  get.set_collection("docs");
  get.add_ids(9002);
  get.set_with_vectors(true);
  get.set_f32_bytes(true);
  v1::GetResponse got;
  ASSERT_TRUE(Call(&S::Get, *server_, get, &got).ok());
  EXPECT_EQ(got.records(0).vector_f32(), bytes_of(stored_.vectors().data() + kDim, kDim));

  // Both forms at once, or bytes that are not whole floats: refused, nothing stored.
  upsert.set_ids(0, 9003);
  upsert.set_ids(1, 9004);
  upsert.mutable_vectors()->Add(stored_.vectors().begin(), stored_.vectors().begin() + 2 * kDim);
  ExpectCode(Call(&S::Upsert, *server_, upsert, &upserted), StatusCode::INVALID_ARGUMENT);
  upsert.clear_vectors();
  upsert.mutable_vectors_f32()->pop_back();
  ExpectCode(Call(&S::Upsert, *server_, upsert, &upserted), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Count("docs"), 502);
}

TEST_F(ServerRpcTest, Get) {
  v1::GetRequest get;
  get.set_collection("docs");
  get.add_ids(3);
  get.add_ids(123456);
  get.set_with_vectors(true);
  get.set_with_payloads(true);
  v1::GetResponse got;
  ASSERT_TRUE(Call(&S::Get, *server_, get, &got).ok());
  ASSERT_EQ(got.records_size(), 2);
  EXPECT_TRUE(got.records(0).found());
  EXPECT_EQ(got.records(0).vector_size(), kDim);
  EXPECT_EQ(got.records(0).vector(5), stored_.vectors(3 * kDim + 5));
  EXPECT_EQ(got.records(0).payload(), "payload 3");
  EXPECT_FALSE(got.records(1).found());
  get.clear_ids();
  ExpectCode(Call(&S::Get, *server_, get, &got), StatusCode::INVALID_ARGUMENT);
}

TEST_F(ServerRpcTest, Delete) {
  v1::DeleteRequest del;
  del.set_collection("docs");
  del.add_ids(7);
  v1::DeleteResponse deleted;
  ASSERT_TRUE(Call(&S::Delete, *server_, del, &deleted).ok());
  EXPECT_EQ(deleted.deleted(), 1);
  ASSERT_TRUE(Call(&S::Delete, *server_, del, &deleted).ok());  // idempotent
  EXPECT_EQ(deleted.deleted(), 0);
  v1::SearchResponse found;
  ASSERT_TRUE(Call(&S::Search, *server_, SearchFor(7), &found).ok());
  EXPECT_NE(found.hits(0).id(), 7);
  EXPECT_EQ(Count("docs"), 499);
  del.clear_ids();
  ExpectCode(Call(&S::Delete, *server_, del, &deleted), StatusCode::INVALID_ARGUMENT);
}

TEST_F(ServerRpcTest, LimitsOnCollectionsAndDimension) {
  v1::CreateCollectionResponse created;
  v1::CreateCollectionRequest wide = CreateRequest("wide");
  wide.mutable_config()->set_dimension(4097);
  const grpc::Status too_wide = Call(&S::CreateCollection, *server_, wide, &created);
  EXPECT_EQ(too_wide.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(too_wide.error_message().find("--max_dimension"), std::string::npos);
  // "docs" exists; two more reach --max_collections=3.
  ASSERT_TRUE(Call(&S::CreateCollection, *server_, CreateRequest("two"), &created).ok());
  ASSERT_TRUE(Call(&S::CreateCollection, *server_, CreateRequest("three"), &created).ok());
  const grpc::Status full = Call(&S::CreateCollection, *server_, CreateRequest("four"), &created);
  EXPECT_EQ(full.error_code(), StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(full.error_message().find("--max_collections"), std::string::npos);
  // Re-creating an existing one (if_not_exists) is not a new collection.
  v1::CreateCollectionRequest again = CreateRequest("two");
  again.set_if_not_exists(true);
  EXPECT_TRUE(Call(&S::CreateCollection, *server_, again, &created).ok());
  // A request whose deadline has already passed does nothing.
  grpc::ClientContext late;
  late.set_deadline(std::chrono::system_clock::now() - std::chrono::seconds(1));
  v1::UpsertResponse upserted;
  EXPECT_EQ(server_->stub().Upsert(&late, UpsertRequest("two", 0, 5, 1), &upserted).error_code(),
            StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(Count("two"), 0);
}

TEST_F(ServerRpcTest, CreateSnapshot) {
  v1::CreateSnapshotRequest request;
  v1::CreateSnapshotResponse response;
  for (const char* bad : {"", "../escape", "a/b", ".hidden"}) {
    request.set_name(bad);
    ExpectCode(Call(&S::CreateSnapshot, *server_, request, &response),
               StatusCode::INVALID_ARGUMENT);
  }
  request.set_name("s1");
  request.set_collection("missing");
  ExpectCode(Call(&S::CreateSnapshot, *server_, request, &response), StatusCode::NOT_FOUND);
  request.set_collection("docs");
  ASSERT_TRUE(Call(&S::CreateSnapshot, *server_, request, &response).ok());
  EXPECT_EQ(response.path(), dir_.path() + "/snaps/s1");
  ExpectCode(Call(&S::CreateSnapshot, *server_, request, &response), StatusCode::ALREADY_EXISTS);

  // A second server serves the snapshot as a normal data directory.
  ServerProcess restored(response.path());
  v1::GetRequest get;
  get.set_collection("docs");
  get.set_with_payloads(true);
  for (uint64_t id = 0; id < 500; ++id) get.add_ids(id);
  v1::GetResponse got;
  ASSERT_TRUE(Call(&S::Get, restored, get, &got).ok());
  for (const v1::Record& r : got.records()) {
    ASSERT_TRUE(r.found()) << r.id();
    EXPECT_EQ(r.payload(), "payload " + std::to_string(r.id()));
  }
}

TEST_F(ServerRpcTest, DropCollection) {
  v1::DropCollectionRequest drop;
  drop.set_collection("docs");
  v1::DropCollectionResponse dropped;
  ASSERT_TRUE(Call(&S::DropCollection, *server_, drop, &dropped).ok());
  ExpectCode(Call(&S::DropCollection, *server_, drop, &dropped), StatusCode::NOT_FOUND);
  v1::SearchResponse found;
  ExpectCode(Call(&S::Search, *server_, SearchFor(7), &found), StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace tqdb
