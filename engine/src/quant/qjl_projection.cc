#include "quant/qjl_projection.h"

#include <cmath>
#include <numbers>

#include "quant/fast_rotation.h"
#include "quant/random.h"
#include "quant/sphere_distribution.h"

namespace tqdb {

QjlProjection::QjlProjection(QjlProjectionKind kind, int dim, uint64_t seed)
    : kind_(kind), dim_(dim) {
  if (kind == QjlProjectionKind::kGaussian) {
    SeededRandom random(seed);
    gaussian_.resize(size_t{1} * dim * dim);
    for (float& v : gaussian_) v = static_cast<float>(random.Normal());
    estimator_scale_ = std::sqrt(std::numbers::pi / 2) / dim;
  } else {
    rotation_ = std::make_unique<FastRotation>(dim, seed);
    const double mean_abs = dim >= 2 ? SphereCoordinateDistribution::MeanAbsolute(dim) : 1.0;
    estimator_scale_ = 1.0 / (dim * std::sqrt(static_cast<double>(dim)) * mean_abs);
  }
}

void QjlProjection::Project(const float* in, float* out) const {
  if (kind_ == QjlProjectionKind::kStructured) {
    rotation_->Apply(in, out);
    const float root = std::sqrt(static_cast<float>(dim_));
    for (int i = 0; i < dim_; ++i) out[i] *= root;
    return;
  }
  std::vector<float> result(dim_);
  for (int i = 0; i < dim_; ++i) {
    const float* row = &gaussian_[size_t{1} * i * dim_];
    double dot = 0;
    for (int k = 0; k < dim_; ++k) dot += static_cast<double>(row[k]) * in[k];
    result[i] = static_cast<float>(dot);
  }
  std::copy(result.begin(), result.end(), out);
}

void QjlProjection::ProjectTranspose(const float* in, float* out) const {
  if (kind_ == QjlProjectionKind::kStructured) {
    rotation_->ApplyInverse(in, out);
    const float root = std::sqrt(static_cast<float>(dim_));
    for (int i = 0; i < dim_; ++i) out[i] *= root;
    return;
  }
  std::vector<double> result(dim_, 0.0);
  for (int i = 0; i < dim_; ++i) {
    const float* row = &gaussian_[size_t{1} * i * dim_];
    for (int k = 0; k < dim_; ++k) result[k] += static_cast<double>(in[i]) * row[k];
  }
  for (int k = 0; k < dim_; ++k) out[k] = static_cast<float>(result[k]);
}

size_t QjlProjection::MemoryBytes() const {
  return sizeof(*this) + gaussian_.capacity() * sizeof(float) +
         (rotation_ != nullptr ? rotation_->MemoryBytes() : 0);
}

}  // namespace tqdb
