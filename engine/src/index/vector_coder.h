// Vectors into stored codes and factors, and queries into the terms that score them: the
// metric's normalization, the optional center m, then the quantizer (docs/DESIGN.md, "Centering").
//
// Centered, a vector is stored as r = x - m (cosine: x / |x| - m): the quantizer encodes the
// direction of r and keeps n = |r| as the factor `norm`. Scores follow from
//   <q, x> = <q, m> + <q - m, r> + <m, r>   and   |q - x|^2 = |q - m|^2 + |r|^2 - 2 <q - m, r>,
// where the quantizer estimates <q - m, r> = n <q - m, r / n>. For cosine, |m + r| = 1 gives
// <m, r> = (1 - |m|^2 - n^2) / 2, so the two stored factors suffice. Since <m, r> is exact, a
// cosine query may take off any share alpha of m: <q, r> = <q - alpha m, r> + alpha <m, r>. The
// estimate's error grows with |q - alpha m|, smallest at alpha = <q, m> / |m|^2 (clamped to
// [0, 1]): about 1 for queries like the stored vectors, smaller for a query far from their mean,
// which centering would otherwise hurt. Inner product would need a
// third factor (<m, r> is not a function of n), so it is not centered. Without a center every
// formula is the uncentered estimator's, operation for operation.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "tqdb/metric.h"
#include "tqdb/quantizer.h"

namespace tqdb {

// The per-query terms every key of one query shares.
struct QueryTerms {
  // What the quantizer prepares: q (cosine: q / |q|) minus alpha m.
  std::vector<float> shifted;
  float norm_sq = 0;          // |q|^2 of the query as given (exact re-rank)
  float shifted_norm_sq = 0;  // |shifted|^2 (L2 keys)
  float offset = 0;           // centered cosine: <q / |q|, m>
  float alpha = 1;            // centered: the share of m taken off the query (see below)
};

// Key(f, estimate) = (a_const + a_norm max(f.norm, 0)) estimate + c0 + c1 f.norm^2 for one
// query, for every vector but the centered-cosine zero vector (norm kZeroVectorNorm, key 0).
struct AffineKey {
  float a_const = 1, a_norm = 0;
  float c0 = 0, c1 = 0;
};

class VectorCoder {
 public:
  // Centered cosine: the stored norm of the zero vector (every other n is >= 0).
  static constexpr float kZeroVectorNorm = -1.0f;

  // `center` is empty or has quantizer.dim finite values; InvalidArgument otherwise, or when the
  // metric cannot be centered. An all-zero center is no center.
  // `shift_queries` false: centered cosine takes none of m off the query (alpha = 0), so the
  // prepared query is the same for every center (the lists of a partitioned index share it);
  // the estimate's error then grows with |q| instead of |q - alpha m|. L2 always shifts.
  static absl::StatusOr<std::unique_ptr<VectorCoder>> Create(Metric metric,
                                                             const QuantizerConfig& quantizer,
                                                             std::vector<float> center,
                                                             bool shift_queries = true);
  // The same with `quantizer` shared (the lists of a partitioned index: one quantizer, a center
  // each).
  static absl::StatusOr<std::unique_ptr<VectorCoder>> Create(
      Metric metric, std::shared_ptr<const Quantizer> quantizer, std::vector<float> center,
      bool shift_queries = true);

  Metric metric() const { return metric_; }
  const Quantizer& quantizer() const { return *quantizer_; }
  const std::shared_ptr<const Quantizer>& shared_quantizer() const { return quantizer_; }
  int dim() const { return quantizer_->dim(); }
  bool centered() const { return !center_.empty(); }
  const std::vector<float>& center() const { return center_; }

  // Encodes `n` validated vectors (row-major), in parallel. Thread-safe.
  void EncodeBatch(const float* x, size_t n, uint8_t* codes, VectorFactors* factors) const;
  // One vector, on the calling thread.
  void Encode(const float* x, uint8_t* code, VectorFactors* factors) const;
  // The vector a code stands for: the quantizer's reconstruction plus the center (cosine: of
  // unit length, or zero for the zero vector).
  void Decode(const uint8_t* code, const VectorFactors& factors, float* out) const;
  // The terms of one validated query (nonzero for cosine).
  QueryTerms PrepareTerms(const float* query) const;
  // <unit query, center> of a centered cosine coder: QueryTerms::offset, for PrepareTerms and
  // for a scanner rebound to another list's coder (one definition, so a list's keys do not
  // depend on which of the two computed it). Eight SIMD lanes in double (exact_sums.h), where
  // one running double sum over d coordinates was a chain of d dependent adds for every list a
  // query probes.
  float QueryOffset(const float* unit_query) const;
  // The search key (higher is better) of a vector with `factors` whose quantizer estimate is
  // `estimate`; nondecreasing in `estimate`, which the fast scan's pruning bound relies on.
  // Inline: the scan calls it for every vector.
  float Key(const VectorFactors& f, float estimate, const QueryTerms& terms) const {
    switch (metric_) {
      case Metric::kCosine:
        if (!centered()) return estimate;
        if (f.norm == kZeroVectorNorm) return 0;  // the zero vector's cosine is 0
        return terms.offset + f.norm * estimate +
               terms.alpha * 0.5f * (1 - center_norm_sq_ - f.norm * f.norm);
      case Metric::kInnerProduct:
        return f.norm * estimate;
      case Metric::kL2:
        return -(terms.shifted_norm_sq + f.norm * f.norm - 2 * f.norm * estimate);
    }
    return estimate;
  }

  // Key's coefficients for one query (the pruning kernels evaluate it for 16 vectors at once).
  AffineKey AffineKeyOf(const QueryTerms& terms) const {
    AffineKey key;
    switch (metric_) {
      case Metric::kCosine:
        if (centered()) {
          key = {0, 1, terms.offset + terms.alpha * 0.5f * (1 - center_norm_sq_),
                 -terms.alpha * 0.5f};
        }
        break;
      case Metric::kInnerProduct:
        key = {0, 1, 0, 0};
        break;
      case Metric::kL2:
        key = {0, 2, -terms.shifted_norm_sq, -1};
        break;
    }
    return key;
  }

 private:
  VectorCoder(Metric metric, std::shared_ptr<const Quantizer> quantizer, std::vector<float> center,
              bool shift_queries);

  // Centered: encodes v - m (cosine: v / |v| - m) using `r` (dim() floats) as scratch.
  void EncodeCentered(const float* v, float* r, uint8_t* code, VectorFactors* factors) const;

  const Metric metric_;
  const std::shared_ptr<const Quantizer> quantizer_;
  const std::vector<float> center_;
  const bool shift_queries_;
  float center_norm_sq_ = 0;
};

// The center a collection takes from its vectors: their mean, of unit vectors for cosine (zero
// vectors skipped), accumulated in double precision over any number of row-major chunks.
class MeanAccumulator {
 public:
  MeanAccumulator(Metric metric, int dim) : metric_(metric), dim_(dim), sum_(dim, 0.0) {}
  void Add(const float* x, size_t n);
  // All zeros when nothing was counted.
  std::vector<float> Mean() const;

 private:
  Metric metric_;
  int dim_;
  std::vector<double> sum_;
  size_t counted_ = 0;
};

// The MeanAccumulator mean of `n` vectors of `dim` floats.
std::vector<float> MeanCenter(Metric metric, const float* x, size_t n, int dim);

}  // namespace tqdb
