// TurboQuant encoder/decoder and the scalar reference inner-product estimators.
//
// Encode: n = |x|, u = x / n, y = Pi u, code_j = nearest centroid of y_j (tq-mse); tq-prod also
// stores sign(S r) for the residual r = y - c and gamma = |r|. Codes are bit-packed; per-vector
// factors sit beside them. Estimates are of <q, u> (unit u): callers multiply by n for inner
// products and L2 (docs/DESIGN.md, "Scores").
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "tqdb/code_parts.h"
#include "tqdb/quantizer_config.h"

namespace tqdb {

struct Codebook;      // quant/codebook.h
class QjlProjection;  // quant/qjl_projection.h
class Rotation;       // quant/rotation.h

// The QJL sign bits' "centroids": bit 0 is -1, bit 1 is +1.
inline constexpr float kSignCentroids[2] = {-1.0f, 1.0f};

// Per-vector scalars stored beside each code.
struct VectorFactors {
  float norm = 0;  // |x|
  // tq-mse: the estimator's scale s (1 for kPlain); tq-prod: gamma = |residual|.
  // Zero for the zero vector, whose estimate is then 0.
  float aux = 0;
};

// Per-query state (rotated query, lookup tables): internal, quant/prepared_query.h.
struct PreparedQuery;

class Quantizer {
 public:
  static absl::StatusOr<std::unique_ptr<Quantizer>> Create(const QuantizerConfig& config);
  ~Quantizer();

  const QuantizerConfig& config() const { return config_; }
  int dim() const { return config_.dim; }
  // The MSE code's runs of coordinates by width (quant/code_parts.h): one part at b bits (b - 1
  // for tq-prod; none at tq-prod's b = 1), two for a fractional width.
  const CodeParts& mse_parts() const { return mse_parts_; }
  // The Lloyd-Max codebook of mse_parts()[i]'s width.
  const Codebook& part_codebook(size_t i) const { return *part_codebooks_[i]; }
  // Bytes of packed code per vector (factors not included): the MSE part, then the sign bits.
  size_t code_bytes() const { return mse_bytes_ + sign_bytes_; }
  size_t mse_bytes() const { return mse_bytes_; }
  const Rotation& rotation() const { return *rotation_; }
  // Bytes held: the rotation, tq-prod's QJL projection and the codebook.
  size_t MemoryBytes() const;

  // Encodes one vector of dim() finite floats (the caller validates). Thread-safe.
  void Encode(const float* x, uint8_t* code, VectorFactors* factors) const;
  // Encodes n vectors, in parallel with OpenMP.
  void EncodeBatch(const float* x, size_t n, uint8_t* codes, VectorFactors* factors) const;
  // The reconstruction x~ (including the QJL residual estimate for tq-prod).
  void Decode(const uint8_t* code, const VectorFactors& factors, float* out) const;

  // Rotates `query` (dim() floats, used as given) and builds its lookup tables; without
  // `with_scorers` only the rotation (and tq-prod's projection): for a caller that scores no
  // code with EstimateInnerProduct, which then must not be called.
  void PrepareQuery(const float* query, PreparedQuery* prepared, bool with_scorers = true) const;
  // Estimate of <query, u> for the unit vector u = x / |x| behind `code`.
  float EstimateInnerProduct(const PreparedQuery& prepared, const uint8_t* code,
                             const VectorFactors& factors) const;

 private:
  explicit Quantizer(const QuantizerConfig& config);
  // Encode before the factors are rounded to factor_bits.
  void EncodeWithFloatFactors(const float* x, uint8_t* code, VectorFactors* factors) const;

  QuantizerConfig config_;
  CodeParts mse_parts_;
  size_t mse_bytes_ = 0;
  size_t sign_bytes_ = 0;
  std::vector<std::shared_ptr<const Codebook>> part_codebooks_;  // one per MSE part
  std::unique_ptr<Rotation> rotation_;
  std::unique_ptr<QjlProjection> projection_;  // tq-prod only
};

}  // namespace tqdb
