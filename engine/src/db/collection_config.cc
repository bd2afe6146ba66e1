#include "tqdb/collection_config.h"

#include <initializer_list>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "index/vector_checks.h"
#include "quant/bit_packing.h"
#include "quant/codebook.h"
#include "tqdb/code_parts.h"
#include "tqdb/quantizer.h"
#include "tqdb/status_macros.h"

namespace tqdb {

namespace {

inline constexpr size_t kMaxCollectionNameLength = 128;

// The value among `values` whose `name_of` is `name`; InvalidArgument listing them otherwise.
template <typename Enum>
absl::Status ParseByName(std::string_view name, std::initializer_list<Enum> values,
                         const char* (*name_of)(Enum), const char* what, Enum* out) {
  std::vector<std::string> names;
  for (Enum value : values) {
    if (name == name_of(value)) {
      *out = value;
      return absl::OkStatus();
    }
    names.push_back(name_of(value));
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown ", what, " '", std::string(name),
                                                 "'; expected one of ",
                                                 absl::StrJoin(names, ", ")));
}

}  // namespace

const char* DurabilityName(Durability durability) {
  return durability == Durability::kSync ? "sync" : "group-commit";
}

absl::Status ParseDurability(std::string_view name, Durability* durability) {
  return ParseByName(name, {Durability::kSync, Durability::kGroupCommit}, DurabilityName,
                     "durability", durability);
}

absl::Status ParseMetric(std::string_view name, Metric* metric) {
  return ParseByName(name, {Metric::kInnerProduct, Metric::kCosine, Metric::kL2}, MetricName,
                     "metric", metric);
}

const char* RerankStoreName(RerankStore store) {
  switch (store) {
    case RerankStore::kDisk:
      return "disk";
    case RerankStore::kFloat32:
      return "f32";
    case RerankStore::kFloat16:
      return "f16";
    case RerankStore::kInt8:
      return "int8";
    case RerankStore::kMapped:
      return "mmap";
  }
  return "?";
}

absl::Status ParseRerankStore(std::string_view name, RerankStore* store) {
  return ParseByName(name,
                     {RerankStore::kDisk, RerankStore::kFloat32, RerankStore::kFloat16,
                      RerankStore::kInt8, RerankStore::kMapped},
                     RerankStoreName, "rerank store", store);
}

const char* CenteringName(Centering centering) {
  switch (centering) {
    case Centering::kNone:
      return "none";
    case Centering::kAuto:
      return "auto";
    case Centering::kFixed:
      return "fixed";
  }
  return "?";
}

absl::Status ParseCentering(std::string_view name, Centering* centering) {
  return ParseByName(name, {Centering::kNone, Centering::kAuto, Centering::kFixed}, CenteringName,
                     "centering", centering);
}

CollectionConfig MakeCollectionConfig(std::string name, int dim, int bits, Metric metric,
                                      int eighths) {
  CollectionConfig config;
  config.name = std::move(name);
  config.metric = metric;
  config.quantizer = DefaultQuantizerConfig(dim, bits, eighths);
  config.centering = metric == Metric::kInnerProduct ? Centering::kNone : Centering::kAuto;
  return config;
}

size_t BytesPerVector(const QuantizerConfig& config) {
  // tq-prod's sign part: one bit per coordinate.
  const size_t sign_bytes = config.kind == QuantizerKind::kProd ? PackedBytes(config.dim, 1) : 0;
  return PackedBytes(MseCodeParts(config)) + sign_bytes + FactorBytes(config);
}

double CodeBitsPerCoordinate(const QuantizerConfig& config) {
  return BitsPerCoordinate(MseCodeParts(config)) + (config.kind == QuantizerKind::kProd ? 1 : 0);
}

absl::StatusOr<QuantizerConfig> QuantizerForBudget(int dim, int budget, int factor_bits) {
  if (dim < 1 || dim > kMaxDimension) {
    return absl::InvalidArgumentError(
        absl::StrCat("dimension must be in [1, ", kMaxDimension, "], got ", dim));
  }
  std::optional<QuantizerConfig> widest;
  for (int eighths = 8; eighths <= 8 * kMaxCodebookBits; ++eighths) {
    QuantizerConfig candidate = DefaultQuantizerConfig(dim, eighths / 8, eighths % 8);
    candidate.factor_bits = factor_bits;
    if (static_cast<int64_t>(BytesPerVector(candidate)) > budget) break;
    widest = candidate;
  }
  if (!widest.has_value()) {
    QuantizerConfig smallest = DefaultQuantizerConfig(dim, 1);
    smallest.factor_bits = factor_bits;
    return absl::InvalidArgumentError(
        absl::StrCat("bytes_per_vector ", budget, " is below the smallest code at dimension ", dim,
                     ": ", BytesPerVector(smallest), " bytes (1 bit per coordinate and ",
                     FactorBytes(smallest), " bytes of factors)"));
  }
  return *widest;
}

absl::StatusOr<CollectionConfig> ResolveCollectionConfig(const CollectionSpec& spec) {
  CollectionConfig config;
  if (spec.bytes_per_vector.has_value()) {
    if (spec.bits != 0 || spec.eighths != 0) {
      return absl::InvalidArgumentError("give bits or bytes_per_vector, not both");
    }
    const int factor_bits = spec.factor_bits.value_or(16);
    if (factor_bits != 16 && factor_bits != 32) {
      return absl::InvalidArgumentError(
          absl::StrCat("factor bits must be 16 or 32, got ", factor_bits));
    }
    TQDB_ASSIGN_OR_RETURN(const QuantizerConfig quantizer,
                          QuantizerForBudget(spec.dim, *spec.bytes_per_vector, factor_bits));
    config =
        MakeCollectionConfig(spec.name, spec.dim, quantizer.bits, spec.metric, quantizer.eighths);
    config.quantizer.factor_bits = factor_bits;
  } else {
    if (spec.bits == 0) {
      return absl::InvalidArgumentError("bits (1..8) or bytes_per_vector must be given");
    }
    config = MakeCollectionConfig(spec.name, spec.dim, spec.bits, spec.metric, spec.eighths);
    config.quantizer.factor_bits = spec.factor_bits.value_or(32);
  }
  TQDB_RETURN_IF_ERROR(ApplyVariantName(spec.variant, &config.quantizer));
  config.store_vectors = spec.store_vectors.value_or(config.store_vectors);
  config.rerank_store =
      spec.rerank_store.value_or(config.store_vectors ? RerankStore::kMapped : RerankStore::kDisk);
  config.quantizer.seed = spec.seed.value_or(config.quantizer.seed);
  config.durability = spec.durability.value_or(config.durability);
  if (!spec.center.empty()) {
    config.centering = Centering::kFixed;
    config.center = spec.center;
  }
  config.centering = spec.centering.value_or(config.centering);
  config.partition_at = spec.partition_at.value_or(config.partition_at);
  config.nprobe = spec.nprobe.value_or(config.nprobe);
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
  TQDB_RETURN_IF_ERROR(ValidateQuantizerConfig(config.quantizer));
  // kAuto's center is empty until taken (then stored with the record, dim values).
  const size_t dim = config.quantizer.dim, given = config.center.size();
  const bool sized = config.centering == Centering::kFixed  ? given == dim
                     : config.centering == Centering::kAuto ? given == 0 || given == dim
                                                            : given == 0;
  if (!sized) {
    return absl::InvalidArgumentError(
        absl::StrCat("centering ", CenteringName(config.centering), " with a center of ", given,
                     " values: a fixed center needs dim = ", dim, ", none takes no center"));
  }
  if (config.centering != Centering::kNone) {
    // The metric check applies before a center is taken too.
    const std::vector<float> probe =
        config.center.empty() ? std::vector<float>(dim, 0.0f) : config.center;
    TQDB_RETURN_IF_ERROR(
        ValidateCenter(probe, static_cast<int>(dim), config.metric, config.quantizer.factor_bits));
  }
  if (config.nprobe < 0 || config.nprobe > kMaxNprobe) {
    return absl::InvalidArgumentError(absl::StrCat("nprobe must be in [0, ", kMaxNprobe,
                                                   "] (0: the default), got ", config.nprobe));
  }
  if (config.rerank_store != RerankStore::kDisk && !config.store_vectors) {
    return absl::InvalidArgumentError(
        absl::StrCat("rerank store ", RerankStoreName(config.rerank_store),
                     " keeps a copy of the stored float vectors, but store_vectors is off"));
  }
  return absl::OkStatus();
}

bool SameDataLayout(const CollectionConfig& a, const CollectionConfig& b) {
  const QuantizerConfig& p = a.quantizer;
  const QuantizerConfig& q = b.quantizer;
  return a.name == b.name && a.metric == b.metric && a.store_vectors == b.store_vectors &&
         p.dim == q.dim && p.bits == q.bits && p.eighths == q.eighths && p.kind == q.kind &&
         p.estimator == q.estimator && p.rotation == q.rotation && p.projection == q.projection &&
         p.seed == q.seed && p.factor_bits == q.factor_bits && a.centering == b.centering &&
         a.center == b.center;
}

std::string DescribeConfig(const CollectionConfig& config) {
  const QuantizerConfig& q = config.quantizer;
  return absl::StrCat("dim=", q.dim, " metric=", MetricName(config.metric),
                      " bits=", BitWidthName(q.bits, q.eighths), " factor_bits=", q.factor_bits,
                      " variant=", VariantName(q), " rotation=", RotationKindName(q.rotation),
                      " seed=", q.seed, " store_vectors=", config.store_vectors ? "yes" : "no",
                      " rerank_store=", RerankStoreName(config.rerank_store),
                      " durability=", DurabilityName(config.durability),
                      " centering=", CenteringName(config.centering),
                      " partition_at=", config.partition_at, " nprobe=", config.nprobe);
}

}  // namespace tqdb
