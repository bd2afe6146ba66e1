#include "db/drift_sample.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tqdb {

DriftSample::DriftSample(Metric metric, int dim, size_t capacity)
    : metric_(metric), dim_(dim), capacity_(capacity), rng_(0x7d6a11f7u + dim) {}

void DriftSample::Put(size_t slot, uint64_t id, const float* row) {
  if (slot == ids_.size()) {
    ids_.push_back(id);
    rows_.resize(rows_.size() + dim_);
  } else {
    slot_of_.erase(ids_[slot]);
    ids_[slot] = id;
  }
  slot_of_[id] = slot;
  float* out = rows_.data() + slot * dim_;
  double scale = 1;
  if (metric_ == Metric::kCosine) {
    double norm_sq = 0;
    for (int j = 0; j < dim_; ++j) norm_sq += double{row[j]} * row[j];
    scale = norm_sq > 0 ? 1 / std::sqrt(norm_sq) : 0;
  }
  for (int j = 0; j < dim_; ++j) out[j] = static_cast<float>(row[j] * scale);
}

void DriftSample::Add(absl::Span<const uint64_t> ids, absl::Span<const float> rows) {
  for (size_t i = 0; i < ids.size(); ++i) {
    const float* row = rows.data() + i * dim_;
    if (auto found = slot_of_.find(ids[i]); found != slot_of_.end()) {
      Put(found->second, ids[i], row);  // a replaced vector: the same member, its new value
      continue;
    }
    ++seen_;
    if (ids_.size() < capacity_) {
      Put(ids_.size(), ids[i], row);
    } else if (const size_t pick = std::uniform_int_distribution<size_t>(0, seen_ - 1)(rng_);
               pick < capacity_) {
      Put(pick, ids[i], row);
    }
  }
}

void DriftSample::Remove(absl::Span<const uint64_t> ids) {
  for (uint64_t id : ids) {
    auto found = slot_of_.find(id);
    if (found == slot_of_.end()) continue;
    const size_t slot = found->second, last = ids_.size() - 1;
    slot_of_.erase(found);
    if (slot != last) {
      ids_[slot] = ids_[last];
      slot_of_[ids_[slot]] = slot;
      std::copy(rows_.begin() + last * dim_, rows_.begin() + (last + 1) * dim_,
                rows_.begin() + slot * dim_);
    }
    ids_.pop_back();
    rows_.resize(ids_.size() * dim_);
  }
}

void DriftSample::Reset(absl::Span<const uint64_t> ids, absl::Span<const float> rows,
                        size_t population) {
  ids_.clear();
  rows_.clear();
  slot_of_.clear();
  for (size_t i = 0; i < ids.size() && i < capacity_; ++i) {
    Put(ids_.size(), ids[i], rows.data() + i * dim_);
  }
  seen_ = std::max(population, ids_.size());
}

double DriftSample::CenterDrift(absl::Span<const float> center) const {
  const size_t n = ids_.size();
  if (n == 0 || center.size() != static_cast<size_t>(dim_)) return 0;
  std::vector<double> mean(dim_, 0.0);
  for (size_t i = 0; i < n; ++i) {
    for (int j = 0; j < dim_; ++j) mean[j] += rows_[i * dim_ + j];
  }
  for (double& m : mean) m /= static_cast<double>(n);
  double spread = 0, offset = 0;
  for (size_t i = 0; i < n; ++i) {
    for (int j = 0; j < dim_; ++j) spread += std::pow(rows_[i * dim_ + j] - mean[j], 2);
  }
  spread /= static_cast<double>(n);
  for (int j = 0; j < dim_; ++j) offset += std::pow(mean[j] - center[j], 2);
  return spread > 0 ? offset / spread : 0;
}

namespace {

// |a - b|^2 in floats, eight running sums (the rows are short; this runs often).
float SquaredDistance(const float* a, const float* b, int dim) {
  float sums[8] = {};
  int j = 0;
  for (; j + 8 <= dim; j += 8) {
    for (int k = 0; k < 8; ++k) {
      const float diff = a[j + k] - b[j + k];
      sums[k] += diff * diff;
    }
  }
  float total = 0;
  for (; j < dim; ++j) total += (a[j] - b[j]) * (a[j] - b[j]);
  for (float sum : sums) total += sum;
  return total;
}

}  // namespace

double DriftSample::ListEnergy(absl::Span<const float> centroids) const {
  // A few hundred rows tell the mean well enough, at a fraction of the sample's cost.
  constexpr size_t kRows = 1024;
  const size_t n = std::min(ids_.size(), kRows), lists = centroids.size() / dim_;
  if (n == 0 || lists == 0) return 0;
  double total = 0;
  for (size_t i = 0; i < n; ++i) {
    const float* x = rows_.data() + i * dim_;
    float best = std::numeric_limits<float>::infinity();
    for (size_t c = 0; c < lists; ++c) {
      best = std::min(best, SquaredDistance(x, centroids.data() + c * dim_, dim_));
    }
    total += best;
  }
  return total / static_cast<double>(n);
}

}  // namespace tqdb
