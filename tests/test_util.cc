#include "test_util.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"
#include "tqdb/metric.h"

namespace tqdb::testing {

ScopedTempDir::ScopedTempDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/tqdb-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp failed for " << pattern;
  }
  path_ = pattern;
}

ScopedTempDir::~ScopedTempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string ScopedTempDir::WriteFile(const std::string& name, const std::string& content) const {
  const std::string path = path_ + "/" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

std::vector<uint64_t> IdRange(uint64_t begin, uint64_t end) {
  std::vector<uint64_t> ids;
  ids.reserve(end - begin);
  for (uint64_t id = begin; id < end; ++id) ids.push_back(id);
  return ids;
}

double KolmogorovSmirnov(std::vector<double> samples, const std::function<double(double)>& cdf) {
  std::sort(samples.begin(), samples.end());
  const double n = static_cast<double>(samples.size());
  double worst = 0;
  for (size_t i = 0; i < samples.size(); ++i) {
    const double f = cdf(samples[i]);
    worst = std::max({worst, f - i / n, (i + 1) / n - f});
  }
  return worst * std::sqrt(n);
}

std::string TestDataPath(const std::string& name) {
  return std::string(TQDB_TEST_DATA_DIR) + "/" + name;
}

std::vector<uint64_t> ExactTopCosine(const float* base, size_t n, int dim, const float* query,
                                     int k) {
  std::vector<std::pair<double, uint64_t>> scored;
  const double qn = std::sqrt(Dot(query, query, dim));
  for (size_t i = 0; i < n; ++i) {
    const float* x = base + i * dim;
    scored.push_back({-Dot(query, x, dim) / (qn * std::sqrt(Dot(x, x, dim))), i});
  }
  std::partial_sort(scored.begin(), scored.begin() + k, scored.end());
  std::vector<uint64_t> ids;
  for (int i = 0; i < k; ++i) ids.push_back(scored[i].second);
  return ids;
}

void SplitGloveFixture(size_t queries, std::vector<float>* base, std::vector<float>* query_rows) {
  const DenseDataset& glove = GloveFixture();
  const auto split = glove.values.end() - static_cast<std::ptrdiff_t>(queries * glove.dim);
  base->assign(glove.values.begin(), split);
  query_rows->assign(split, glove.values.end());
}

const DenseDataset& GloveFixture() {
  static const DenseDataset* data = [] {
    absl::StatusOr<DenseDataset> loaded = ReadFvecs(TestDataPath("glove-100-10k.fvecs"));
    if (!loaded.ok()) {
      ADD_FAILURE() << "the committed fixture tests/data/glove-100-10k.fvecs: " << loaded.status();
      return new DenseDataset();
    }
    return new DenseDataset(*std::move(loaded));
  }();
  return *data;
}

size_t ExpectSameRecords(const Collection& expected, const Collection& got,
                         const std::vector<uint64_t>& ids) {
  absl::StatusOr<std::vector<Record>> want = expected.Get(ids, true, true);
  absl::StatusOr<std::vector<Record>> have = got.Get(ids, true, true);
  EXPECT_TRUE(want.ok()) << want.status();
  EXPECT_TRUE(have.ok()) << have.status();
  if (!want.ok() || !have.ok()) return 0;
  size_t found = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    if ((*have)[i].found != (*want)[i].found) {
      ADD_FAILURE() << "id " << ids[i] << ((*want)[i].found ? " missing" : " present, deleted");
      return found;
    }
    EXPECT_EQ((*have)[i].vector, (*want)[i].vector) << "id " << ids[i];
    EXPECT_EQ((*have)[i].payload, (*want)[i].payload) << "id " << ids[i];
    found += (*have)[i].found ? 1 : 0;
  }
  return found;
}

}  // namespace tqdb::testing
