// Filtered search through a real tqdb-server on 127.0.0.1: JSON payloads, payload indexes,
// Count and filtered Search (with its plan), the error codes of bad filters and indexes, and a
// SIGKILL and restart after which the indexes are rebuilt with every acknowledged payload.
#include <string>

#include "absl/strings/str_cat.h"
#include "server/server_process.h"

namespace tqdb {
namespace {

using testing::Call;
using testing::ServerProcess;
using S = v1::Tqdb::Stub;

constexpr uint64_t kPoints = 2000;
const char* const kLangFilter = R"({"must": [{"key": "lang", "match": {"value": "de"}}]})";

v1::UpsertRequest Points() {
  v1::UpsertRequest request;
  request.set_collection("c");
  const std::vector<float> vectors = testing::RandomUnitVectors(kPoints, testing::kDim, 3);
  request.mutable_vectors()->Add(vectors.begin(), vectors.end());
  for (uint64_t i = 0; i < kPoints; ++i) {
    request.add_ids(i);
    // Every 20th point is German: 100 of 2,000; years 2000..2009.
    request.add_payloads(absl::StrCat(R"({"lang": ")", i % 20 == 0 ? "de" : "en", R"(", "year": )",
                                      2000 + i % 10, "}"));
  }
  return request;
}

// Creates collection "c" holding Points(); false when either call fails.
bool CreateWithPoints(ServerProcess& server) {
  v1::CreateCollectionResponse created;
  v1::UpsertResponse upserted;
  return Call(&S::CreateCollection, server, testing::CreateRequest("c"), &created).ok() &&
         Call(&S::Upsert, server, Points(), &upserted).ok();
}

uint64_t CountOf(ServerProcess& server, const std::string& filter, grpc::Status* status) {
  v1::CountRequest request;
  request.set_collection("c");
  request.set_filter(filter);
  v1::CountResponse response;
  *status = Call(&S::Count, server, request, &response);
  return response.count();
}

TEST(FilterRpcTest, IndexesCountsFilteredSearchesAndErrorsSurviveAKill) {
  testing::ScopedTempDir dir;
  const std::string data = dir.path() + "/data";
  {
    ServerProcess server(data);
    ASSERT_TRUE(CreateWithPoints(server));

    grpc::Status status;
    EXPECT_EQ(CountOf(server, kLangFilter, &status), 100u);  // from the payloads
    EXPECT_TRUE(status.ok()) << status.error_message();
    v1::CreatePayloadIndexRequest index;
    index.set_collection("c");
    index.set_key("lang");
    index.set_type("keyword");
    v1::CreatePayloadIndexResponse indexed;
    ASSERT_TRUE(Call(&S::CreatePayloadIndex, server, index, &indexed).ok());
    EXPECT_EQ(Call(&S::CreatePayloadIndex, server, index, &indexed).error_code(),
              grpc::StatusCode::ALREADY_EXISTS);
    index.set_key("year");
    index.set_type("number");
    EXPECT_EQ(Call(&S::CreatePayloadIndex, server, index, &indexed).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
    index.set_type("integer");
    ASSERT_TRUE(Call(&S::CreatePayloadIndex, server, index, &indexed).ok());
    index.set_collection("missing");
    EXPECT_EQ(Call(&S::CreatePayloadIndex, server, index, &indexed).error_code(),
              grpc::StatusCode::NOT_FOUND);

    EXPECT_EQ(CountOf(server, kLangFilter, &status), 100u);  // from the index
    EXPECT_EQ(CountOf(server, R"({"must": [{"key": "year", "range": {"gte": 2005}}]})", &status),
              1000u);
    EXPECT_EQ(CountOf(server, "", &status), kPoints);
    CountOf(server, R"({"must": [{"key": "lang", "range": {"gt": 1}}]})", &status);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    CountOf(server, R"({"must": [{"key": "lang", "matc": {"value": "de"}}]})", &status);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(status.error_message().find("filter.must[0].matc"), std::string::npos)
        << status.error_message();

    v1::SearchRequest search;
    search.set_collection("c");
    const std::vector<float> query = testing::RandomUnitVectors(1, testing::kDim, 4);
    search.mutable_query()->Add(query.begin(), query.end());
    search.mutable_options()->set_k(10);
    search.mutable_options()->set_with_payloads(true);
    search.mutable_options()->set_filter(kLangFilter);
    search.mutable_options()->set_explain(true);
    v1::SearchResponse found;
    ASSERT_TRUE(Call(&S::Search, server, search, &found).ok());
    ASSERT_EQ(found.hits_size(), 10);
    for (const v1::Record& hit : found.hits()) {
      EXPECT_EQ(hit.id() % 20, 0u);
      EXPECT_NE(hit.payload().find(R"("de")"), std::string::npos);
    }
    EXPECT_EQ(found.plan().passing(), 100u);
    EXPECT_FALSE(found.plan().name().empty());
    search.mutable_options()->set_filter("{");
    EXPECT_EQ(Call(&S::Search, server, search, &found).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);

    // A write after the indexes: replaced and deleted points leave them.
    v1::DeleteRequest remove;
    remove.set_collection("c");
    remove.add_ids(0);
    remove.add_ids(20);
    v1::DeleteResponse removed;
    ASSERT_TRUE(Call(&S::Delete, server, remove, &removed).ok());
    EXPECT_EQ(CountOf(server, kLangFilter, &status), 98u);
    server.Stop(SIGKILL);
  }
  ServerProcess restarted(data);
  grpc::Status status;
  EXPECT_EQ(CountOf(restarted, kLangFilter, &status), 98u);
  EXPECT_TRUE(status.ok()) << status.error_message();
  v1::DescribeCollectionRequest describe;
  describe.set_collection("c");
  v1::DescribeCollectionResponse described;
  ASSERT_TRUE(Call(&S::DescribeCollection, restarted, describe, &described).ok());
  ASSERT_EQ(described.payload_indexes_size(), 2);
  EXPECT_EQ(described.payload_indexes(0).key(), "lang");
  EXPECT_EQ(described.payload_indexes(1).type(), "integer");
  EXPECT_GT(described.payload_index_bytes(), 0u);
}

TEST(FilterRpcTest, ScrollUpdatePayloadsAndDeleteByFilter) {
  testing::ScopedTempDir dir;
  ServerProcess server(dir.path() + "/data");
  ASSERT_TRUE(CreateWithPoints(server));

  // Scroll the 100 German points in pages of 30.
  v1::ScrollRequest scroll;
  scroll.set_collection("c");
  scroll.set_filter(kLangFilter);
  scroll.set_limit(30);
  scroll.set_with_payloads(true);
  std::vector<uint64_t> seen;
  for (int page = 0; page < 10; ++page) {
    v1::ScrollResponse response;
    ASSERT_TRUE(Call(&S::Scroll, server, scroll, &response).ok());
    for (const v1::Record& record : response.records()) {
      seen.push_back(record.id());
      EXPECT_NE(record.payload().find(R"("de")"), std::string::npos);
    }
    if (!response.has_next()) break;
    scroll.set_has_from(true);
    scroll.set_from(response.next_from());
  }
  ASSERT_EQ(seen.size(), 100u);
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], 20 * i);
  scroll.set_limit(20000);
  v1::ScrollResponse too_many;
  EXPECT_EQ(Call(&S::Scroll, server, scroll, &too_many).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  // Set a key on the German points by filter; then a bad update.
  v1::UpdatePayloadRequest update;
  update.set_collection("c");
  update.set_kind(v1::UpdatePayloadRequest::SET);
  update.set_payload(R"({"lang": "nl"})");
  update.set_filter(kLangFilter);
  v1::UpdatePayloadResponse updated;
  ASSERT_TRUE(Call(&S::UpdatePayload, server, update, &updated).ok());
  EXPECT_EQ(updated.updated(), 100u);
  grpc::Status status;
  EXPECT_EQ(CountOf(server, kLangFilter, &status), 0u);
  const std::string dutch = R"({"must": [{"key": "lang", "match": {"value": "nl"}}]})";
  EXPECT_EQ(CountOf(server, dutch, &status), 100u);
  update.add_ids(1);
  EXPECT_EQ(Call(&S::UpdatePayload, server, update, &updated).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);  // ids and a filter
  update.clear_filter();
  update.set_payload("[1, 2]");
  EXPECT_EQ(Call(&S::UpdatePayload, server, update, &updated).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);  // not an object

  // Delete the Dutch points by filter.
  v1::DeleteRequest remove;
  remove.set_collection("c");
  remove.set_filter(dutch);
  v1::DeleteResponse removed;
  ASSERT_TRUE(Call(&S::Delete, server, remove, &removed).ok());
  EXPECT_EQ(removed.deleted(), 100u);
  EXPECT_EQ(CountOf(server, "", &status), kPoints - 100);
  remove.set_filter("{}");
  EXPECT_EQ(Call(&S::Delete, server, remove, &removed).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);  // an empty filter deletes nothing by accident
}

TEST(FilterRpcTest, TheFilterMessageActsAsItsJsonText) {
  testing::ScopedTempDir dir;
  ServerProcess server(dir.path() + "/data");
  ASSERT_TRUE(CreateWithPoints(server));

  // German and from 2005 on, or id 1: {"must": [lang = de], "should": [year >= 2005, has_id 1]}.
  v1::Filter filter;
  v1::FieldCondition* lang = filter.add_must()->mutable_field();
  lang->set_key("lang");
  lang->mutable_match()->set_keyword("de");
  v1::FieldCondition* year = filter.add_should()->mutable_field();
  year->set_key("year");
  year->mutable_range()->mutable_gte()->set_number(2005);
  filter.add_should()->mutable_has_id()->add_ids(1);
  v1::CountRequest count;
  count.set_collection("c");
  *count.mutable_filter_message() = filter;
  v1::CountResponse counted;
  ASSERT_TRUE(Call(&S::Count, server, count, &counted).ok());
  // Ids 0, 20, ... are German with years 2000 + id % 10 = 2000: none from 2005; id 1 is not
  // German. So nothing, and the same from the JSON text.
  EXPECT_EQ(counted.count(), 0u);
  count.clear_filter_message();
  count.set_filter(
      R"({"must": [{"key": "lang", "match": {"value": "de"}}],
          "should": [{"key": "year", "range": {"gte": 2005}}, {"has_id": [1]}]})");
  ASSERT_TRUE(Call(&S::Count, server, count, &counted).ok());
  EXPECT_EQ(counted.count(), 0u);
  // Without the should clause: the 100 German points.
  filter.clear_should();
  count.clear_filter();
  *count.mutable_filter_message() = filter;
  ASSERT_TRUE(Call(&S::Count, server, count, &counted).ok());
  EXPECT_EQ(counted.count(), 100u);
  // Both forms at once, and a field condition without a test.
  count.set_filter(kLangFilter);
  EXPECT_EQ(Call(&S::Count, server, count, &counted).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  count.clear_filter();
  count.mutable_filter_message()->add_must()->mutable_field()->set_key("year");
  const grpc::Status bad = Call(&S::Count, server, count, &counted);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(bad.error_message().find("filter.must[1]"), std::string::npos) << bad.error_message();

  // A search with the message.
  v1::SearchRequest search;
  search.set_collection("c");
  const std::vector<float> query = testing::RandomUnitVectors(1, testing::kDim, 4);
  search.mutable_query()->Add(query.begin(), query.end());
  search.mutable_options()->set_k(5);
  *search.mutable_options()->mutable_filter_message() = filter;
  v1::SearchResponse found;
  ASSERT_TRUE(Call(&S::Search, server, search, &found).ok());
  ASSERT_EQ(found.hits_size(), 5);
  for (const v1::Record& hit : found.hits()) EXPECT_EQ(hit.id() % 20, 0u);
}

}  // namespace
}  // namespace tqdb
