// A per-slot array of an index, stored in chunks of a fixed number of slots. Growing adds a
// chunk instead of doubling and copying the whole array, so a bulk load never holds two copies
// at once (the peak) nor capacity for up to twice its slots (the steady state). Only the last
// chunk grows geometrically, so a small collection holds a small array.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <new>
#include <type_traits>
#include <vector>

namespace tqdb {

template <typename T>
class ChunkedArray {
  static_assert(std::is_trivially_copyable_v<T>, "slots are copied and zeroed as bytes");

 public:
  static constexpr size_t kAlignment = 64;  // a cache line: scan blocks start on one

  // Slots of `width` elements each, `chunk_slots` (a power of two) slots per chunk. Slots in one
  // chunk are contiguous, so a scan may read `chunk_slots` of them from one pointer.
  explicit ChunkedArray(size_t width = 1, size_t chunk_slots = 4096)
      : width_(width), chunk_shift_(Log2(chunk_slots)), chunk_slots_(chunk_slots) {}

  size_t size() const { return size_; }
  size_t width() const { return width_; }
  size_t chunk_slots() const { return chunk_slots_; }

  T* slot(size_t i) { return chunks_[i >> chunk_shift_].data.get() + Offset(i); }
  const T* slot(size_t i) const { return chunks_[i >> chunk_shift_].data.get() + Offset(i); }
  T& operator[](size_t i) { return *slot(i); }
  const T& operator[](size_t i) const { return *slot(i); }

  // Grows (new slots read as zero) or shrinks to `n` slots.
  void Resize(size_t n) {
    const size_t needed_chunks = (n + chunk_slots_ - 1) >> chunk_shift_;
    chunks_.resize(needed_chunks);
    // Chunks before the one holding slot size_ are full already.
    for (size_t c = size_ >> chunk_shift_; c < needed_chunks; ++c) {
      const size_t used = std::min(chunk_slots_, n - (c << chunk_shift_));
      Chunk& chunk = chunks_[c];
      if (chunk.capacity < used) {
        // Geometric growth inside the last chunk, capped at a full one.
        Reallocate(&chunk, std::min(chunk_slots_, std::max(used, 2 * chunk.capacity)));
      }
      const size_t first = c << chunk_shift_;
      if (first + used > size_) {  // zero the slots this call adds
        const size_t from = std::max(first, size_) - first;
        std::memset(chunk.data.get() + from * width_, 0, (used - from) * width_ * sizeof(T));
      }
    }
    size_ = n;
  }
  void PushBack(const T& value) {
    Resize(size_ + 1);
    (*this)[size_ - 1] = value;
  }
  void PopBack() { Resize(size_ - 1); }

  // Gives back the last chunk's unused capacity.
  void ShrinkToFit() {
    if (chunks_.empty()) return;
    const size_t used = size_ - ((chunks_.size() - 1) << chunk_shift_);
    if (chunks_.back().capacity > used) Reallocate(&chunks_.back(), used);
    chunks_.shrink_to_fit();
  }
  size_t MemoryBytes() const {
    size_t bytes = chunks_.capacity() * sizeof(Chunk);
    for (const Chunk& chunk : chunks_) bytes += chunk.capacity * width_ * sizeof(T);
    return bytes;
  }

 private:
  struct AlignedDelete {
    void operator()(T* p) const { ::operator delete[](p, std::align_val_t{kAlignment}); }
  };
  struct Chunk {
    std::unique_ptr<T[], AlignedDelete> data;
    size_t capacity = 0;  // slots
  };

  static size_t Log2(size_t power_of_two) {
    size_t shift = 0;
    while ((size_t{1} << shift) < power_of_two) ++shift;
    return shift;
  }
  size_t Offset(size_t i) const { return (i & (chunk_slots_ - 1)) * width_; }

  void Reallocate(Chunk* chunk, size_t capacity) {
    std::unique_ptr<T[], AlignedDelete> data(static_cast<T*>(::operator new[](
        std::max<size_t>(capacity * width_ * sizeof(T), 1), std::align_val_t{kAlignment})));
    const size_t keep = std::min(capacity, chunk->capacity);
    if (keep > 0) std::memcpy(data.get(), chunk->data.get(), keep * width_ * sizeof(T));
    chunk->data = std::move(data);
    chunk->capacity = capacity;
  }

  size_t width_;
  size_t chunk_shift_;
  size_t chunk_slots_;
  size_t size_ = 0;
  std::vector<Chunk> chunks_;
};

}  // namespace tqdb
