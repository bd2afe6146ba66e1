#include "index/id_map.h"

namespace tqdb {
namespace {

template <typename TableT>
using PackedOf = typename decltype(TableT::set)::key_type;

}  // namespace

IdMap::IdMap(size_t lists)
    : ids_(lists),
      table_(
          lists <= 1
              ? std::variant<SlotTable, LocationTable>(std::in_place_type<SlotTable>, this)
              : std::variant<SlotTable, LocationTable>(std::in_place_type<LocationTable>, this)) {}

std::vector<uint64_t> IdMap::Ids() const {
  std::vector<uint64_t> ids;
  ids.reserve(size_);
  for (const ChunkedArray<uint64_t>& list : ids_) {
    for (size_t slot = 0; slot < list.size(); ++slot) ids.push_back(list[slot]);
  }
  return ids;
}

std::optional<Location> IdMap::Find(uint64_t id) const {
  return std::visit(
      [&](const auto& table) -> std::optional<Location> {
        auto it = table.set.find(IdKey{id});
        if (it == table.set.end()) return std::nullopt;
        return table.Unpack(*it);
      },
      table_);
}

Location IdMap::Insert(uint64_t id, uint32_t list) {
  ids_[list].PushBack(id);
  const Location at{list, static_cast<uint32_t>(ids_[list].size() - 1)};
  std::visit([&](auto& table) { table.set.insert(table.Pack(at)); }, table_);
  ++size_;
  return at;
}

std::optional<Location> IdMap::Remove(uint64_t id) {
  return std::visit(
      [&](auto& table) -> std::optional<Location> {
        auto it = table.set.find(IdKey{id});
        if (it == table.set.end()) return std::nullopt;
        const Location hole = table.Unpack(*it);
        ChunkedArray<uint64_t>& list = ids_[hole.list];
        const Location last{hole.list, static_cast<uint32_t>(list.size() - 1)};
        table.set.erase(it);
        if (hole.slot != last.slot) {
          table.set.erase(table.set.find(IdKey{list[last.slot]}));
          list[hole.slot] = list[last.slot];
          table.set.insert(table.Pack(hole));
        }
        list.PopBack();
        --size_;
        return hole;
      },
      table_);
}

void IdMap::ShrinkToFit() {
  for (ChunkedArray<uint64_t>& list : ids_) list.ShrinkToFit();
  std::visit([](auto& table) { table.set.rehash(0); }, table_);  // the smallest that holds them
}

size_t IdMap::MemoryBytes() const {
  size_t bytes = ids_.capacity() * sizeof(ChunkedArray<uint64_t>);
  for (const ChunkedArray<uint64_t>& list : ids_) bytes += list.MemoryBytes();
  return bytes + std::visit(
                     [](const auto& table) {
                       using Packed = PackedOf<std::decay_t<decltype(table)>>;
                       return table.set.capacity() * (sizeof(Packed) + 1);
                     },
                     table_);
}

}  // namespace tqdb
