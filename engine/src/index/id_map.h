// The ids of a flat index and the way back from an id to its slot, in about 13 bytes per vector
// (the 8-byte id, and a 4-byte slot plus one control byte in a hash set at most 7/8 full)
// instead of the 16-byte entries of a map from id to slot: the set holds slots, and hashes and
// compares them by the id stored at that slot.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "index/chunked_array.h"

namespace tqdb {

class IdMap {
 public:
  IdMap() : slots_(0, SlotHash{&ids_}, SlotEq{&ids_}) {}
  // The set's functors point at ids_.
  IdMap(const IdMap&) = delete;
  IdMap& operator=(const IdMap&) = delete;

  size_t size() const { return ids_.size(); }
  uint64_t id(uint32_t slot) const { return ids_[slot]; }
  std::vector<uint64_t> Ids() const {
    std::vector<uint64_t> ids(size());
    for (size_t slot = 0; slot < ids.size(); ++slot) ids[slot] = ids_[slot];
    return ids;
  }

  std::optional<uint32_t> Find(uint64_t id) const {
    auto it = slots_.find(IdKey{id});
    if (it == slots_.end()) return std::nullopt;
    return *it;
  }
  // The slot of `id`, appended as the new last slot when absent; true when it was.
  std::pair<uint32_t, bool> Insert(uint64_t id) {
    if (std::optional<uint32_t> slot = Find(id); slot.has_value()) return {*slot, false};
    ids_.PushBack(id);
    const uint32_t slot = static_cast<uint32_t>(ids_.size() - 1);
    slots_.insert(slot);
    return {slot, true};
  }
  // Removes `id` by moving the last slot into its slot (the caller moves its arrays the same
  // way); returns that slot, or nullopt when absent.
  std::optional<uint32_t> Remove(uint64_t id) {
    auto it = slots_.find(IdKey{id});
    if (it == slots_.end()) return std::nullopt;
    const uint32_t hole = *it;
    const uint32_t last = static_cast<uint32_t>(ids_.size() - 1);
    slots_.erase(it);
    if (hole != last) {
      slots_.erase(slots_.find(IdKey{ids_[last]}));
      ids_[hole] = ids_[last];
      slots_.insert(hole);
    }
    ids_.PopBack();
    return hole;
  }
  void ShrinkToFit() {
    ids_.ShrinkToFit();
    slots_.rehash(0);  // the smallest table that holds them
  }
  size_t MemoryBytes() const {
    return ids_.MemoryBytes() + slots_.capacity() * (sizeof(uint32_t) + 1);
  }

 private:
  struct IdKey {
    uint64_t id;
  };
  struct SlotHash {
    using is_transparent = void;
    const ChunkedArray<uint64_t>* ids;
    size_t operator()(uint32_t slot) const { return absl::Hash<uint64_t>()((*ids)[slot]); }
    size_t operator()(IdKey key) const { return absl::Hash<uint64_t>()(key.id); }
  };
  struct SlotEq {
    using is_transparent = void;
    const ChunkedArray<uint64_t>* ids;
    bool operator()(uint32_t a, uint32_t b) const { return a == b; }
    bool operator()(uint32_t slot, IdKey key) const { return (*ids)[slot] == key.id; }
    bool operator()(IdKey key, uint32_t slot) const { return (*ids)[slot] == key.id; }
  };

  ChunkedArray<uint64_t> ids_;  // by slot
  absl::flat_hash_set<uint32_t, SlotHash, SlotEq> slots_;
};

}  // namespace tqdb
