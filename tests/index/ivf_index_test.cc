#include "tqdb/ivf_index.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"
#include "index/ivf/coarse_quantizer.h"
#include "test_util.h"
#include "tqdb/flat_index.h"
#include "tqdb/id_selector.h"

namespace tqdb {
namespace {

using testing::GloveFixture;
using testing::IdRange;

float SquaredDistance(const float* a, const float* b, int d) {
  float sum = 0;
  for (int j = 0; j < d; ++j) sum += (a[j] - b[j]) * (a[j] - b[j]);
  return sum;
}

TEST(CoarseQuantizerTest, AssignAndProbeMatchABruteForceSearch) {
  const int d = 24;
  const size_t k = 37, n = 1500;  // more than one block of rows per matrix product
  std::mt19937 gen(3);
  std::normal_distribution<float> normal;
  std::vector<float> centroids(k * d), x(n * d);
  for (float& v : centroids) v = normal(gen);
  for (float& v : x) v = normal(gen);
  const ivf::CoarseQuantizer coarse(centroids, d);
  std::vector<uint32_t> nearest(n);
  std::vector<float> distances(n);
  coarse.Assign(x.data(), n, nearest.data(), distances.data());
  const size_t probes = 5;
  std::vector<uint32_t> probed(n * probes), probed_ip(n * probes);
  coarse.Probe(x.data(), n, probes, /*by_inner_product=*/false, probed.data());
  coarse.Probe(x.data(), n, probes, /*by_inner_product=*/true, probed_ip.data());
  for (size_t i = 0; i < n; ++i) {
    const float* row = &x[i * d];
    std::vector<uint32_t> order(k);
    std::iota(order.begin(), order.end(), 0);
    std::vector<float> dist(k), ip(k);
    for (size_t c = 0; c < k; ++c) {
      dist[c] = SquaredDistance(row, &centroids[c * d], d);
      ip[c] = std::inner_product(row, row + d, &centroids[c * d], 0.0f);
    }
    std::vector<uint32_t> by_distance = order, by_ip = order;
    std::stable_sort(by_distance.begin(), by_distance.end(),
                     [&](uint32_t a, uint32_t b) { return dist[a] < dist[b]; });
    std::stable_sort(by_ip.begin(), by_ip.end(),
                     [&](uint32_t a, uint32_t b) { return ip[a] > ip[b]; });
    ASSERT_EQ(nearest[i], by_distance[0]) << "row " << i;
    EXPECT_NEAR(distances[i], dist[by_distance[0]], 1e-3f * (1 + dist[by_distance[0]]));
    for (size_t p = 0; p < probes; ++p) {
      // Float rounding may swap near-ties; the probed list must be as near as the true p-th.
      EXPECT_NEAR(dist[probed[i * probes + p]], dist[by_distance[p]], 1e-3f) << i << " " << p;
      EXPECT_NEAR(ip[probed_ip[i * probes + p]], ip[by_ip[p]], 1e-3f) << i << " " << p;
    }
  }
}

// Lloyd's iterations never raise the within-cluster squared error, and leave no cluster empty.
TEST(KMeansTest, MoreIterationsNeverRaiseTheErrorAndNoClusterIsEmpty) {
  const DenseDataset& glove = GloveFixture();
  const int d = glove.dim;
  const size_t n = 3000, k = 50;
  auto error_and_sizes = [&](const std::vector<float>& centroids) {
    std::vector<uint32_t> nearest(n);
    std::vector<float> distances(n);
    ivf::CoarseQuantizer(centroids, d)
        .Assign(glove.values.data(), n, nearest.data(), distances.data());
    std::vector<size_t> sizes(k);
    for (uint32_t c : nearest) ++sizes[c];
    return std::make_pair(std::accumulate(distances.begin(), distances.end(), 0.0), sizes);
  };
  double previous = 1e300;
  for (int iterations : {0, 1, 3, 10}) {
    const auto [error, sizes] =
        error_and_sizes(ivf::KMeans(glove.values.data(), n, d, k, {iterations, 7}));
    EXPECT_LE(error, previous * (1 + 1e-6)) << iterations << " iterations";
    if (iterations > 0) {
      EXPECT_EQ(std::count(sizes.begin(), sizes.end(), size_t{0}), 0) << iterations;
    }
    previous = error;
  }
  // Duplicated rows: the starting rows collide and some cluster starts empty; the split fills it.
  std::vector<float> twins;
  for (size_t i = 0; i < 20; ++i) {
    for (int copy = 0; copy < 5; ++copy) {
      twins.insert(twins.end(), &glove.values[i * d], &glove.values[(i + 1) * d]);
    }
  }
  const std::vector<float> centroids = ivf::KMeans(twins.data(), 100, d, 20, {5, 3});
  std::vector<uint32_t> nearest(100);
  ivf::CoarseQuantizer(centroids, d).Assign(twins.data(), 100, nearest.data());
  std::vector<size_t> sizes(20);
  for (uint32_t c : nearest) ++sizes[c];
  EXPECT_EQ(std::count(sizes.begin(), sizes.end(), size_t{0}), 0);
}

class IvfGloveTest : public ::testing::Test {
 protected:
  static constexpr size_t kQueries = 200;
  void SetUp() override {
    d_ = GloveFixture().dim;
    n_ = GloveFixture().count - kQueries;
    testing::SplitGloveFixture(kQueries, &base_, &queries_);
  }
  IvfIndexOptions Options(int bits) const {
    IvfIndexOptions options;
    options.metric = Metric::kCosine;
    options.quantizer = DefaultQuantizerConfig(d_, bits);
    options.store_vectors = true;
    return options;
  }
  // The exact top-k by cosine.
  std::vector<uint64_t> ExactTop(const float* q, int k) const {
    return testing::ExactTopCosine(base_.data(), n_, d_, q, k);
  }
  // Recall@10 of the kQueries queries' results.
  double RecallAt10(const std::vector<std::vector<SearchHit>>& results) const {
    size_t found = 0;
    for (size_t q = 0; q < kQueries; ++q) {
      const std::vector<uint64_t> truth = ExactTop(&queries_[q * d_], 10);
      for (const SearchHit& hit : results[q]) {
        found += std::count(truth.begin(), truth.end(), hit.id);
      }
    }
    return static_cast<double>(found) / (10 * kQueries);
  }

  int d_ = 0;
  size_t n_ = 0;
  std::vector<float> base_, queries_;
};

TEST_F(IvfGloveTest, EveryListProbedGivesTheFlatIndexResultsWithUncenteredLists) {
  // Whole bits with float factors, and a fractional width with 16-bit factors (issue 31): the
  // lists hold the same codes and factors as the flat index.
  for (auto [bits, eighths, factor_bits] : {std::tuple{4, 0, 32}, {2, 4, 16}}) {
    SCOPED_TRACE(::testing::Message()
                 << bits << " + " << eighths << "/8 bits, " << factor_bits << "-bit factors");
    IvfIndexOptions options = Options(bits);
    options.quantizer = DefaultQuantizerConfig(d_, bits, eighths);
    options.quantizer.factor_bits = factor_bits;
    options.center_lists = false;  // the flat index's codes exactly, split over lists
    auto ivf = IvfIndex::Train(options, base_, 40);
    ASSERT_TRUE(ivf.ok()) << ivf.status();
    ASSERT_TRUE((*ivf)->Add(IdRange(0, n_), base_).ok());
    FlatIndexOptions flat_options;
    flat_options.metric = options.metric;
    flat_options.quantizer = options.quantizer;
    auto flat = FlatIndex::Create(flat_options);
    ASSERT_TRUE((*flat)->Add(IdRange(0, n_), base_).ok());
    IvfSearchParameters params;
    params.k = 10;
    params.nprobe = 40;
    auto got = (*ivf)->SearchBatch(queries_, params);
    auto want = (*flat)->SearchBatch(queries_, params);
    ASSERT_TRUE(got.ok() && want.ok());
    for (size_t q = 0; q < kQueries; ++q) {
      ASSERT_EQ((*got)[q].size(), (*want)[q].size());
      for (size_t i = 0; i < (*want)[q].size(); ++i) {
        EXPECT_EQ((*got)[q][i].id, (*want)[q][i].id) << "query " << q << " rank " << i;
        EXPECT_EQ((*got)[q][i].score, (*want)[q][i].score) << "query " << q << " rank " << i;
      }
    }
  }
}

TEST_F(IvfGloveTest, RecallAtEightListsAndAtTheDefaultNprobeIsAboveItsFloor) {
  const size_t lists = DefaultListCount(n_);  // 99
  auto ivf = IvfIndex::Train(Options(4), base_, lists);
  ASSERT_TRUE(ivf.ok()) << ivf.status();
  ASSERT_TRUE((*ivf)->Add(IdRange(0, n_), base_).ok());
  EXPECT_EQ((*ivf)->size(), n_);
  EXPECT_EQ((*ivf)->default_nprobe(), 32);
  const std::vector<size_t> sizes = (*ivf)->ListSizes();
  EXPECT_EQ(std::accumulate(sizes.begin(), sizes.end(), size_t{0}), n_);
  EXPECT_LT(*std::max_element(sizes.begin(), sizes.end()), n_ / 8) << "lists are balanced";
  // Measured: 8 of 99 lists 0.89 without re-rank, 0.92 with it; the default 32 lists 0.94 and
  // 0.995 (4 bits).
  struct Case {
    int nprobe;
    bool rerank;
    double floor;
  };
  for (const Case& c :
       {Case{8, false, 0.82}, Case{8, true, 0.88}, Case{0, false, 0.88}, Case{0, true, 0.97}}) {
    IvfSearchParameters params;
    params.k = 10;
    params.rerank = c.rerank;
    params.nprobe = c.nprobe;
    auto results = (*ivf)->SearchBatch(queries_, params);
    ASSERT_TRUE(results.ok());
    const double recall = RecallAt10(*results);
    std::printf("recall@10, nprobe %d%s: %.3f\n", c.nprobe, c.rerank ? " re-ranked" : "", recall);
    EXPECT_GT(recall, c.floor) << "nprobe " << c.nprobe << (c.rerank ? " re-ranked" : "");
  }
}

// Lists by direction: each vector goes to the list whose centroid has the largest cosine with
// it, the index keeps the centroids it was given (what storage writes), and at a few probed lists
// the re-ranked recall is at least that of lists by L2 to the same centroids.
TEST_F(IvfGloveTest, ListsByDirectionHoldEachVectorInTheListOfItsNearestDirection) {
  auto trained = IvfIndex::Train(Options(4), base_, 60);
  ASSERT_TRUE(trained.ok()) << trained.status();
  const std::vector<float> centroids = (*trained)->centroids();
  double recalls[2] = {0, 0};
  for (bool by_direction : {false, true}) {
    IvfIndexOptions options = Options(4);
    options.probe_by_direction = by_direction;
    auto ivf = IvfIndex::Create(options, centroids);
    ASSERT_TRUE(ivf.ok()) << ivf.status();
    ASSERT_TRUE((*ivf)->Add(IdRange(0, n_), base_).ok());
    EXPECT_EQ((*ivf)->centroids(), centroids) << "the centroids as given";
    EXPECT_EQ((*ivf)->Stats().lists_by_direction, by_direction);
    size_t moved = 0;
    for (size_t i = 0; i < n_; i += 7) {
      const float* x = &base_[i * d_];
      size_t best = 0;
      double best_cosine = -2;
      for (size_t l = 0; l < centroids.size() / d_; ++l) {
        double dot = 0, norm_sq = 0;
        for (int j = 0; j < d_; ++j) {
          dot += double{x[j]} * centroids[l * d_ + j];
          norm_sq += double{centroids[l * d_ + j]} * centroids[l * d_ + j];
        }
        const double cosine = dot / std::sqrt(norm_sq);  // up to |x|, the same for every list
        if (cosine > best_cosine) {
          best_cosine = cosine;
          best = l;
        }
      }
      const int64_t list = (*ivf)->ListOf(i);
      if (by_direction) {
        EXPECT_EQ(list, static_cast<int64_t>(best)) << "vector " << i;
      } else {
        moved += list != static_cast<int64_t>(best);
      }
    }
    if (!by_direction) {
      EXPECT_GT(moved, 0u) << "the two rules differ on this data";
    }
    IvfSearchParameters params;
    params.k = 10;
    params.nprobe = 4;
    params.rerank = true;
    auto results = (*ivf)->SearchBatch(queries_, params);
    ASSERT_TRUE(results.ok());
    recalls[by_direction] = RecallAt10(*results);
  }
  std::printf("re-ranked recall@10 at 4 of 60 lists: by L2 %.3f, by direction %.3f\n", recalls[0],
              recalls[1]);
  EXPECT_GE(recalls[1], recalls[0] - 0.005);
}

TEST_F(IvfGloveTest, CenteredListsWithEveryListAndCandidateReRankedGiveTheExactTopK) {
  auto ivf = IvfIndex::Train(Options(2), base_, 30);
  ASSERT_TRUE(ivf.ok());
  ASSERT_TRUE((*ivf)->Add(IdRange(0, n_), base_).ok());
  IvfSearchParameters params;
  params.k = 10;
  params.nprobe = 30;
  params.rerank = true;
  params.rerank_candidates = static_cast<int>(n_);
  for (size_t q = 0; q < 20; ++q) {
    auto hits = (*ivf)->Search(absl::MakeConstSpan(&queries_[q * d_], d_), params);
    ASSERT_TRUE(hits.ok());
    const std::vector<uint64_t> truth = ExactTop(&queries_[q * d_], 10);
    ASSERT_EQ(hits->size(), 10u);
    for (size_t i = 0; i < 10; ++i) EXPECT_EQ((*hits)[i].id, truth[i]) << q << " " << i;
  }
}

// A batch is scanned list by list (each list's codes read once for every query of the batch
// that probes it); each query must get what it gets searched alone, ids and scores, with and
// without re-rank and with an id filter.
TEST_F(IvfGloveTest, ABatchScannedListByListFindsWhatEachQueryFindsAlone) {
  class EvenIds : public IdSelector {
   public:
    bool Contains(uint64_t id) const override { return id % 2 == 0; }
  } even;
  for (const int bits : {2, 4}) {
    auto ivf = IvfIndex::Train(Options(bits), base_, 40);
    ASSERT_TRUE(ivf.ok()) << ivf.status();
    ASSERT_TRUE((*ivf)->Add(IdRange(0, n_), base_).ok());
    for (const int nprobe : {4, 16}) {
      for (const bool rerank : {false, true}) {
        for (const IdSelector* selector :
             {static_cast<const IdSelector*>(nullptr), static_cast<const IdSelector*>(&even)}) {
          IvfSearchParameters params;
          params.k = 10;
          params.nprobe = nprobe;
          params.rerank = rerank;
          params.selector = selector;
          auto batch = (*ivf)->SearchBatch(queries_, params);
          ASSERT_TRUE(batch.ok()) << batch.status();
          for (size_t q = 0; q < kQueries; ++q) {
            auto alone = (*ivf)->Search(absl::MakeConstSpan(&queries_[q * d_], d_), params);
            ASSERT_TRUE(alone.ok());
            ASSERT_EQ(alone->size(), (*batch)[q].size());
            for (size_t i = 0; i < alone->size(); ++i) {
              ASSERT_EQ((*alone)[i].id, (*batch)[q][i].id)
                  << "bits " << bits << " nprobe " << nprobe << " rerank " << rerank << " filtered "
                  << (selector != nullptr) << " query " << q << " rank " << i;
              ASSERT_EQ((*alone)[i].score, (*batch)[q][i].score);
            }
          }
        }
      }
    }
  }
}

// A cluster's shards: each of S parts holds 1/S of the vectors in about sqrt(n/S) lists and
// probes nprobe / sqrt(S) of them, the share of the data one index over all would probe.
TEST_F(IvfGloveTest, APartProbesItsShareOfTheListsOfTheWhole) {
  constexpr int kParts = 4;
  const size_t whole_lists = DefaultListCount(n_);  // 99
  auto whole = IvfIndex::Train(Options(4), base_, whole_lists);
  ASSERT_TRUE(whole.ok()) << whole.status();
  ASSERT_TRUE((*whole)->Add(IdRange(0, n_), base_).ok());
  EXPECT_EQ((*whole)->ProbedLists(0, 1), 32u);
  EXPECT_EQ((*whole)->ProbedLists(12, 1), 12u);
  EXPECT_EQ((*whole)->ProbedLists(500, 1), whole_lists);  // at most every list
  EXPECT_EQ((*whole)->ProbedLists(12, kParts), 6u);       // 12 / sqrt(4)
  EXPECT_EQ((*whole)->ProbedLists(13, kParts), 7u);       // rounded up
  EXPECT_EQ((*whole)->ProbedLists(1, 1000), 1u);          // at least one
  // Rows i with i % kParts == p make part p, as a hash would spread them.
  std::vector<std::unique_ptr<IvfIndex>> parts;
  for (int p = 0; p < kParts; ++p) {
    std::vector<float> rows;
    std::vector<uint64_t> ids;
    for (size_t i = p; i < n_; i += kParts) {
      rows.insert(rows.end(), &base_[i * d_], &base_[(i + 1) * d_]);
      ids.push_back(i);
    }
    auto part = IvfIndex::Train(Options(4), rows, DefaultListCount(ids.size()));  // 49-50
    ASSERT_TRUE(part.ok()) << part.status();
    ASSERT_TRUE((*part)->Add(ids, rows).ok());
    // The whole's default, 32 of 99 lists, is 16 of a part's 49-50, and half as much again.
    EXPECT_EQ((*part)->ProbedLists(0, kParts), 24u);
    parts.push_back(*std::move(part));
  }
  // Recall@10 of the whole and of the parts' merged top 10 at `nprobe`, re-ranked (exact
  // scores merge exactly). At nprobe 8 (where recall still moves with the lists probed) the
  // parts, at an equal share, find a little less than the whole: 0.871 against 0.921 when
  // written (a coarser partition puts a neighbour in a list further down the query's order);
  // nprobe / parts lists per part instead, 2 of 50, found 0.754.
  const auto recalls = [&](int nprobe) -> std::pair<double, double> {
    IvfSearchParameters params;
    params.k = 10;
    params.rerank = true;
    params.nprobe = nprobe;
    IvfSearchParameters part_params = params;
    part_params.parts = kParts;
    size_t found_whole = 0, found_parts = 0;
    for (size_t q = 0; q < kQueries; ++q) {
      const absl::Span<const float> query(&queries_[q * d_], d_);
      const std::vector<uint64_t> truth = ExactTop(query.data(), 10);
      auto hits = (*whole)->Search(query, params);
      EXPECT_TRUE(hits.ok());
      std::vector<SearchHit> merged;
      for (const auto& part : parts) {
        auto part_hits = part->Search(query, part_params);
        EXPECT_TRUE(part_hits.ok());
        merged.insert(merged.end(), part_hits->begin(), part_hits->end());
      }
      std::sort(merged.begin(), merged.end(),
                [](const SearchHit& a, const SearchHit& b) { return a.score > b.score; });
      merged.resize(std::min<size_t>(merged.size(), 10));
      for (const SearchHit& hit : *hits)
        found_whole += std::count(truth.begin(), truth.end(), hit.id);
      for (const SearchHit& hit : merged)
        found_parts += std::count(truth.begin(), truth.end(), hit.id);
    }
    return {static_cast<double>(found_whole) / (10 * kQueries),
            static_cast<double>(found_parts) / (10 * kQueries)};
  };
  size_t probed_parts = 0;
  for (const auto& part : parts) {
    probed_parts += part->ProbedLists(8, kParts) * part->size() / part->lists();
  }
  const size_t probed_whole = (*whole)->ProbedLists(8, 1) * n_ / whole_lists;
  const auto [whole_at_8, parts_at_8] = recalls(8);
  const auto [whole_default, parts_default] = recalls(0);
  std::printf(
      "nprobe 8 of the whole: recall@10 %.3f, %zu vectors probed; 4 parts: %.3f, %zu\n"
      "default: whole %.3f, parts %.3f\n",
      whole_at_8, probed_whole, parts_at_8, probed_parts, whole_default, parts_default);
  EXPECT_GT(parts_at_8, whole_at_8 - 0.08);
  EXPECT_LT(probed_parts, probed_whole * 5 / 4) << "the parts probe about the whole's share";
  // By default they probe half as much again, for the whole's recall.
  EXPECT_GE(parts_default, whole_default - 0.005);
}

TEST_F(IvfGloveTest, UpsertMovesAVectorBetweenListsAndRemoveForgetsIt) {
  auto ivf = IvfIndex::Train(Options(4), base_, 16);
  ASSERT_TRUE(ivf.ok());
  IvfSearchParameters reranked;
  reranked.rerank = true;
  auto empty = (*ivf)->Search(absl::MakeConstSpan(queries_).first(d_), reranked);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty()) << "every probed list empty, re-rank included";
  ASSERT_TRUE((*ivf)->Add(IdRange(0, 1000), absl::MakeConstSpan(base_).first(1000 * d_)).ok());
  // Give id 7 the vector of some id in another list.
  uint64_t other = 0;
  while ((*ivf)->ListOf(other) == (*ivf)->ListOf(7)) ++other;
  const int64_t target = (*ivf)->ListOf(other);
  const uint64_t seven = 7;
  ASSERT_TRUE((*ivf)->Add({&seven, 1}, absl::MakeConstSpan(&base_[other * d_], d_)).ok());
  EXPECT_EQ((*ivf)->ListOf(7), target);
  EXPECT_EQ((*ivf)->size(), 1000u);
  const std::vector<size_t> sizes = (*ivf)->ListSizes();
  EXPECT_EQ(std::accumulate(sizes.begin(), sizes.end(), size_t{0}), 1000u) << "no duplicate";
  IvfSearchParameters params;
  params.k = 2;
  params.nprobe = 16;
  params.rerank = true;
  auto hits = (*ivf)->Search(absl::MakeConstSpan(&base_[other * d_], d_), params);
  ASSERT_TRUE(hits.ok());
  std::vector<uint64_t> ids = {(*hits)[0].id, (*hits)[1].id};
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids,
            (std::vector<uint64_t>{std::min<uint64_t>(7, other), std::max<uint64_t>(7, other)}));
  EXPECT_EQ((*ivf)->Remove({&seven, 1}), 1u);
  EXPECT_EQ((*ivf)->Remove({&seven, 1}), 0u);
  EXPECT_FALSE((*ivf)->Contains(7));
  EXPECT_EQ((*ivf)->size(), 999u);
}

TEST_F(IvfGloveTest, BadInputGetsAClearError) {
  EXPECT_EQ(
      IvfIndex::Train(Options(4), absl::MakeConstSpan(base_).first(10 * d_), 11).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(IvfIndex::Create(Options(4), std::vector<float>(d_ + 1)).status().code(),
            absl::StatusCode::kInvalidArgument);
  IvfIndexOptions no_floats = Options(4);
  no_floats.store_vectors = false;
  auto ivf = IvfIndex::Train(no_floats, absl::MakeConstSpan(base_).first(500 * d_), 8);
  ASSERT_TRUE(ivf.ok());
  const auto query = absl::MakeConstSpan(queries_).first(d_);
  auto nothing = (*ivf)->Search(query, {});  // trained, still empty: no hits, no error
  ASSERT_TRUE(nothing.ok());
  EXPECT_TRUE(nothing->empty());
  ASSERT_TRUE((*ivf)->Add(IdRange(0, 500), absl::MakeConstSpan(base_).first(500 * d_)).ok());
  IvfSearchParameters params;
  params.nprobe = -1;
  EXPECT_EQ((*ivf)->Search(query, params).status().code(), absl::StatusCode::kInvalidArgument);
  params.nprobe = 1000;  // more than there are lists: all of them
  EXPECT_TRUE((*ivf)->Search(query, params).ok());
  params.rerank = true;
  EXPECT_EQ((*ivf)->Search(query, params).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ((*ivf)->Search(absl::MakeConstSpan(queries_).first(d_ - 1), {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::vector<float> nan(d_, std::nanf(""));
  const uint64_t id = 1;
  EXPECT_EQ((*ivf)->Add({&id, 1}, nan).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*ivf)->size(), 500u) << "a refused batch changes nothing";
}

// The lists differ only in their centers: they share one quantizer (rotation, QJL projection,
// codebook), and the index counts it once. (Each list had its own, uncounted: at d = 1536 with
// tq-prod about 100 KB per list.)
TEST(IvfMemoryTest, TheListsShareOneQuantizerCountedOnce) {
  for (const int bits : {1, 4}) {  // tq-prod (with its QJL projection), tq-mse
    IvfIndexOptions options;
    options.metric = Metric::kCosine;
    options.quantizer = DefaultQuantizerConfig(256, bits);
    constexpr size_t kLists = 64;
    auto ivf = IvfIndex::Create(options, testing::RandomUnitVectors(kLists, 256, 5));
    ASSERT_TRUE(ivf.ok()) << ivf.status();
    FlatIndexOptions flat_options;
    flat_options.metric = options.metric;
    flat_options.quantizer = options.quantizer;
    auto flat = FlatIndex::Create(flat_options);
    ASSERT_TRUE(flat.ok()) << flat.status();
    const size_t one = (*flat)->Memory().codec;
    EXPECT_GT(one, 256 * sizeof(float)) << "the rotation's permutations and signs at least";
    EXPECT_EQ((*ivf)->Memory().codec, one) << "bits " << bits;
  }
}

// A single query whose probed lists are large spreads them over the threads, each with its own
// top-k, merged at the end; a query of a larger batch is scanned by one thread. Both must give
// the same hits, scores and order: the pruning only drops what cannot enter a top-k.
TEST(IvfSplitTest, ASingleQuerySplitOverThreadsEqualsItsUnsplitScan) {
  constexpr int kDim = 32;
  const std::vector<float> base = testing::RandomUnitVectors(40000, kDim, 21);
  const std::vector<float> queries = testing::RandomUnitVectors(6, kDim, 22);
  for (const int bits : {1, 4}) {
    IvfIndexOptions options;
    options.metric = Metric::kCosine;
    options.quantizer = DefaultQuantizerConfig(kDim, bits);
    options.store_vectors = true;
    auto ivf = IvfIndex::Train(options, base, 8);
    ASSERT_TRUE(ivf.ok()) << ivf.status();
    ASSERT_TRUE((*ivf)->Add(IdRange(0, 40000), base).ok());
    for (const bool rerank : {false, true}) {
      IvfSearchParameters params;
      params.k = 20;
      params.nprobe = 8;  // every list: 40,000 vectors probed, past the split threshold
      params.rerank = rerank;
      auto batch = (*ivf)->SearchBatch(queries, params);  // one thread per query
      ASSERT_TRUE(batch.ok()) << batch.status();
      for (size_t q = 0; q < 6; ++q) {
        auto single = (*ivf)->Search(absl::MakeConstSpan(queries).subspan(q * kDim, kDim), params);
        ASSERT_TRUE(single.ok()) << single.status();
        ASSERT_EQ(single->size(), (*batch)[q].size());
        for (size_t i = 0; i < single->size(); ++i) {
          EXPECT_EQ((*single)[i].id, (*batch)[q][i].id) << "bits " << bits << " query " << q;
          EXPECT_EQ((*single)[i].score, (*batch)[q][i].score);
        }
      }
    }
  }
}

}  // namespace
}  // namespace tqdb
