#include "tqdb/quantizer_config.h"

#include "absl/strings/str_cat.h"
#include "tqdb/codebook.h"

namespace tqdb {

absl::Status ValidateQuantizerConfig(const QuantizerConfig& config) {
  if (config.dim < 1) {
    return absl::InvalidArgumentError(absl::StrCat("dimension must be >= 1, got ", config.dim));
  }
  const int max_bits = config.kind == QuantizerKind::kMse ? kMaxCodebookBits : kMaxCodebookBits + 1;
  if (config.bits < 1 || config.bits > max_bits) {
    return absl::InvalidArgumentError(absl::StrCat("bits per coordinate for ",
                                                   QuantizerKindName(config.kind),
                                                   " must be in [1, ", max_bits, "], got ",
                                                   config.bits));
  }
  return absl::OkStatus();
}

QuantizerConfig DefaultQuantizerConfig(int dim, int bits) {
  QuantizerConfig config;
  config.dim = dim;
  config.bits = bits;
  config.kind = QuantizerKind::kMse;
  config.estimator = MseEstimator::kRatio;
  return config;
}

const char* QuantizerKindName(QuantizerKind kind) {
  return kind == QuantizerKind::kMse ? "tq-mse" : "tq-prod";
}

const char* MseEstimatorName(MseEstimator estimator) {
  switch (estimator) {
    case MseEstimator::kPlain:
      return "plain";
    case MseEstimator::kRatio:
      return "ratio";
    case MseEstimator::kUnitNorm:
      return "unitnorm";
  }
  return "unknown";
}

std::string VariantName(const QuantizerConfig& config) {
  if (config.kind == QuantizerKind::kProd) return "prod";
  return absl::StrCat("mse-", MseEstimatorName(config.estimator));
}

}  // namespace tqdb
