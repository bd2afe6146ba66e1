// A std::allocator that aligns to `Alignment` bytes, so that the blocks of the scan layout start
// on cache lines and a 64-byte AVX-512 load never straddles two of them.
#pragma once

#include <cstddef>
#include <new>

namespace tqdb::scan {

template <typename T, std::size_t Alignment>
struct AlignedAllocator {
  using value_type = T;
  template <typename U>
  struct rebind {
    using other = AlignedAllocator<U, Alignment>;
  };

  AlignedAllocator() = default;
  template <typename U>
  AlignedAllocator(const AlignedAllocator<U, Alignment>&) {}

  T* allocate(std::size_t n) {
    return static_cast<T*>(::operator new (n * sizeof(T), std::align_val_t{Alignment}));
  }
  void deallocate(T* p, std::size_t) { ::operator delete (p, std::align_val_t{Alignment}); }

  template <typename U>
  bool operator==(const AlignedAllocator<U, Alignment>&) const {
    return true;
  }
};

}  // namespace tqdb::scan
