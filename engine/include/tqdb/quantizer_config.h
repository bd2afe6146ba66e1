// Configuration of a TurboQuant quantizer: what is stored per vector and how it is estimated.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tqdb/code_parts.h"

namespace tqdb {

// The random rotation applied before quantizing: a dense Haar matrix (the O(d^2) reference) or
// the fast structured transform (production).
enum class RotationKind { kDense, kFast };

const char* RotationKindName(RotationKind kind);

enum class QuantizerKind {
  kMse,   // tq-mse: b bits per coordinate, nearest Lloyd-Max centroid.
  kProd,  // tq-prod: (b-1)-bit tq-mse plus a 1-bit QJL sketch of the residual.
};

// How tq-mse turns the reconstruction c (rotated frame) into an estimate of <q, u>, u = x/|x|.
// Each is one stored scalar s per vector, estimate = s * <q', c>.
enum class MseEstimator {
  kPlain,     // s = 1: the paper's estimator; biased low (by 2/pi at b = 1).
  kRatio,     // s = 1 / <u, u~>: corrects each vector's own shrinkage (RaBitQ's estimator).
  kUnitNorm,  // s = 1 / |u~|: projects the reconstruction back onto the unit sphere.
};

enum class QjlProjectionKind {
  kGaussian,    // dense i.i.d. Gaussian S, O(d^2): the paper's construction.
  kStructured,  // sqrt(d) times a fast orthogonal transform, O(d log d).
};

struct QuantizerConfig {
  int dim = 0;
  // Bits per coordinate: 1..8 for kMse; 1..9 for kProd (b = 1 is the pure QJL sketch).
  int bits = 4;
  // Eighths of a bit added to `bits` (0..7, kMse only, bits + eighths / 8 <= 8): that share of
  // the rotated coordinates is coded at bits + 1 (quant/code_parts.h). bits = 1, eighths = 4
  // is 1.5 bits per coordinate.
  int eighths = 0;
  // Bits of each per-vector factor (norm and scale): 32 (float) or 16 (IEEE half, rounded when
  // encoded: 4 bytes a vector less; norms must then stay below 65504).
  int factor_bits = 32;
  QuantizerKind kind = QuantizerKind::kMse;
  MseEstimator estimator = MseEstimator::kRatio;
  RotationKind rotation = RotationKind::kFast;
  QjlProjectionKind projection = QjlProjectionKind::kStructured;
  // Seeds the rotation and (through a derived seed) the QJL projection.
  uint64_t seed = 0x7464620001ULL;
};

// Checks ranges; returns InvalidArgument with a message that names the bad field.
absl::Status ValidateQuantizerConfig(const QuantizerConfig& config);

// The configuration that measured best on real embeddings at this bit width (README explains).
QuantizerConfig DefaultQuantizerConfig(int dim, int bits, int eighths = 0);

// The MSE code's runs of coordinates by width (tqdb/code_parts.h): b bits (b - 1 for tq-prod,
// none at tq-prod's b = 1), split by eighths.
CodeParts MseCodeParts(const QuantizerConfig& config);

// Bytes of per-vector factors a vector stores: two of factor_bits each.
inline int FactorBytes(const QuantizerConfig& config) { return 2 * config.factor_bits / 8; }

// "4" or "1.5": the nominal width, shortest form.
std::string BitWidthName(int bits, int eighths);

const char* QuantizerKindName(QuantizerKind kind);
const char* MseEstimatorName(MseEstimator estimator);
// "mse-plain", "mse-ratio", "mse-unitnorm" or "prod".
std::string VariantName(const QuantizerConfig& config);
// Sets kind and estimator from a VariantName, or "default" (DefaultQuantizerConfig for the
// config's dim and bits). InvalidArgument names the accepted values otherwise.
absl::Status ApplyVariantName(std::string_view variant, QuantizerConfig* config);

}  // namespace tqdb
