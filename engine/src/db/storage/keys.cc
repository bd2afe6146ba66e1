#include "db/storage/keys.h"

namespace tqdb::storage {
namespace {

void AppendBigEndian(std::string* out, uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

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

uint64_t ReadBigEndian64(std::string_view key, size_t offset) {
  uint64_t value = 0;
  for (size_t i = 0; i < 8; ++i) value = (value << 8) | static_cast<uint8_t>(key[offset + i]);
  return value;
}

}  // namespace tqdb::storage
