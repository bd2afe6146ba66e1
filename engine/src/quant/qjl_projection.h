// The random projection S of the 1-bit QJL sketch used by tq-prod (TurboQuant [Zandieh et al.,
// arXiv:2504.19874], Section 3.2).
//
// For a residual r with gamma = |r|, the sketch stores sign(S r); for a query z the estimate
//   <z, r> ~ gamma * scale * <S z, sign(S r)>
// is unbiased when scale matches the law of the rows of S:
//   - Gaussian S (i.i.d. N(0,1) entries): E[<s, z> sign(<s, r>)] = sqrt(2/pi) <z, r> / |r|,
//     so scale = sqrt(pi/2) / d. O(d^2) per vector; the paper's construction, kept as reference.
//   - Structured S = sqrt(d) R with R a FastRotation: rows are (close to) uniform on the sphere
//     of radius sqrt(d), E[<s, z> sign(<s, r>)] = d E|T| <z, r> / |r| with T ~ f_d, so
//     scale = 1 / (d * sqrt(d) * E|T|). Orthogonal rows waste no energy, so variance is lower.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "quant/rotation.h"
#include "tqdb/quantizer_config.h"

namespace tqdb {

class QjlProjection {
 public:
  QjlProjection(QjlProjectionKind kind, int dim, uint64_t seed);

  // out = S in (d values).
  void Project(const float* in, float* out) const;
  // out = S^T in.
  void ProjectTranspose(const float* in, float* out) const;
  // The constant `scale` of the estimator above.
  double estimator_scale() const { return estimator_scale_; }
  // Bytes held (the Gaussian matrix, or the structured rotation).
  size_t MemoryBytes() const;

 private:
  QjlProjectionKind kind_;
  int dim_;
  double estimator_scale_;
  std::vector<float> gaussian_;         // row-major d x d, kGaussian only
  std::unique_ptr<Rotation> rotation_;  // kStructured only
};

}  // namespace tqdb
