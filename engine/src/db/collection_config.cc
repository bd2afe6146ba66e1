#include "tqdb/collection_config.h"

#include "absl/strings/str_cat.h"
#include "tqdb/status_macros.h"

namespace tqdb {

inline constexpr size_t kMaxCollectionNameLength = 128;

const char* DurabilityName(Durability durability) {
  return durability == Durability::kSync ? "sync" : "group-commit";
}

absl::Status ParseDurability(std::string_view name, Durability* durability) {
  if (name == "sync") {
    *durability = Durability::kSync;
  } else if (name == "group-commit") {
    *durability = Durability::kGroupCommit;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unknown durability '", std::string(name),
                                                   "'; expected sync or group-commit"));
  }
  return absl::OkStatus();
}

absl::Status ParseMetric(std::string_view name, Metric* metric) {
  for (Metric m : {Metric::kInnerProduct, Metric::kCosine, Metric::kL2}) {
    if (name == MetricName(m)) {
      *metric = m;
      return absl::OkStatus();
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown metric '", std::string(name), "'; expected ip, cosine or l2"));
}

CollectionConfig MakeCollectionConfig(std::string name, int dim, int bits, Metric metric) {
  CollectionConfig config;
  config.name = std::move(name);
  config.metric = metric;
  config.quantizer = DefaultQuantizerConfig(dim, bits);
  return config;
}

absl::StatusOr<CollectionConfig> ResolveCollectionConfig(const CollectionSpec& spec) {
  if (spec.bits == 0) return absl::InvalidArgumentError("bits must be given (1..8)");
  CollectionConfig config = MakeCollectionConfig(spec.name, spec.dim, spec.bits, spec.metric);
  TQDB_RETURN_IF_ERROR(ApplyVariantName(spec.variant, &config.quantizer));
  config.store_vectors = spec.store_vectors.value_or(config.store_vectors);
  config.quantizer.seed = spec.seed.value_or(config.quantizer.seed);
  config.durability = spec.durability.value_or(config.durability);
  return config;  // Database::CreateCollection validates it
}

absl::Status ValidateCollectionName(std::string_view name) {
  if (name.empty() || name.size() > kMaxCollectionNameLength) {
    return absl::InvalidArgumentError(absl::StrCat("collection name must have 1 to ",
                                                   kMaxCollectionNameLength, " characters, got ",
                                                   name.size()));
  }
  if (name[0] == '.') {
    return absl::InvalidArgumentError("collection name must not start with '.'");
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    if (!ok) {
      return absl::InvalidArgumentError(
          absl::StrCat("collection name '", std::string(name),
                       "' may only use letters, digits, '_', '-' and '.'"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateCollectionConfig(const CollectionConfig& config) {
  TQDB_RETURN_IF_ERROR(ValidateCollectionName(config.name));
  if (config.quantizer.dim < 1 || config.quantizer.dim > kMaxDimension) {
    return absl::InvalidArgumentError(
        absl::StrCat("dimension must be in [1, ", kMaxDimension, "], got ", config.quantizer.dim));
  }
  return ValidateQuantizerConfig(config.quantizer);
}

bool SameDataLayout(const CollectionConfig& a, const CollectionConfig& b) {
  const QuantizerConfig& p = a.quantizer;
  const QuantizerConfig& q = b.quantizer;
  return a.name == b.name && a.metric == b.metric && a.store_vectors == b.store_vectors &&
         p.dim == q.dim && p.bits == q.bits && p.kind == q.kind && p.estimator == q.estimator &&
         p.rotation == q.rotation && p.projection == q.projection && p.seed == q.seed;
}

std::string DescribeConfig(const CollectionConfig& config) {
  const QuantizerConfig& q = config.quantizer;
  return absl::StrCat("dim=", q.dim, " metric=", MetricName(config.metric), " bits=", q.bits,
                      " variant=", VariantName(q), " rotation=", RotationKindName(q.rotation),
                      " seed=", q.seed, " store_vectors=", config.store_vectors ? "yes" : "no",
                      " durability=", DurabilityName(config.durability));
}

}  // namespace tqdb
