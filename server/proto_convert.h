// Conversions between the wire messages (tqdb/v1/tqdb.proto) and the engine's types. Defaults of
// the wire format (0 or unset fields) are resolved here, in one place.
#pragma once

#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "tqdb/collection.h"
#include "tqdb/collection_config.h"
#include "tqdb/filter.h"
#include "tqdb/v1/tqdb.pb.h"

namespace tqdb::server {

absl::StatusOr<CollectionConfig> FromProto(const v1::CollectionConfig& proto);
v1::CollectionConfig ToProto(const CollectionConfig& config);
v1::MemoryUsage ToProto(const IndexMemory& memory);
// The partitioning part of a description: list sizes, default nprobe and balance.
v1::Partitioning PartitioningToProto(const CollectionInfo& info);

absl::StatusOr<SearchOptions> FromProto(const v1::SearchOptions& proto);
// The request's filter, parsed into `filter` (which `options` then points to), and, when it
// asks to explain, `plan` for the search to fill. InvalidArgument for a bad filter.
absl::Status FilterFromProto(const v1::SearchOptions& proto, std::optional<Filter>* filter,
                             SearchPlan* plan, SearchOptions* options);
void ToProto(const SearchPlan& plan, v1::SearchPlan* proto);
// The request's durability, or none for "the collection's default".
absl::StatusOr<WriteOptions> WriteOptionsFromProto(v1::Durability durability);

// A record; its vector as little-endian float32 bytes (Record.vector_f32) when `f32_bytes`.
void ToProto(const Record& record, bool f32_bytes, v1::Record* proto);

// A request's floats, given as a repeated float field or as little-endian float32 bytes (numpy's
// tobytes()); `copy` holds the second, aligned (and not zeroed first). INVALID_ARGUMENT from
// CheckOneForm for both forms at once or bytes that are not whole floats.
absl::Status CheckOneForm(const google::protobuf::RepeatedField<float>& floats,
                          const std::string& bytes, const char* name);
absl::Span<const float> Floats(const google::protobuf::RepeatedField<float>& floats,
                               const std::string& bytes, std::unique_ptr<float[]>* copy);

}  // namespace tqdb::server
