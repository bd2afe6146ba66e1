// Whether a collection stores each vector's code as that vector encoded the way the collection
// encodes now: relative to its center (the auto center re-encodes earlier vectors when it is
// taken) or, partitioned, in the list of its nearest centroid and relative to that centroid.
#pragma once

#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "index/ivf/coarse_quantizer.h"
#include "index/vector_coder.h"
#include "tqdb/collection.h"

namespace tqdb::testing {

class StoredCodeCheck {
 public:
  // Reads the collection's config and current center or centroids once.
  explicit StoredCodeCheck(const Collection& collection) : collection_(collection) {
    const CollectionInfo info = collection.Describe();
    metric_ = info.config.metric;
    const int d = info.config.quantizer.dim;
    if (info.partitioning != 0) {
      coarse_ = std::make_unique<ivf::CoarseQuantizer>(info.centroids, d);
      by_direction_ = info.lists_by_direction;
    }
    const size_t coders = info.partitioning != 0 ? coarse_->size() : 1;
    for (size_t l = 0; l < coders; ++l) {
      std::vector<float> center = info.center;
      if (info.partitioning != 0 && info.config.centering != Centering::kNone) {
        center.assign(coarse_->centroid(l), coarse_->centroid(l) + d);
      }
      absl::StatusOr<std::unique_ptr<VectorCoder>> coder =
          VectorCoder::Create(metric_, info.config.quantizer, center);
      if (!coder.ok()) {
        ADD_FAILURE() << coder.status();
        return;
      }
      coders_.push_back(*std::move(coder));
    }
  }

  // The stored code and both factors of `id` equal the encoding of `vector` (and, partitioned,
  // its list is the one of the nearest centroid, or of the nearest direction).
  ::testing::AssertionResult Matches(uint64_t id, const float* vector) const {
    if (coders_.empty()) return ::testing::AssertionFailure() << "no coder";
    absl::StatusOr<StoredCode> stored = collection_.GetStoredCode(id);
    if (!stored.ok())
      return ::testing::AssertionFailure() << "id " << id << ": " << stored.status();
    size_t list = 0;
    if (coarse_ != nullptr) {
      if (stored->list < 0 || static_cast<size_t>(stored->list) >= coarse_->size()) {
        return ::testing::AssertionFailure() << "id " << id << " is in no list";
      }
      list = stored->list;
      // Nearest, up to rounding (BLAS sums in another order for another batch).
      const int d = coarse_->dim();
      const std::vector<float> row = ivf::CoarseRows(metric_, d, absl::MakeConstSpan(vector, d));
      // By L2 to the centroid, or (lists by direction) by the angle to it: 1 - cosine.
      auto distance = [&](size_t c) {
        const float* m = coarse_->centroid(c);
        double sum = 0, dot = 0, norm_sq = 0;
        for (int j = 0; j < d; ++j) {
          sum += std::pow(double{row[j]} - m[j], 2);
          dot += double{row[j]} * m[j];
          norm_sq += double{m[j]} * m[j];
        }
        return by_direction_ ? 1 - dot / std::sqrt(norm_sq) : sum;
      };
      const double own = distance(list);
      for (size_t c = 0; c < coarse_->size(); ++c) {
        if (distance(c) < own - 1e-5 * (1 + own)) {
          return ::testing::AssertionFailure()
                 << "id " << id << " is in list " << list << " but list " << c << " is nearer";
        }
      }
    }
    const VectorCoder& coder = *coders_[list];
    std::vector<uint8_t> code(coder.quantizer().code_bytes());
    VectorFactors factors;
    coder.Encode(vector, code.data(), &factors);
    if (stored->code != code || stored->factors.norm != factors.norm ||
        stored->factors.aux != factors.aux) {
      return ::testing::AssertionFailure() << "id " << id << " has the wrong stored code";
    }
    return ::testing::AssertionSuccess();
  }

 private:
  const Collection& collection_;
  Metric metric_ = Metric::kCosine;
  bool by_direction_ = false;
  std::unique_ptr<ivf::CoarseQuantizer> coarse_;
  std::vector<std::unique_ptr<VectorCoder>> coders_;
};

}  // namespace tqdb::testing
