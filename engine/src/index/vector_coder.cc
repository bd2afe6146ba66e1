#include "index/vector_coder.h"

#include <algorithm>
#include <cmath>

#include "index/exact_sums.h"
#include "index/vector_checks.h"
#include "quant/encode_kernels.h"
#include "tqdb/status_macros.h"

namespace tqdb {

VectorCoder::VectorCoder(Metric metric, std::shared_ptr<const Quantizer> quantizer,
                         std::vector<float> center, bool shift_queries)
    : metric_(metric),
      quantizer_(std::move(quantizer)),
      center_(std::move(center)),
      shift_queries_(shift_queries) {
  if (!center_.empty()) {
    center_norm_sq_ = static_cast<float>(Dot(center_.data(), center_.data(), dim()));
  }
}

absl::StatusOr<std::unique_ptr<VectorCoder>> VectorCoder::Create(Metric metric,
                                                                 const QuantizerConfig& quantizer,
                                                                 std::vector<float> center,
                                                                 bool shift_queries) {
  TQDB_ASSIGN_OR_RETURN(std::unique_ptr<Quantizer> q, Quantizer::Create(quantizer));
  return Create(metric, std::shared_ptr<const Quantizer>(std::move(q)), std::move(center),
                shift_queries);
}

absl::StatusOr<std::unique_ptr<VectorCoder>> VectorCoder::Create(
    Metric metric, std::shared_ptr<const Quantizer> quantizer, std::vector<float> center,
    bool shift_queries) {
  // m = 0 is no center: the uncentered path, bit for bit (any metric).
  if (std::all_of(center.begin(), center.end(), [](float v) { return v == 0; })) center.clear();
  if (!center.empty())
    TQDB_RETURN_IF_ERROR(
        ValidateCenter(center, quantizer->dim(), metric, quantizer->config().factor_bits));
  return std::unique_ptr<VectorCoder>(
      new VectorCoder(metric, std::move(quantizer), std::move(center), shift_queries));
}

void VectorCoder::EncodeBatch(const float* x, size_t n, uint8_t* codes,
                              VectorFactors* factors) const {
  if (!centered()) {
    quantizer_->EncodeBatch(x, n, codes, factors);
    return;
  }
  const size_t d = dim(), bytes = quantizer_->code_bytes();
#pragma omp parallel if (n > 1)
  {
    std::vector<float> r(d);
#pragma omp for schedule(static)
    for (size_t i = 0; i < n; ++i)
      EncodeCentered(x + i * d, r.data(), codes + i * bytes, factors + i);
  }
}

void VectorCoder::Encode(const float* x, uint8_t* code, VectorFactors* factors) const {
  if (!centered()) {
    quantizer_->Encode(x, code, factors);
    return;
  }
  std::vector<float> r(dim());
  EncodeCentered(x, r.data(), code, factors);
}

void VectorCoder::EncodeCentered(const float* v, float* r, uint8_t* code,
                                 VectorFactors* factors) const {
  const int d = dim();
  float scale = 1;
  if (metric_ == Metric::kCosine) {
    const double norm_sq = ActiveEncodeKernels().sum_squares(v, d);
    scale = norm_sq > 0 ? static_cast<float>(1 / std::sqrt(norm_sq)) : 0.0f;
  }
  if (scale == 0) {
    std::fill(r, r + d, 0.0f);
  } else {
    for (int j = 0; j < d; ++j) r[j] = v[j] * scale - center_[j];
  }
  quantizer_->Encode(r, code, factors);
  // A unit vector equal to m also has r = 0, so the zero vector gets a norm of its own.
  if (scale == 0) factors->norm = kZeroVectorNorm;
}

void VectorCoder::Decode(const uint8_t* code, const VectorFactors& factors, float* out) const {
  const int d = dim();
  if (centered() && factors.norm == kZeroVectorNorm) {
    std::fill(out, out + d, 0.0f);
    return;
  }
  quantizer_->Decode(code, factors, out);
  if (centered()) {
    for (int j = 0; j < d; ++j) out[j] += center_[j];
  }
}

float VectorCoder::QueryOffset(const float* unit_query) const {
  return static_cast<float>(ActiveExactSums().dot(unit_query, center_.data(), dim()));
}

QueryTerms VectorCoder::PrepareTerms(const float* query) const {
  const int d = dim();
  QueryTerms terms;
  terms.shifted.assign(query, query + d);
  terms.norm_sq = static_cast<float>(Dot(query, query, d));
  if (metric_ == Metric::kCosine) {
    const float inv = 1.0f / std::sqrt(terms.norm_sq);
    for (float& v : terms.shifted) v *= inv;
  }
  if (centered()) {
    if (metric_ == Metric::kCosine) {
      terms.offset = QueryOffset(terms.shifted.data());
      terms.alpha = shift_queries_ ? std::clamp(terms.offset / center_norm_sq_, 0.0f, 1.0f) : 0.0f;
    }
    for (int j = 0; j < d; ++j) terms.shifted[j] -= terms.alpha * center_[j];
    terms.shifted_norm_sq = static_cast<float>(Dot(terms.shifted.data(), terms.shifted.data(), d));
  } else {
    terms.shifted_norm_sq = terms.norm_sq;
  }
  return terms;
}

void MeanAccumulator::Add(const float* x, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const float* v = x + i * dim_;
    double scale = 1;
    if (metric_ == Metric::kCosine) {
      const double norm_sq = Dot(v, v, dim_);
      if (norm_sq == 0) continue;
      scale = 1 / std::sqrt(norm_sq);
    }
    for (int j = 0; j < dim_; ++j) sum_[j] += v[j] * scale;
    ++counted_;
  }
}

std::vector<float> MeanAccumulator::Mean() const {
  std::vector<float> mean(dim_, 0.0f);
  if (counted_ == 0) return mean;
  for (int j = 0; j < dim_; ++j) mean[j] = static_cast<float>(sum_[j] / counted_);
  return mean;
}

std::vector<float> MeanCenter(Metric metric, const float* x, size_t n, int dim) {
  MeanAccumulator mean(metric, dim);
  mean.Add(x, n);
  return mean.Mean();
}

}  // namespace tqdb
