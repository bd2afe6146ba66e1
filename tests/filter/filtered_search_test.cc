// Filtered search (tqdb/filter.h) against a brute-force oracle: random JSON payloads (and byte
// payloads, and none), random filters, the reference evaluation of every point
// (filter/payload_match.h) as the truth. Count equals it with and without payload indexes and
// after a reopen that rebuilds them; with every candidate re-ranked, a filtered search equals
// the exhaustive filtered top-k, through both plans and in a partitioned collection; bad filters
// get InvalidArgument naming the bad part.
#include <algorithm>
#include <optional>
#include <random>
#include <set>

#include "absl/strings/str_cat.h"
#include "filter/payload_match.h"
#include "gtest/gtest.h"
#include "test_util.h"
#include "tqdb/database.h"
#include "tqdb/filter.h"

namespace tqdb {
namespace {

using ::tqdb::testing::IdRange;
using ::tqdb::testing::ScopedTempDir;

constexpr int kDim = 24;
constexpr size_t kPoints = 4000;
const char* const kLangs[] = {"en", "en", "en", "de", "de", "fr", "ja", "zh"};  // skewed
const char* const kTags[] = {"a", "b", "c", "d"};

std::string RandomPayload(std::mt19937& gen) {
  const int kind = static_cast<int>(gen() % 20);
  if (kind == 0) return "";              // none
  if (kind == 1) return "opaque bytes";  // not JSON: no fields
  filter::Json payload = filter::Json::object();
  payload["lang"] = kLangs[gen() % 8];
  const int year = static_cast<int>(gen() % 8);
  if (year == 0) {
    payload["year"] = nullptr;
  } else if (year == 1) {
    payload["year"] = "2001";  // a string where the index takes integers
  } else if (year == 2) {
    payload["year"] = 1999.5;  // a float where the index takes integers
  } else if (year != 3) {
    payload["year"] = 1990 + static_cast<int>(gen() % 40);
  }
  payload["score"] = std::uniform_real_distribution<double>(0, 1)(gen);
  if (gen() % 3 != 0) payload["flag"] = gen() % 2 == 0;
  filter::Json tags = filter::Json::array();
  for (const char* tag : kTags) {
    if (gen() % 3 == 0) tags.push_back(tag);
  }
  payload["meta"]["tags"] = tags;
  payload["when"] = absl::StrCat("2020-0", 1 + gen() % 9, "-1", gen() % 10, "T10:00:00Z");
  return payload.dump();
}

std::string RandomCondition(std::mt19937& gen, int depth) {
  switch (gen() % (depth < 2 ? 11 : 10)) {
    case 0:
      return absl::StrCat(R"({"key": "lang", "match": {"value": ")", kLangs[gen() % 8], R"("}})");
    case 1:
      return absl::StrCat(R"({"key": "lang", "match": {"any": [")", kLangs[gen() % 8], R"(", ")",
                          kLangs[gen() % 8], R"("]}})");
    case 2:
      return R"({"key": "lang", "match": {"except": ["en", "de"]}})";
    case 3: {
      const int low = 1990 + static_cast<int>(gen() % 40);
      return absl::StrCat(R"({"key": "year", "range": {"gte": )", low, R"(, "lt": )",
                          low + 1 + gen() % 15, "}}");
    }
    case 4:
      return absl::StrCat(R"({"key": "score", "range": {"gt": )", (gen() % 100) / 100.0, "}}");
    case 5:
      return absl::StrCat(R"({"key": "flag", "match": {"value": )",
                          gen() % 2 == 0 ? "true" : "false", "}}");
    case 6:
      return absl::StrCat(R"({"key": "meta.tags", "match": {"value": ")", kTags[gen() % 4],
                          R"("}})");
    case 7:
      return gen() % 2 == 0 ? R"({"is_empty": {"key": "meta.tags"}})"
                            : R"({"is_null": {"key": "year"}})";
    case 8:
      return absl::StrCat(R"({"has_id": [)", gen() % kPoints, ", ", gen() % kPoints, ", ",
                          gen() % kPoints, "]}");
    case 9:
      return absl::StrCat(R"({"key": "when", "range": {"gte": "2020-0)", 1 + gen() % 9,
                          R"(-01T00:00:00Z"}})");
    default: {
      std::string nested = R"({"should": [)";
      for (int i = 0; i < 2; ++i) {
        absl::StrAppend(&nested, i == 0 ? "" : ", ", RandomCondition(gen, depth + 1));
      }
      return nested + "]}";
    }
  }
}

std::string RandomFilter(std::mt19937& gen) {
  std::string out = "{";
  const char* clauses[] = {"must", "should", "must_not"};
  bool first = true;
  for (const char* clause : clauses) {
    const int conditions = static_cast<int>(gen() % 3) - (clause[0] == 'm' ? 0 : 1);
    if (conditions <= 0) continue;
    absl::StrAppend(&out, first ? "" : ", ", "\"", clause, "\": [");
    for (int i = 0; i < conditions; ++i) {
      absl::StrAppend(&out, i == 0 ? "" : ", ", RandomCondition(gen, 0));
    }
    out += "]";
    first = false;
  }
  return out + "}";
}

class FilteredSearchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::mt19937 gen(7);
    vectors_ = testing::RandomUnitVectors(kPoints, kDim, 11);
    ids_ = IdRange(0, kPoints);
    for (size_t i = 0; i < kPoints; ++i) payloads_[i] = RandomPayload(gen);
    for (int i = 0; i < 150; ++i) filters_.push_back(RandomFilter(gen));
  }

  // The payloads of ids 0..kPoints-1 in id order, as Upsert takes them.
  std::vector<std::string> PayloadList() const {
    std::vector<std::string> payloads;
    for (size_t i = 0; i < kPoints; ++i) payloads.push_back(payloads_.at(i));
    return payloads;
  }

  std::set<uint64_t> Oracle(const Filter& filter) const {
    std::set<uint64_t> passing;
    for (const auto& [id, payload] : payloads_) {
      if (filter::Matches(filter, id, filter::ParsePayload(payload))) passing.insert(id);
    }
    return passing;
  }

  // The exact top-k among `passing` by cosine.
  std::vector<uint64_t> ExactTop(const float* query, const std::set<uint64_t>& passing,
                                 int k) const {
    std::vector<std::pair<double, uint64_t>> scored;
    for (uint64_t id : passing) {
      const float* v = &vectors_[id * kDim];
      double dot = 0, norm = 0;
      for (int j = 0; j < kDim; ++j) {
        dot += double(query[j]) * v[j];
        norm += double(v[j]) * v[j];
      }
      scored.push_back({-dot / std::sqrt(norm), id});
    }
    std::sort(scored.begin(), scored.end());
    std::vector<uint64_t> top;
    for (size_t i = 0; i < scored.size() && i < static_cast<size_t>(k); ++i) {
      top.push_back(scored[i].second);
    }
    return top;
  }

  void ExpectCountsMatch(Collection& collection, const std::string& when) {
    for (const std::string& json : filters_) {
      const Filter filter = *Filter::Parse(json);
      absl::StatusOr<size_t> count = collection.Count(filter);
      ASSERT_TRUE(count.ok()) << when << ": " << json << ": " << count.status();
      EXPECT_EQ(*count, Oracle(filter).size()) << when << ": " << json;
    }
  }

  // Filtered searches re-ranking every candidate equal the exhaustive filtered top-k.
  void ExpectSearchesExact(Collection& collection, std::set<std::string>* plans) {
    const std::vector<float> queries = testing::RandomUnitVectors(20, kDim, 12);
    for (size_t f = 0; f < filters_.size(); f += 5) {
      const Filter filter = *Filter::Parse(filters_[f]);
      const std::set<uint64_t> passing = Oracle(filter);
      SearchOptions options;
      options.k = 10;
      options.rerank = true;
      options.rerank_candidates = kPoints;
      options.nprobe = 1000;
      options.with_payloads = true;
      options.filter = &filter;
      SearchPlan plan;
      options.plan = &plan;
      for (size_t q = 0; q < 20; q += 4) {
        const float* query = &queries[q * kDim];
        auto records = collection.Search(absl::MakeConstSpan(query, kDim), options);
        ASSERT_TRUE(records.ok()) << records.status();
        plans->insert(plan.name);
        EXPECT_EQ(plan.passing, passing.size());
        std::vector<uint64_t> got;
        for (const Record& r : *records) {
          got.push_back(r.id);
          EXPECT_EQ(r.payload, payloads_.at(r.id));
        }
        EXPECT_EQ(got, ExactTop(query, passing, 10)) << filters_[f] << " plan " << plan.name;
        // The scalar reference scan applies the filter the same way.
        SearchOptions reference = options;
        reference.reference_scan = true;
        reference.plan = nullptr;
        auto again = collection.Search(absl::MakeConstSpan(query, kDim), reference);
        ASSERT_TRUE(again.ok()) << again.status();
        std::vector<uint64_t> got_reference;
        for (const Record& r : *again) got_reference.push_back(r.id);
        EXPECT_EQ(got_reference, got) << filters_[f];
      }
    }
  }

  std::vector<float> vectors_;
  std::vector<uint64_t> ids_;
  std::map<uint64_t, std::string> payloads_;
  std::vector<std::string> filters_;
};

TEST_F(FilteredSearchTest, CountsAndSearchesEqualTheOracleWithAndWithoutIndexesAndAfterReopen) {
  ScopedTempDir dir;
  const std::vector<std::string> payloads = PayloadList();
  {
    auto db = *Database::Open(dir.path());
    auto collection = *db->CreateCollection(MakeCollectionConfig("c", kDim, 4));
    ASSERT_TRUE(collection->Upsert(ids_, vectors_, payloads).ok());
    ExpectCountsMatch(*collection, "no indexes");
    std::set<std::string> plans;
    ExpectSearchesExact(*collection, &plans);
    for (const auto& [key, type] : std::vector<std::pair<const char*, PayloadIndexType>>{
             {"lang", PayloadIndexType::kKeyword},
             {"year", PayloadIndexType::kInteger},
             {"score", PayloadIndexType::kFloat},
             {"flag", PayloadIndexType::kBool},
             {"meta.tags", PayloadIndexType::kKeyword},
             {"when", PayloadIndexType::kDatetime}}) {
      ASSERT_TRUE(collection->CreatePayloadIndex({key, type}).ok()) << key;
    }
    EXPECT_EQ(collection->CreatePayloadIndex({"lang", PayloadIndexType::kInteger}).code(),
              absl::StatusCode::kAlreadyExists);
    EXPECT_EQ(collection->Describe().payload_indexes.size(), 6u);
    EXPECT_GT(collection->Describe().payload_index_bytes, 0u);
    ExpectCountsMatch(*collection, "indexed");
    // Writes keep the indexes: replace a quarter (new payloads), delete a tenth.
    std::mt19937 gen(9);
    std::vector<uint64_t> replaced = IdRange(0, kPoints / 4);
    std::vector<std::string> new_payloads;
    for (uint64_t id : replaced) {
      payloads_[id] = RandomPayload(gen);
      new_payloads.push_back(payloads_[id]);
    }
    ASSERT_TRUE(collection
                    ->Upsert(replaced,
                             absl::MakeConstSpan(vectors_).subspan(0, replaced.size() * kDim),
                             new_payloads)
                    .ok());
    const std::vector<uint64_t> deleted = IdRange(kPoints / 2, kPoints / 2 + kPoints / 10);
    ASSERT_TRUE(collection->Delete(deleted).ok());
    for (uint64_t id : deleted) payloads_.erase(id);
    ExpectCountsMatch(*collection, "indexed, after writes");
    ExpectSearchesExact(*collection, &plans);
    EXPECT_TRUE(plans.count("exact")) << "no filter took the exact plan";
    EXPECT_TRUE(plans.count("filtered-scan")) << "no filter took the scan";
    EXPECT_TRUE(plans.count("scan-then-filter")) << "no filter took the scan-then-filter plan";
  }
  // Reopened: the indexes are rebuilt from the stored payloads.
  auto db = *Database::Open(dir.path());
  auto collection = *db->GetCollection("c");
  EXPECT_EQ(collection->Describe().payload_indexes.size(), 6u);
  ExpectCountsMatch(*collection, "reopened");
  // Partitioned: the filtered scan probes more lists as fewer pass.
  ASSERT_TRUE(collection->Repartition(16).ok());
  std::set<std::string> plans;
  ExpectSearchesExact(*collection, &plans);
}

TEST_F(FilteredSearchTest, AFewPassingPointsInAPartitionedCollectionAreStillFound) {
  // 1% pass, spread over every list: probing the default lists alone would miss most of them.
  ScopedTempDir dir;
  auto db = *Database::Open(dir.path());
  CollectionConfig config = MakeCollectionConfig("c", kDim, 4);
  config.nprobe = 2;
  auto collection = *db->CreateCollection(config);
  std::vector<std::string> payloads;
  for (size_t i = 0; i < kPoints; ++i) {
    payloads.push_back(i % 100 == 0 ? R"({"rare": true})" : R"({"rare": false})");
  }
  ASSERT_TRUE(collection->Upsert(ids_, vectors_, payloads).ok());
  ASSERT_TRUE(collection->Repartition(32).ok());
  const Filter filter = *Filter::Parse(R"({"must": [{"key": "rare", "match": {"value": true}}]})");
  SearchOptions options;
  options.k = 10;
  options.filter = &filter;
  SearchPlan plan;
  options.plan = &plan;
  const std::vector<float> queries = testing::RandomUnitVectors(10, kDim, 13);
  std::set<uint64_t> passing;
  for (uint64_t id = 0; id < kPoints; id += 100) passing.insert(id);
  double found = 0;
  for (int q = 0; q < 10; ++q) {
    auto records = *collection->Search(absl::MakeConstSpan(&queries[q * kDim], kDim), options);
    const std::vector<uint64_t> truth = ExactTop(&queries[q * kDim], passing, 10);
    for (const Record& r : records) {
      EXPECT_EQ(r.id % 100, 0u);
      found += std::count(truth.begin(), truth.end(), r.id);
    }
  }
  EXPECT_GE(found / 100, 0.9) << "recall@10 of the filtered search; plan " << plan.name;
}

TEST_F(FilteredSearchTest, NearlyAllPassButTheNearestFailAndAreStillLeftOut) {
  // 97.5% pass, but the failing 100 are the query's nearest: the scan-then-filter plan's extra
  // candidates all fail, and the query is scanned again with the per-slot check.
  ScopedTempDir dir;
  auto db = *Database::Open(dir.path());
  auto collection = *db->CreateCollection(MakeCollectionConfig("c", kDim, 4));
  ASSERT_TRUE(collection->Upsert(ids_, vectors_).ok());
  const float* query = &vectors_[0];
  std::set<uint64_t> all(ids_.begin(), ids_.end());
  const std::vector<uint64_t> nearest = ExactTop(query, all, 100);
  std::string json = R"({"must_not": [{"has_id": [)";
  for (size_t i = 0; i < nearest.size(); ++i) absl::StrAppend(&json, i ? "," : "", nearest[i]);
  json += "]}]}";
  const Filter filter = *Filter::Parse(json);
  std::set<uint64_t> passing = all;
  for (uint64_t id : nearest) passing.erase(id);
  SearchOptions options;
  options.k = 10;
  options.rerank = true;
  options.rerank_candidates = 50;  // the wide scan keeps 65 candidates: all of them fail
  options.filter = &filter;
  SearchPlan plan;
  options.plan = &plan;
  auto records = *collection->Search(absl::MakeConstSpan(query, kDim), options);
  EXPECT_STREQ(plan.name, "scan-then-filter");
  ASSERT_EQ(records.size(), 10u);
  const std::vector<uint64_t> truth = ExactTop(query, passing, 10);
  size_t shared = 0;
  for (const Record& r : records) {
    EXPECT_TRUE(passing.count(r.id)) << r.id << " fails the filter";
    shared += std::count(truth.begin(), truth.end(), r.id);
  }
  EXPECT_GE(shared, 9u);
}

TEST_F(FilteredSearchTest, ScrollDeleteByFilterAndPayloadUpdatesFollowTheOracle) {
  ScopedTempDir dir;
  const std::vector<std::string> payloads = PayloadList();
  auto db = *Database::Open(dir.path());
  auto collection = *db->CreateCollection(MakeCollectionConfig("c", kDim, 4));
  ASSERT_TRUE(collection->Upsert(ids_, vectors_, payloads).ok());
  ASSERT_TRUE(collection->CreatePayloadIndex({"lang", PayloadIndexType::kKeyword}).ok());

  // Scroll: pages of 7 in id order, a write between pages.
  const Filter german = *Filter::Parse(R"({"must": [{"key": "lang", "match": {"value": "de"}}]})");
  std::set<uint64_t> expected = Oracle(german);
  std::vector<uint64_t> scrolled;
  std::optional<uint64_t> cursor;
  bool wrote = false;
  do {
    auto page = collection->Scroll(german, cursor, 7, /*with_vectors=*/false, true);
    ASSERT_TRUE(page.ok()) << page.status();
    ASSERT_LE(page->records.size(), 7u);
    for (const Record& r : page->records) {
      scrolled.push_back(r.id);
      EXPECT_EQ(r.payload, payloads_.at(r.id));
    }
    cursor = page->next;
    if (!wrote && cursor.has_value()) {
      // A new German point ahead of the cursor is visited; the pages go on.
      payloads_[kPoints + 1] = R"({"lang": "de"})";
      expected.insert(kPoints + 1);
      ASSERT_TRUE(collection
                      ->Upsert({kPoints + 1}, absl::MakeConstSpan(vectors_).subspan(0, kDim),
                               {payloads_[kPoints + 1]})
                      .ok());
      wrote = true;
    }
  } while (cursor.has_value());
  EXPECT_EQ(scrolled, std::vector<uint64_t>(expected.begin(), expected.end()));
  EXPECT_EQ(collection->Scroll(german, std::nullopt, 0, false, false).status().code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(collection->Delete({kPoints + 1}).ok());
  payloads_.erase(kPoints + 1);

  // Set a key on every point of a filter: the index follows.
  const Filter french = *Filter::Parse(R"({"must": [{"key": "lang", "match": {"value": "fr"}}]})");
  const size_t was_french = Oracle(french).size();
  PayloadUpdate set;
  set.kind = PayloadUpdate::Kind::kSet;
  set.payload = R"({"lang": "xx", "moved": true})";
  auto changed = collection->UpdatePayloads(set, {}, &french);
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_EQ(*changed, was_french);
  const Filter moved = *Filter::Parse(R"({"must": [{"key": "lang", "match": {"value": "xx"}},
                                                  {"key": "moved", "match": {"value": true}}]})");
  EXPECT_EQ(*collection->Count(moved), was_french);
  EXPECT_EQ(*collection->Count(french), 0u);
  // Delete a nested key by ids; overwrite and clear by ids (absent ids skipped).
  PayloadUpdate drop_tags;
  drop_tags.kind = PayloadUpdate::Kind::kDeleteKeys;
  drop_tags.keys = {"meta.tags"};
  ASSERT_TRUE(collection->UpdatePayloads(drop_tags, IdRange(0, 100), nullptr).ok());
  const Filter no_tags =
      *Filter::Parse(R"({"must": [{"has_id": [0, 1, 2, 3]}, {"is_empty": {"key": "meta.tags"}}]})");
  EXPECT_EQ(*collection->Count(no_tags), 4u);
  PayloadUpdate overwrite;
  overwrite.kind = PayloadUpdate::Kind::kOverwrite;
  overwrite.payload = R"({"lang": "de"})";
  EXPECT_EQ(*collection->UpdatePayloads(overwrite, {5, 6, kPoints + 50}, nullptr), 2u);
  auto got = *collection->Get({5}, false, true);
  EXPECT_EQ(got[0].payload, R"({"lang":"de"})");
  PayloadUpdate clear;
  clear.kind = PayloadUpdate::Kind::kClear;
  EXPECT_EQ(*collection->UpdatePayloads(clear, {5}, nullptr), 1u);
  EXPECT_EQ((*collection->Get({5}, false, true))[0].payload, "");
  PayloadUpdate bad;
  bad.kind = PayloadUpdate::Kind::kSet;
  bad.payload = "[1]";
  EXPECT_EQ(collection->UpdatePayloads(bad, {1}, nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);

  // Delete by filter.
  const size_t before = collection->count();
  const size_t german_now = *collection->Count(german);
  auto deleted = collection->DeleteWhere(german);
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(deleted->deleted, german_now);
  EXPECT_EQ(collection->count(), before - german_now);
  EXPECT_EQ(*collection->Count(german), 0u);
  EXPECT_EQ(collection->DeleteWhere(Filter()).status().code(), absl::StatusCode::kInvalidArgument);
  // Reopened, the index agrees.
  collection.reset();
  db.reset();
  db = *Database::Open(dir.path());
  collection = *db->GetCollection("c");
  EXPECT_EQ(*collection->Count(german), 0u);
  EXPECT_EQ(*collection->Count(moved), was_french);
  EXPECT_EQ(collection->count(), before - german_now);
}

TEST(FilterParseTest, BadFiltersNameTheBadPart) {
  const std::pair<const char*, const char*> cases[] = {
      {"not json", "not valid JSON"},
      {"[1]", "a filter is a JSON object"},
      {R"({"mustn't": []})", "unknown filter clause"},
      {R"({"must": [{"key": "a", "matc": {"value": 1}}]})", "filter.must[0].matc"},
      {R"({"must": [{"key": "a", "match": {"value": 1.5}}]})", "filter.must[0].match.value"},
      {R"({"must": [{"key": "a", "match": {"like": "x"}}]})", "unknown match operator"},
      {R"({"must": [{"key": "a", "range": {"gt": "yesterday"}}]})", "RFC 3339"},
      {R"({"must": [{"key": "a", "range": {"above": 1}}]})", "unknown range operator"},
      {R"({"must": [{"match": {"value": 1}}]})", "needs \"key\""},
      {R"({"should": [{"has_id": [-1]}]})", "filter.should[0].has_id[0]"},
      {R"({"must_not": [{"is_null": {}}]})", "filter.must_not[0].is_null"},
      {R"({"must": [{"key": "a", "match": {"any": 3}}]})", "is a list of values"},
  };
  for (const auto& [json, message] : cases) {
    absl::StatusOr<Filter> filter = Filter::Parse(json);
    ASSERT_FALSE(filter.ok()) << json;
    EXPECT_EQ(filter.status().code(), absl::StatusCode::kInvalidArgument) << json;
    EXPECT_NE(filter.status().message().find(message), std::string::npos)
        << json << ": " << filter.status();
  }
  // Too deep (the top filter and kMaxFilterDepth nested ones are allowed), too many conditions.
  std::string deep = R"({"key": "a", "match": {"value": 1}})";
  for (int i = 0; i <= kMaxFilterDepth + 1; ++i) deep = absl::StrCat(R"({"must": [)", deep, "]}");
  EXPECT_NE(Filter::Parse(deep).status().message().find("nest at most"), std::string::npos);
  std::string wide = R"({"should": [)";
  for (int i = 0; i <= kMaxFilterConditions; ++i) {
    absl::StrAppend(&wide, i == 0 ? "" : ",", R"({"has_id": [1]})");
  }
  EXPECT_NE(Filter::Parse(wide + "]}").status().message().find("more than"), std::string::npos);
}

TEST(FilterParseTest, OneTextPerFilterWhateverItsSpacingAndKeyOrder) {
  const Filter a = *Filter::Parse(R"({"must": [{"key": "a", "range": {"gt": 1, "lt": 5}}]})");
  const Filter b = *Filter::Parse(R"(  {"must":[{"range":{"lt":5,"gt":1},"key":"a"}]}  )");
  const Filter c = *Filter::Parse(R"({"must": [{"key": "a", "range": {"gt": 1, "lt": 6}}]})");
  EXPECT_EQ(a.text, b.text);
  EXPECT_NE(a.text, c.text);
  EXPECT_TRUE(Filter().text.empty());
}

TEST_F(FilteredSearchTest, ARepeatedFilterSeesEveryWrite) {
  // The passing set is cached per filter text and collection state: a write in between must
  // show in the next count and search with the same filter.
  ScopedTempDir dir;
  auto db = *Database::Open(dir.path());
  auto collection = *db->CreateCollection(MakeCollectionConfig("c", kDim, 4));
  std::vector<std::string> payloads(kPoints, R"({"tag": "a"})");
  ASSERT_TRUE(collection->Upsert(ids_, vectors_, payloads).ok());
  ASSERT_TRUE(collection->CreatePayloadIndex({"tag", PayloadIndexType::kKeyword}).ok());
  const Filter b = *Filter::Parse(R"({"must": [{"key": "tag", "match": {"value": "b"}}]})");
  SearchOptions options;
  options.k = 5;
  options.filter = &b;
  for (uint64_t round = 0; round < 3; ++round) {
    EXPECT_EQ(*collection->Count(b), round);
    EXPECT_EQ(*collection->Count(b), round);  // the cached set
    EXPECT_EQ(collection->Search(absl::MakeConstSpan(vectors_).subspan(0, kDim), options)->size(),
              round);
    ASSERT_TRUE(collection
                    ->Upsert({round}, absl::MakeConstSpan(vectors_).subspan(round * kDim, kDim),
                             {R"({"tag": "b"})"})
                    .ok());
  }
  PayloadUpdate back;
  back.kind = PayloadUpdate::Kind::kSet;
  back.payload = R"({"tag": "a"})";
  ASSERT_TRUE(collection->UpdatePayloads(back, {0}, nullptr).ok());
  EXPECT_EQ(*collection->Count(b), 2u);
  ASSERT_TRUE(collection->Delete({1}).ok());
  EXPECT_EQ(*collection->Count(b), 1u);
}

TEST(FilterParseTest, ConditionsOnAnIndexedFieldMustFitItsType) {
  ScopedTempDir dir;
  auto db = *Database::Open(dir.path());
  auto collection = *db->CreateCollection(MakeCollectionConfig("c", kDim, 4));
  ASSERT_TRUE(collection->CreatePayloadIndex({"lang", PayloadIndexType::kKeyword}).ok());
  ASSERT_TRUE(collection->CreatePayloadIndex({"year", PayloadIndexType::kInteger}).ok());
  ASSERT_TRUE(collection->CreatePayloadIndex({"score", PayloadIndexType::kFloat}).ok());
  for (const char* json : {R"({"must": [{"key": "lang", "range": {"gt": 1}}]})",
                           R"({"must": [{"key": "year", "match": {"value": "x"}}]})",
                           R"({"must": [{"key": "score", "match": {"value": 1}}]})"}) {
    EXPECT_EQ(collection->Count(*Filter::Parse(json)).status().code(),
              absl::StatusCode::kInvalidArgument)
        << json;
  }
  EXPECT_EQ(collection->CreatePayloadIndex({"", PayloadIndexType::kKeyword}).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(PayloadMatchTest, FollowsTheDocumentedSemantics) {
  const filter::Json payload = filter::ParsePayload(
      R"({"a": {"b": [1, 2, {"c": "x"}]}, "n": null, "e": [], "s": "2021-03-04T05:06:07Z",
          "items": [{"k": "p"}, {"k": "q"}]})");
  auto passes = [&](const char* json) { return filter::Matches(*Filter::Parse(json), 7, payload); };
  EXPECT_TRUE(passes(R"({"must": [{"key": "a.b", "match": {"value": 2}}]})"));
  EXPECT_FALSE(passes(R"({"must": [{"key": "a.b", "match": {"value": 3}}]})"));
  EXPECT_TRUE(passes(R"({"must": [{"key": "items.k", "match": {"value": "q"}}]})"));
  EXPECT_TRUE(passes(R"({"must": [{"key": "a.b", "match": {"except": [1]}}]})"));
  EXPECT_FALSE(passes(R"({"must": [{"key": "missing", "match": {"except": [1]}}]})"));
  EXPECT_TRUE(passes(R"({"must": [{"is_null": {"key": "n"}}]})"));
  EXPECT_FALSE(passes(R"({"must": [{"is_null": {"key": "missing"}}]})"));
  EXPECT_TRUE(passes(R"({"must": [{"is_empty": {"key": "e"}}, {"is_empty": {"key": "n"}},
                                  {"is_empty": {"key": "missing"}}]})"));
  EXPECT_FALSE(passes(R"({"must": [{"is_empty": {"key": "a.b"}}]})"));
  EXPECT_TRUE(passes(R"({"must": [{"key": "s", "range": {"gt": "2021-01-01T00:00:00Z"}}]})"));
  EXPECT_TRUE(passes(R"({"must": [{"has_id": [3, 7]}]})"));
  EXPECT_FALSE(passes(R"({"must_not": [{"has_id": [7]}]})"));
  EXPECT_TRUE(passes(R"({"should": [{"has_id": [1]}, {"key": "a.b", "range": {"lte": 1}}]})"));
  EXPECT_TRUE(passes("{}"));
  // Byte payloads have no fields.
  EXPECT_FALSE(filter::Matches(*Filter::Parse(R"({"must": [{"key": "a", "match": {"value": 1}}]})"),
                               1, filter::ParsePayload("a=1")));
}

}  // namespace
}  // namespace tqdb
