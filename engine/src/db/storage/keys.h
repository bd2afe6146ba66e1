// The on-disk key layout: which column family holds what, and how keys are spelled.
//
// Every key of a collection starts with its numeric id (4 bytes, big-endian), so one collection's
// data is one contiguous range per column family, and drop is a DeleteRange. Ids and segment
// numbers are big-endian too, so iteration order is numeric order.
//
//   default      "tqdb.format_version" -> decimal; "tqdb.next_collection_id" -> decimal;
//                "tqdb.sync_marker" -> empty
//   collections  name -> config record (config_codec.h)
//   segments     cid | segment (8)       -> segment blob (segment_codec.h): ids, factors, codes
//   dead         cid | segment | id (8)  -> empty: this id's entry in that segment is stale
//   vectors      cid | id                -> dim little-endian floats (when store_vectors)
//   payloads     cid | id                -> the caller's payload bytes
//   partitions   cid                     -> the centroids of a partitioned collection
//                                           (partition_codec.h); absent while it is flat
//                cid | "payload_indexes"  -> the declared payload indexes
//                                           (payload_index_codec.h)
//                cid | "ingesting" | n (8) -> the ids (8 bytes each, little-endian) of a bulk
//                                           write whose vectors are being ingested as a table
//                                           file (collection_store.h, IngestVectors)
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace tqdb::storage {

inline constexpr int kFormatVersion = 1;
inline constexpr std::string_view kFormatVersionKey = "tqdb.format_version";
inline constexpr std::string_view kNextCollectionIdKey = "tqdb.next_collection_id";
// Written empty with sync to fsync the log (storage/store.h, SyncLog).
inline constexpr std::string_view kSyncMarkerKey = "tqdb.sync_marker";

enum class Cf {
  kDefault = 0,
  kCollections,
  kSegments,
  kDead,
  kVectors,
  kPayloads,
  kPartitions,
  kCount
};
inline constexpr int kCfCount = static_cast<int>(Cf::kCount);
inline constexpr std::array<std::string_view, kCfCount> kCfNames = {
    "default", "collections", "segments", "dead", "vectors", "payloads", "partitions"};
// The column families that hold a collection's data, each under its key prefix.
inline constexpr std::array<Cf, 5> kCollectionDataCfs = {Cf::kSegments, Cf::kDead, Cf::kVectors,
                                                         Cf::kPayloads, Cf::kPartitions};

std::string CollectionPrefix(uint32_t cid);
// The first key past every key of collection `cid`.
std::string CollectionEnd(uint32_t cid);

std::string SegmentKey(uint32_t cid, uint64_t segment);
std::string DeadKey(uint32_t cid, uint64_t segment, uint64_t id);
// All dead keys of one segment lie in [DeadSegmentPrefix(s), DeadSegmentPrefix(s + 1)).
std::string DeadSegmentPrefix(uint32_t cid, uint64_t segment);
std::string RecordKey(uint32_t cid, uint64_t id);  // vectors and payloads
std::string PartitionsKey(uint32_t cid);
std::string PayloadIndexesKey(uint32_t cid);
std::string IngestMarkerPrefix(uint32_t cid);
std::string IngestMarkerKey(uint32_t cid, uint64_t number);

// The parts of keys spelled above; DataLoss for a key of the wrong length.
struct SegmentKeyParts {
  uint32_t cid = 0;
  uint64_t segment = 0;
};
struct DeadKeyParts {
  uint32_t cid = 0;
  uint64_t segment = 0;
  uint64_t id = 0;
};
absl::StatusOr<SegmentKeyParts> ParseSegmentKey(std::string_view key);
// The id of a RecordKey.
absl::StatusOr<uint64_t> ParseRecordKey(std::string_view key);
absl::StatusOr<DeadKeyParts> ParseDeadKey(std::string_view key);

}  // namespace tqdb::storage
