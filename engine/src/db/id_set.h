// A set of 64-bit ids as compressed bitmaps: one CRoaring bitmap per high 32 bits (one in all
// for ids below 2^32). CRoaring's own Roaring64Map in Debian's 0.2 unions many sets one by one
// and lists members through a slow iterator; this one unions per part with roaring's lazy
// many-way union and visits members with roaring's iterate, which the filtered scan needs once
// per request.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "absl/types/span.h"
#include "roaring/roaring.hh"

namespace tqdb {

class IdSet {
 public:
  void add(uint64_t id) { parts_[High(id)].add(Low(id)); }
  void remove(uint64_t id) {
    const auto part = parts_.find(High(id));
    if (part == parts_.end()) return;
    part->second.remove(Low(id));
    if (part->second.isEmpty()) parts_.erase(part);
  }
  bool contains(uint64_t id) const {
    const auto part = parts_.find(High(id));
    return part != parts_.end() && part->second.contains(Low(id));
  }
  uint64_t cardinality() const {
    uint64_t count = 0;
    for (const auto& [high, part] : parts_) count += part.cardinality();
    return count;
  }
  bool isEmpty() const { return parts_.empty(); }

  IdSet& operator&=(const IdSet& other) {
    for (auto part = parts_.begin(); part != parts_.end();) {
      const auto match = other.parts_.find(part->first);
      if (match == other.parts_.end()) {
        part = parts_.erase(part);
        continue;
      }
      part->second &= match->second;
      part = part->second.isEmpty() ? parts_.erase(part) : std::next(part);
    }
    return *this;
  }
  IdSet& operator-=(const IdSet& other) {
    for (const auto& [high, theirs] : other.parts_) {
      const auto part = parts_.find(high);
      if (part == parts_.end()) continue;
      part->second -= theirs;
      if (part->second.isEmpty()) parts_.erase(part);
    }
    return *this;
  }
  IdSet& operator|=(const IdSet& other) {
    for (const auto& [high, theirs] : other.parts_) parts_[high] |= theirs;
    return *this;
  }
  IdSet operator-(const IdSet& other) const {
    IdSet out = *this;
    out -= other;
    return out;
  }

  // The union of `sets` in one pass per part.
  static IdSet Union(absl::Span<const IdSet* const> sets) {
    std::map<uint32_t, std::vector<const Roaring*>> by_part;
    for (const IdSet* set : sets) {
      for (const auto& [high, part] : set->parts_) by_part[high].push_back(&part);
    }
    IdSet out;
    for (auto& [high, parts] : by_part) {
      out.parts_.emplace(high, Roaring::fastunion(parts.size(), parts.data()));
    }
    return out;
  }

  // Calls visit(id) for every member in increasing order.
  template <typename Visit>
  void ForEach(Visit visit) const {
    for (const auto& [high, part] : parts_) {
      struct Context {
        Visit* visit;
        uint64_t base;
      } context{&visit, uint64_t{high} << 32};
      part.iterate(
          [](uint32_t low, void* raw) {
            auto* c = static_cast<Context*>(raw);
            (*c->visit)(c->base | low);
            return true;
          },
          &context);
    }
  }
  // Calls visit(id) for the members from `first` up, in increasing order, while it returns
  // true.
  template <typename Visit>
  void ForEachFrom(uint64_t first, Visit visit) const {
    for (auto part = parts_.lower_bound(High(first)); part != parts_.end(); ++part) {
      roaring_uint32_iterator_t it;
      roaring_init_iterator(&part->second.roaring, &it);
      if (part->first == High(first)) roaring_move_uint32_iterator_equalorlarger(&it, Low(first));
      const uint64_t base = uint64_t{part->first} << 32;
      for (; it.has_value; roaring_advance_uint32_iterator(&it)) {
        if (!visit(base | it.current_value)) return;
      }
    }
  }
  std::vector<uint64_t> ToVector() const {
    std::vector<uint64_t> out;
    out.reserve(cardinality());
    ForEach([&](uint64_t id) { out.push_back(id); });
    return out;
  }
  // The largest member; 0 for the empty set.
  uint64_t Maximum() const {
    return parts_.empty()
               ? 0
               : (uint64_t{parts_.rbegin()->first} << 32) | parts_.rbegin()->second.maximum();
  }
  size_t getSizeInBytes() const {
    size_t bytes = 0;
    for (const auto& [high, part] : parts_) bytes += part.getSizeInBytes() + 48;
    return bytes;
  }

 private:
  static uint32_t High(uint64_t id) { return static_cast<uint32_t>(id >> 32); }
  static uint32_t Low(uint64_t id) { return static_cast<uint32_t>(id); }

  std::map<uint32_t, Roaring> parts_;  // no empty parts
};

}  // namespace tqdb
