#include "proto_convert.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "filter_proto.h"
#include "tqdb/status_macros.h"

namespace tqdb::server {
namespace {

absl::StatusOr<Metric> MetricFromProto(v1::Metric metric) {
  switch (metric) {
    case v1::METRIC_UNSPECIFIED:
    case v1::METRIC_COSINE:
      return Metric::kCosine;
    case v1::METRIC_INNER_PRODUCT:
      return Metric::kInnerProduct;
    case v1::METRIC_L2:
      return Metric::kL2;
    default:
      return absl::InvalidArgumentError(absl::StrCat("unknown metric ", metric));
  }
}

v1::Metric MetricToProto(Metric metric) {
  switch (metric) {
    case Metric::kCosine:
      return v1::METRIC_COSINE;
    case Metric::kInnerProduct:
      return v1::METRIC_INNER_PRODUCT;
    case Metric::kL2:
      return v1::METRIC_L2;
  }
  return v1::METRIC_UNSPECIFIED;
}

absl::StatusOr<std::optional<Durability>> DurabilityFromProto(v1::Durability durability) {
  switch (durability) {
    case v1::DURABILITY_UNSPECIFIED:
      return std::optional<Durability>();
    case v1::DURABILITY_SYNC:
      return Durability::kSync;
    case v1::DURABILITY_GROUP_COMMIT:
      return Durability::kGroupCommit;
    default:
      return absl::InvalidArgumentError(absl::StrCat("unknown durability ", durability));
  }
}

// A uint32 field as the engine's int. The engine's checks name the value sent, so only values past
// int are refused here, with the engine's range in the message.
absl::StatusOr<int> IntFromProto(const char* field, uint32_t value, int low, int high) {
  if (value > static_cast<uint32_t>(INT32_MAX)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " must be in [", low, ", ", high, "], got ", value));
  }
  return static_cast<int>(value);
}

}  // namespace

absl::StatusOr<CollectionConfig> FromProto(const v1::CollectionConfig& proto) {
  CollectionSpec spec;
  spec.name = proto.name();
  TQDB_ASSIGN_OR_RETURN(spec.dim, IntFromProto("dimension", proto.dimension(), 1, kMaxDimension));
  if (proto.bits() > static_cast<uint32_t>(INT32_MAX)) {
    return absl::InvalidArgumentError(
        absl::StrCat("bits per coordinate must be at most 8, got ", proto.bits()));
  }
  spec.bits = static_cast<int>(proto.bits());
  TQDB_ASSIGN_OR_RETURN(spec.eighths, IntFromProto("bit_eighths", proto.bit_eighths(), 0, 7));
  if (proto.has_bytes_per_vector()) {
    TQDB_ASSIGN_OR_RETURN(spec.bytes_per_vector,
                          IntFromProto("bytes_per_vector", proto.bytes_per_vector(), 1, INT32_MAX));
  }
  if (proto.has_factor_bits()) {
    TQDB_ASSIGN_OR_RETURN(spec.factor_bits,
                          IntFromProto("factor_bits", proto.factor_bits(), 16, 32));
  }
  TQDB_ASSIGN_OR_RETURN(spec.metric, MetricFromProto(proto.metric()));
  spec.variant = proto.variant();
  if (proto.has_store_vectors()) spec.store_vectors = proto.store_vectors();
  if (proto.has_seed()) spec.seed = proto.seed();
  TQDB_ASSIGN_OR_RETURN(spec.durability, DurabilityFromProto(proto.durability()));
  if (!proto.centering().empty()) {
    Centering centering;
    TQDB_RETURN_IF_ERROR(ParseCentering(proto.centering(), &centering));
    spec.centering = centering;
  }
  spec.center.assign(proto.center().begin(), proto.center().end());
  if (!proto.rerank_store().empty()) {
    RerankStore store;
    TQDB_RETURN_IF_ERROR(ParseRerankStore(proto.rerank_store(), &store));
    spec.rerank_store = store;
  }
  if (proto.has_partition_at()) spec.partition_at = proto.partition_at();
  TQDB_ASSIGN_OR_RETURN(spec.nprobe, IntFromProto("nprobe", proto.nprobe(), 0, kMaxNprobe));
  return ResolveCollectionConfig(spec);
}

v1::MemoryUsage ToProto(const IndexMemory& memory) {
  v1::MemoryUsage proto;
  proto.set_codes(memory.codes);
  proto.set_factors(memory.factors);
  proto.set_ids(memory.ids);
  proto.set_vectors(memory.vectors);
  proto.set_lists(memory.lists);
  proto.set_codec(memory.codec);
  return proto;
}

v1::CollectionConfig ToProto(const CollectionConfig& config) {
  v1::CollectionConfig proto;
  proto.set_name(config.name);
  proto.set_dimension(config.quantizer.dim);
  proto.set_metric(MetricToProto(config.metric));
  proto.set_bits(config.quantizer.bits);
  proto.set_bit_eighths(config.quantizer.eighths);
  proto.set_factor_bits(config.quantizer.factor_bits);
  proto.set_variant(VariantName(config.quantizer));
  proto.set_store_vectors(config.store_vectors);
  proto.set_seed(config.quantizer.seed);
  proto.set_durability(config.durability == Durability::kSync ? v1::DURABILITY_SYNC
                                                              : v1::DURABILITY_GROUP_COMMIT);
  proto.set_centering(CenteringName(config.centering));
  proto.mutable_center()->Add(config.center.begin(), config.center.end());
  proto.set_partition_at(config.partition_at);
  proto.set_nprobe(config.nprobe);
  proto.set_rerank_store(RerankStoreName(config.rerank_store));
  return proto;
}

v1::Partitioning PartitioningToProto(const CollectionInfo& info) {
  v1::Partitioning proto;
  proto.set_number(info.partitioning);
  proto.mutable_list_sizes()->Add(info.list_sizes.begin(), info.list_sizes.end());
  proto.set_nprobe(info.nprobe);
  proto.set_repartitioning(info.repartitioning);
  proto.set_lists_by_direction(info.lists_by_direction);
  double total = 0, squares = 0, largest = 0;
  for (size_t size : info.list_sizes) {
    total += size;
    squares += static_cast<double>(size) * size;
    largest = std::max(largest, static_cast<double>(size));
  }
  if (total > 0) {
    const double lists = info.list_sizes.size();
    proto.set_largest_to_mean(largest * lists / total);
    proto.set_imbalance(squares * lists / (total * total));
  }
  return proto;
}

absl::StatusOr<SearchOptions> FromProto(const v1::SearchOptions& proto) {
  TQDB_ASSIGN_OR_RETURN(const int k, IntFromProto("k", proto.k(), 1, kMaxSearchK));
  TQDB_ASSIGN_OR_RETURN(
      const int rerank_candidates,
      IntFromProto("rerank_candidates", proto.rerank_candidates(), 1, kMaxSearchK));
  // The partitioned index probes at most all its lists; any larger nprobe means all of them.
  TQDB_ASSIGN_OR_RETURN(const int nprobe, IntFromProto("nprobe", proto.nprobe(), 0, INT32_MAX));
  // Unset (0) takes the engine's defaults (search_options.h).
  SearchOptions options;
  if (k != 0) options.k = k;
  options.rerank = proto.rerank();
  if (rerank_candidates != 0) options.rerank_candidates = rerank_candidates;
  options.with_vectors = proto.with_vectors();
  options.with_payloads = proto.with_payloads();
  options.nprobe = nprobe;
  return options;
}

absl::Status FilterFromProto(const v1::SearchOptions& proto, std::optional<Filter>* filter,
                             SearchPlan* plan, SearchOptions* options) {
  TQDB_ASSIGN_OR_RETURN(*filter, RequestFilter(proto));
  if (filter->has_value()) options->filter = &**filter;
  if (proto.explain()) options->plan = plan;
  return absl::OkStatus();
}

void ToProto(const SearchPlan& plan, v1::SearchPlan* proto) {
  proto->set_name(plan.name);
  proto->set_passing(plan.passing);
  proto->set_nprobe(plan.nprobe);
}

absl::StatusOr<WriteOptions> WriteOptionsFromProto(v1::Durability durability) {
  WriteOptions options;
  TQDB_ASSIGN_OR_RETURN(options.durability, DurabilityFromProto(durability));
  return options;
}

void ToProto(const Record& record, bool f32_bytes, v1::Record* proto) {
  proto->set_id(record.id);
  proto->set_found(record.found);
  proto->set_score(record.score);
  if (f32_bytes) {
    static_assert(std::endian::native == std::endian::little, "f32 bytes are little-endian");
    proto->set_vector_f32(reinterpret_cast<const char*>(record.vector.data()),
                          record.vector.size() * sizeof(float));
  } else {
    proto->mutable_vector()->Add(record.vector.begin(), record.vector.end());
  }
  proto->set_payload(record.payload);
}

absl::Status CheckOneForm(const google::protobuf::RepeatedField<float>& floats,
                          const std::string& bytes, const char* name) {
  if (!floats.empty() && !bytes.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("give ", name, " as floats or as ", name, "_f32 bytes, not both"));
  }
  if (bytes.size() % sizeof(float) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, "_f32 holds ", bytes.size(), " bytes: not a whole number of float32s"));
  }
  return absl::OkStatus();
}

absl::Span<const float> Floats(const google::protobuf::RepeatedField<float>& floats,
                               const std::string& bytes, std::unique_ptr<float[]>* copy) {
  if (bytes.empty()) return absl::MakeConstSpan(floats.data(), floats.size());
  const size_t n = bytes.size() / sizeof(float);
  copy->reset(new float[n]);
  std::memcpy(copy->get(), bytes.data(), n * sizeof(float));
  return absl::MakeConstSpan(copy->get(), n);
}

}  // namespace tqdb::server
