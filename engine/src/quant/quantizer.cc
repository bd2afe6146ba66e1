#include "tqdb/quantizer.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "quant/bit_packing.h"
#include "quant/codebook.h"
#include "quant/encode_kernels.h"
#include "quant/half_float.h"
#include "quant/prepared_query.h"
#include "quant/qjl_projection.h"
#include "quant/random.h"
#include "quant/rotation.h"
#include "tqdb/status_macros.h"

namespace tqdb {
namespace {

constexpr uint64_t kProjectionSeedStream = 1;

// Per-thread work buffers, so encoding in a hot loop allocates nothing after the first vector.
struct EncodeScratch {
  std::vector<float> rotated;
  std::vector<float> projected;
  std::vector<uint8_t> indices;
};

EncodeScratch& Scratch(int dim) {
  thread_local EncodeScratch scratch;
  if (scratch.rotated.size() < static_cast<size_t>(dim)) {
    scratch.rotated.resize(dim);
    scratch.projected.resize(dim);
    scratch.indices.resize(dim);
  }
  return scratch;
}

}  // namespace

Quantizer::Quantizer(const QuantizerConfig& config) : config_(config) {}
Quantizer::~Quantizer() = default;

size_t Quantizer::MemoryBytes() const {
  size_t bytes = sizeof(*this) + rotation_->MemoryBytes();
  if (projection_ != nullptr) bytes += projection_->MemoryBytes();
  for (const auto& book : part_codebooks_) {
    bytes += (book->centroids.capacity() + book->boundaries.capacity()) * sizeof(float);
  }
  return bytes;
}

absl::StatusOr<std::unique_ptr<Quantizer>> Quantizer::Create(const QuantizerConfig& config) {
  TQDB_RETURN_IF_ERROR(ValidateQuantizerConfig(config));
  std::unique_ptr<Quantizer> q(new Quantizer(config));
  const bool prod = config.kind == QuantizerKind::kProd;
  q->mse_parts_ = MseCodeParts(config);
  q->mse_bytes_ = PackedBytes(q->mse_parts_);
  for (const CodePart& part : q->mse_parts_) {
    // Every part's coordinates follow the same density (that of the whole dimension).
    TQDB_ASSIGN_OR_RETURN(q->part_codebooks_.emplace_back(), GetCodebook(config.dim, part.bits));
  }
  TQDB_ASSIGN_OR_RETURN(q->rotation_, MakeRotation(config.rotation, config.dim, config.seed));
  if (prod) {
    q->sign_bytes_ = PackedBytes(config.dim, 1);
    q->projection_ = std::make_unique<QjlProjection>(
        config.projection, config.dim, DeriveSeed(config.seed, kProjectionSeedStream));
  }
  return q;
}

void Quantizer::Encode(const float* x, uint8_t* code, VectorFactors* factors) const {
  EncodeWithFloatFactors(x, code, factors);
  // Compact factors are what every estimate reads: the scan, the re-scoring and the decoder
  // all see the same rounded values.
  if (config_.factor_bits == 16) {
    factors->norm = RoundToHalf(factors->norm);
    factors->aux = RoundToHalf(factors->aux);
  }
}

void Quantizer::EncodeWithFloatFactors(const float* x, uint8_t* code,
                                       VectorFactors* factors) const {
  const int d = dim();
  const EncodeKernels& kernels = ActiveEncodeKernels();
  const float norm = static_cast<float>(std::sqrt(kernels.sum_squares(x, d)));
  factors->norm = norm;

  // y = Pi (x / |x|); the zero vector stays zero and gets zero factors below.
  EncodeScratch& scratch = Scratch(d);
  float* y = scratch.rotated.data();
  uint8_t* indices = scratch.indices.data();
  if (norm > 0) {
    const float inv = 1.0f / norm;
    for (int j = 0; j < d; ++j) y[j] = x[j] * inv;
    rotation_->Apply(y, y);
  } else {
    std::fill_n(y, d, 0.0f);
  }

  // y becomes the residual r = y - c.
  double dot_yc = 0, norm_c_sq = 0;
  for (size_t i = 0; i < mse_parts_.size(); ++i) {
    const CodePart& part = mse_parts_[i];
    const Codebook& book = *part_codebooks_[i];
    const QuantizedSums sums =
        kernels.quantize(y + part.first, part.dims, book.boundaries.data(), book.centroids.data(),
                         static_cast<int>(book.centroids.size()), indices + part.first);
    PackCodes(indices + part.first, part.dims, part.bits, code + part.offset);
    dot_yc += sums.dot_yc;
    norm_c_sq += sums.norm_c_sq;
  }

  if (config_.kind == QuantizerKind::kMse) {
    double scale = 0;
    if (norm > 0) {
      switch (config_.estimator) {
        case MseEstimator::kPlain:
          scale = 1;
          break;
        case MseEstimator::kRatio:
          // <y, c> > 0 for a nonzero y: every centroid has the sign of its coordinate.
          scale = dot_yc > 0 ? 1.0 / dot_yc : 0.0;
          break;
        case MseEstimator::kUnitNorm:
          scale = norm_c_sq > 0 ? 1.0 / std::sqrt(norm_c_sq) : 0.0;
          break;
      }
    }
    factors->aux = static_cast<float>(scale);
    return;
  }

  factors->aux = static_cast<float>(std::sqrt(kernels.sum_squares(y, d)));
  float* projected = scratch.projected.data();
  projection_->Project(y, projected);
  for (int j = 0; j < d; ++j) indices[j] = projected[j] >= 0 ? 1 : 0;
  PackCodes(indices, d, 1, code + mse_bytes_);
}

void Quantizer::EncodeBatch(const float* x, size_t n, uint8_t* codes,
                            VectorFactors* factors) const {
  const size_t d = dim(), bytes = code_bytes();
#pragma omp parallel for schedule(static) if (n > 1)
  for (size_t i = 0; i < n; ++i) Encode(x + i * d, codes + i * bytes, factors + i);
}

void Quantizer::Decode(const uint8_t* code, const VectorFactors& factors, float* out) const {
  const int d = dim();
  std::vector<float> y(d, 0.0f);
  std::vector<uint8_t> indices(d);
  for (size_t i = 0; i < mse_parts_.size(); ++i) {
    const CodePart& part = mse_parts_[i];
    UnpackCodes(code + part.offset, part.dims, part.bits, indices.data());
    for (int j = 0; j < part.dims; ++j) {
      y[part.first + j] = part_codebooks_[i]->centroids[indices[j]];
    }
  }
  if (config_.kind == QuantizerKind::kProd) {
    // r~ = gamma * scale * S^T sign(S r): the unbiased QJL dequantization.
    UnpackCodes(code + mse_bytes_, d, 1, indices.data());
    std::vector<float> signs(d), residual(d);
    for (int j = 0; j < d; ++j) signs[j] = kSignCentroids[indices[j]];
    projection_->ProjectTranspose(signs.data(), residual.data());
    const float scale = static_cast<float>(factors.aux * projection_->estimator_scale());
    for (int j = 0; j < d; ++j) y[j] += scale * residual[j];
  }
  rotation_->ApplyInverse(y.data(), out);
  for (int j = 0; j < d; ++j) out[j] *= factors.norm;
}

void Quantizer::PrepareQuery(const float* query, PreparedQuery* prepared, bool with_scorers) const {
  const int d = dim();
  prepared->rotated.resize(d);
  rotation_->Apply(query, prepared->rotated.data());
  if (!mse_parts_.empty() && with_scorers) {
    absl::InlinedVector<const float*, 2> centroids;
    for (const auto& book : part_codebooks_) centroids.push_back(book->centroids.data());
    prepared->mse.Build(prepared->rotated.data(), mse_parts_, centroids.data());
  }
  if (config_.kind == QuantizerKind::kProd) {
    prepared->projected.resize(d);
    projection_->Project(prepared->rotated.data(), prepared->projected.data());
    if (with_scorers) prepared->sign.Build(prepared->projected.data(), d, 1, kSignCentroids);
    prepared->qjl_scale = static_cast<float>(projection_->estimator_scale());
  }
}

float Quantizer::EstimateInnerProduct(const PreparedQuery& prepared, const uint8_t* code,
                                      const VectorFactors& factors) const {
  if (config_.kind == QuantizerKind::kMse) return factors.aux * prepared.mse.Score(code);
  const float mse_part = mse_parts_.empty() ? 0.0f : prepared.mse.Score(code);
  return mse_part + factors.aux * prepared.qjl_scale * prepared.sign.Score(code + mse_bytes_);
}

}  // namespace tqdb
