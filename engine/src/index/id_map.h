// The ids of an index and the way back from an id to where its code is: (list, slot), for the
// flat index (one list) and the partitioned one alike. With one list that takes the 8-byte id
// and a 4-byte slot plus one control byte in a hash set 7/16 to 7/8 full (14 to 20 bytes per
// vector); with several the set holds an 8-byte (list, slot) (18 to 29). A map from id to
// location would take 16 to 24-byte entries besides the ids: the set holds locations, and hashes
// and compares them by the id stored there.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "index/chunked_array.h"

namespace tqdb {

// Where an id's code is: a list (0 in a flat index) and a slot in that list's store.
struct Location {
  uint32_t list = 0;
  uint32_t slot = 0;
  bool operator==(const Location& other) const { return list == other.list && slot == other.slot; }
};

class IdMap {
 public:
  explicit IdMap(size_t lists);
  // The set's functors point at ids_.
  IdMap(const IdMap&) = delete;
  IdMap& operator=(const IdMap&) = delete;

  size_t size() const { return size_; }
  size_t lists() const { return ids_.size(); }
  size_t list_size(uint32_t list) const { return ids_[list].size(); }
  uint64_t id(Location at) const { return ids_[at.list][at.slot]; }
  // The ids of a run of slots from `at`: contiguous up to the end of its chunk of 4096 (so a
  // block of 32 starting at a multiple of 32 is one run).
  const uint64_t* ids_from(Location at) const { return ids_[at.list].slot(at.slot); }
  // Every id, list by list in slot order.
  std::vector<uint64_t> Ids() const;

  std::optional<Location> Find(uint64_t id) const;
  // Appends `id` as the new last slot of `list`; the caller made sure it is absent.
  Location Insert(uint64_t id, uint32_t list);
  // Removes `id` by moving the last slot of its list into its slot (the caller moves its
  // arrays the same way); returns where it was, or nullopt when absent.
  std::optional<Location> Remove(uint64_t id);

  void ShrinkToFit();
  size_t MemoryBytes() const;

 private:
  struct IdKey {
    uint64_t id;
  };
  // A hash set of locations packed into `Packed` (a slot alone with one list), hashed and
  // compared through the id stored at each.
  template <typename Packed>
  struct Table {
    struct Hash {
      using is_transparent = void;
      const IdMap* map;
      size_t operator()(Packed at) const { return absl::Hash<uint64_t>()(map->id(Unpack(at))); }
      size_t operator()(IdKey key) const { return absl::Hash<uint64_t>()(key.id); }
    };
    struct Eq {
      using is_transparent = void;
      const IdMap* map;
      bool operator()(Packed a, Packed b) const { return a == b; }
      bool operator()(Packed at, IdKey key) const { return map->id(Unpack(at)) == key.id; }
      bool operator()(IdKey key, Packed at) const { return map->id(Unpack(at)) == key.id; }
    };
    static Packed Pack(Location at) {
      return static_cast<Packed>((static_cast<uint64_t>(at.list) << 32) | at.slot);
    }
    static Location Unpack(Packed at) {
      return {static_cast<uint32_t>(static_cast<uint64_t>(at) >> 32), static_cast<uint32_t>(at)};
    }
    explicit Table(const IdMap* map) : set(0, Hash{map}, Eq{map}) {}
    absl::flat_hash_set<Packed, Hash, Eq> set;
  };
  using SlotTable = Table<uint32_t>;      // one list: 4 bytes per entry
  using LocationTable = Table<uint64_t>;  // several lists

  std::vector<ChunkedArray<uint64_t>> ids_;  // by list, then slot
  size_t size_ = 0;
  std::variant<SlotTable, LocationTable> table_;
};

}  // namespace tqdb
