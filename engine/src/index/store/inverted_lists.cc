#include "index/store/inverted_lists.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "index/vector_coder.h"

namespace tqdb {

InvertedLists::InvertedLists(const CodeLayout& layout, size_t lists, bool store_vectors,
                             bool partitioned)
    : layout_(layout),
      store_vectors_(store_vectors),
      partitioned_(partitioned),
      tags_(lists),
      ids_(lists) {
  for (size_t l = 0; l < lists; ++l) {
    stores_.push_back(std::make_unique<CodeStore>(layout, store_vectors));
  }
}

absl::Status InvertedLists::Upsert(absl::Span<const uint64_t> ids, const EncodedVectors& encoded,
                                   absl::Span<const float> vectors, uint64_t tag) {
  const size_t n = ids.size(), bytes = layout_.code_bytes, d = layout_.dim;
  if (encoded.size() != n || encoded.codes.size() != n * bytes ||
      encoded.lists.size() != (partitioned_ ? n : 0) ||
      (store_vectors_ && vectors.size() != n * d)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "AddEncoded: ", n, " ids but ", encoded.size(), " factors, ", encoded.codes.size(),
        " code bytes, ", encoded.lists.size(), " lists and ", vectors.size(), " floats"));
  }
  for (uint32_t l : encoded.lists) {
    if (l >= lists()) {
      return absl::InvalidArgumentError(
          absl::StrCat("AddEncoded: list ", l, " of an index with ", lists(), " lists"));
    }
  }
  if (size() + n > UINT32_MAX) {
    return absl::ResourceExhaustedError("an index holds at most 2^32 - 1 vectors");
  }
  for (size_t i = 0; i < n; ++i) {
    const uint32_t list = partitioned_ ? encoded.lists[i] : 0;
    const uint8_t* code = &encoded.codes[i * bytes];
    const float* vector = store_vectors_ ? &vectors[i * d] : nullptr;
    std::optional<Location> at = ids_.Find(ids[i]);
    if (at.has_value() && at->list != list) {  // moves: leaves its old list first
      Remove(absl::MakeConstSpan(&ids[i], 1));
      at.reset();
    }
    if (at.has_value()) {
      stores_[list]->Set(at->slot, code, encoded.factors[i], vector);
    } else {
      at = ids_.Insert(ids[i], list);
      stores_[list]->Append(code, encoded.factors[i], vector);
      tags_[list].Resize(at->slot + 1);
    }
    tags_[list][at->slot] = tag;
  }
  return absl::OkStatus();
}

size_t InvertedLists::Remove(absl::Span<const uint64_t> ids) {
  size_t removed = 0;
  for (uint64_t id : ids) {
    const std::optional<Location> hole = ids_.Remove(id);
    if (!hole.has_value()) continue;
    // The id map moved the list's last slot into the hole: so do the store and the tags.
    stores_[hole->list]->Remove(hole->slot);
    ChunkedArray<uint64_t>& tags = tags_[hole->list];
    tags[hole->slot] = tags[tags.size() - 1];
    tags.PopBack();
    ++removed;
  }
  return removed;
}

bool InvertedLists::AppendEncoded(uint64_t id, EncodedVectors* out) const {
  const std::optional<Location> at = ids_.Find(id);
  if (!at.has_value()) return false;
  const CodeStore& store = *stores_[at->list];
  const size_t bytes = layout_.code_bytes;
  out->codes.resize(out->codes.size() + bytes);
  uint8_t* code = &out->codes[out->codes.size() - bytes];
  const uint8_t* stored = store.CodeAt(at->slot, code);
  if (stored != code) std::copy_n(stored, bytes, code);
  out->factors.push_back(store.factors(at->slot));
  if (partitioned_) out->lists.push_back(at->list);
  return true;
}

bool InvertedLists::Reconstruct(uint64_t id,
                                absl::FunctionRef<const VectorCoder&(uint32_t)> coder_of,
                                float* out) const {
  const std::optional<Location> at = ids_.Find(id);
  if (!at.has_value()) return false;
  const CodeStore& store = *stores_[at->list];
  std::vector<uint8_t> buffer(layout_.code_bytes);
  coder_of(at->list).Decode(store.CodeAt(at->slot, buffer.data()), store.factors(at->slot), out);
  return true;
}

std::optional<uint64_t> InvertedLists::TagOf(uint64_t id) const {
  const std::optional<Location> at = ids_.Find(id);
  if (!at.has_value()) return std::nullopt;
  return tags_[at->list][at->slot];
}

void InvertedLists::SetTag(uint64_t id, uint64_t tag) {
  if (const std::optional<Location> at = ids_.Find(id)) tags_[at->list][at->slot] = tag;
}

void InvertedLists::ShrinkToFit() {
  ids_.ShrinkToFit();
  for (auto& store : stores_) store->ShrinkToFit();
  for (ChunkedArray<uint64_t>& tags : tags_) tags.ShrinkToFit();
}

IndexMemory InvertedLists::Memory() const {
  IndexMemory memory;
  for (const auto& store : stores_) memory += store->Memory();
  memory.ids += ids_.MemoryBytes();
  for (const ChunkedArray<uint64_t>& tags : tags_) memory.ids += tags.MemoryBytes();
  memory.lists += stores_.capacity() * sizeof(void*) + lists() * sizeof(CodeStore) +
                  tags_.capacity() * sizeof(ChunkedArray<uint64_t>);
  return memory;
}

}  // namespace tqdb
