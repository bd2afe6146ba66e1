#include "db/storage/keys.h"

#include "absl/strings/str_cat.h"

namespace tqdb::storage {
namespace {

void AppendBigEndian(std::string* out, uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

uint64_t ReadBigEndian(std::string_view key, size_t offset, int bytes) {
  uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value = (value << 8) | static_cast<uint8_t>(key[offset + i]);
  return value;
}

constexpr size_t kCidBytes = 4, kNumberBytes = 8;

}  // namespace

std::string CollectionPrefix(uint32_t cid) {
  std::string key;
  AppendBigEndian(&key, cid, 4);
  return key;
}

std::string CollectionEnd(uint32_t cid) {
  // cid + 1 as 8 bytes would not sort after "cid | anything"; cid + 1 as 4 bytes does.
  return CollectionPrefix(cid + 1);
}

std::string SegmentKey(uint32_t cid, uint64_t segment) {
  std::string key = CollectionPrefix(cid);
  AppendBigEndian(&key, segment, 8);
  return key;
}

std::string PartitionsKey(uint32_t cid) { return CollectionPrefix(cid); }
std::string PayloadIndexesKey(uint32_t cid) { return CollectionPrefix(cid) + "payload_indexes"; }

std::string IngestMarkerPrefix(uint32_t cid) { return CollectionPrefix(cid) + "ingesting"; }
std::string IngestMarkerKey(uint32_t cid, uint64_t number) {
  std::string key = IngestMarkerPrefix(cid);
  AppendBigEndian(&key, number, 8);
  return key;
}

std::string DeadSegmentPrefix(uint32_t cid, uint64_t segment) { return SegmentKey(cid, segment); }

std::string DeadKey(uint32_t cid, uint64_t segment, uint64_t id) {
  std::string key = SegmentKey(cid, segment);
  AppendBigEndian(&key, id, 8);
  return key;
}

std::string RecordKey(uint32_t cid, uint64_t id) {
  std::string key = CollectionPrefix(cid);
  AppendBigEndian(&key, id, 8);
  return key;
}

absl::StatusOr<uint64_t> ParseRecordKey(std::string_view key) {
  if (key.size() != kCidBytes + kNumberBytes) {
    return absl::DataLossError(absl::StrCat("record key of ", key.size(), " bytes, not 12"));
  }
  return ReadBigEndian(key, kCidBytes, kNumberBytes);
}

absl::StatusOr<SegmentKeyParts> ParseSegmentKey(std::string_view key) {
  if (key.size() != kCidBytes + kNumberBytes) {
    return absl::DataLossError(absl::StrCat("segment key of ", key.size(), " bytes, not 12"));
  }
  return SegmentKeyParts{static_cast<uint32_t>(ReadBigEndian(key, 0, kCidBytes)),
                         ReadBigEndian(key, kCidBytes, kNumberBytes)};
}

absl::StatusOr<DeadKeyParts> ParseDeadKey(std::string_view key) {
  if (key.size() != kCidBytes + 2 * kNumberBytes) {
    return absl::DataLossError(absl::StrCat("dead-entry key of ", key.size(), " bytes, not 20"));
  }
  return DeadKeyParts{static_cast<uint32_t>(ReadBigEndian(key, 0, kCidBytes)),
                      ReadBigEndian(key, kCidBytes, kNumberBytes),
                      ReadBigEndian(key, kCidBytes + kNumberBytes, kNumberBytes)};
}

}  // namespace tqdb::storage
