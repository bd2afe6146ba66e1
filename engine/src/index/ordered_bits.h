// A float's bits rearranged so that unsigned integer order is the float order (negative floats'
// bits reversed, positive floats' sign bit set; -0 sorts just below +0): selections then compare
// and move plain integers, which the compiler keeps branch-free, and a key packed above an index
// breaks ties by the index in the same compare.
#pragma once

#include <bit>
#include <cstdint>

namespace tqdb {

inline uint32_t OrderedBits(float value) {
  const uint32_t bits = std::bit_cast<uint32_t>(value);
  return (bits & 0x80000000u) != 0 ? ~bits : bits | 0x80000000u;
}

inline float FromOrderedBits(uint32_t ordered) {
  return std::bit_cast<float>((ordered & 0x80000000u) != 0 ? ordered & 0x7fffffffu : ~ordered);
}

}  // namespace tqdb
