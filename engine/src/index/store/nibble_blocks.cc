#include "index/store/nibble_blocks.h"

#include <vector>

#include "quant/bit_packing.h"

namespace tqdb::scan {

void NibbleBlocks::Resize(size_t n) {
  const size_t old_size = size_;
  size_ = n;
  blocks_.Resize(blocks());
  // Slots past the end of a shrunk block must read as zero when the block grows again (a
  // growing one already reads zero there).
  if (n < old_size && n % kBlockSize != 0) {
    for (size_t slot = n; slot < blocks() * kBlockSize; ++slot) {
      for (int g = 0; g < groups_; ++g) SetNibble(slot, g, 0);
    }
  }
}

uint8_t NibbleBlocks::Nibble(size_t slot, int group) const {
  const uint8_t byte = blocks_.slot(slot / kBlockSize)[group * kGroupBytes + slot % 16];
  return (slot % kBlockSize) < 16 ? (byte & 0x0f) : (byte >> 4);
}

void NibbleBlocks::SetNibble(size_t slot, int group, uint8_t value) {
  uint8_t& byte = blocks_.slot(slot / kBlockSize)[group * kGroupBytes + slot % 16];
  if ((slot % kBlockSize) < 16) {
    byte = static_cast<uint8_t>((byte & 0xf0) | value);
  } else {
    byte = static_cast<uint8_t>((byte & 0x0f) | (value << 4));
  }
}

uint8_t NibbleBlocks::CodeNibble(const uint8_t* code, int g) const {
  if (bits_ == 3) {
    return g < dim_ ? static_cast<uint8_t>(ReadPackedCode(code, size_t{3} * g, 3)) : 0;
  }
  // b = 1, 2, 4: the packed stream is the nibble stream; past its end are padding groups.
  const int code_bytes = static_cast<int>(PackedBytes(dim_, bits_));
  return g / 2 < code_bytes ? (code[g / 2] >> (4 * (g % 2))) & 0x0f : 0;
}

void NibbleBlocks::Set(size_t slot, const uint8_t* code) {
  for (int g = 0; g < groups_; ++g) SetNibble(slot, g, CodeNibble(code, g));
}

void NibbleBlocks::Get(size_t slot, uint8_t* code) const {
  // Survivors of every scan come through here: find the slot's byte lane once, then read one
  // byte per group (the low or high half, by the slot's place in its block).
  const uint8_t* lane = blocks_.slot(slot / kBlockSize) + slot % 16;
  const int shift = (slot % kBlockSize) < 16 ? 0 : 4;
  auto nibble = [&](int g) {
    return static_cast<uint8_t>((lane[g * kGroupBytes] >> shift) & 0x0f);
  };
  if (bits_ == 3) {  // one coordinate per nibble
    std::vector<uint8_t> indices(dim_);
    for (int g = 0; g < dim_; ++g) indices[g] = nibble(g);
    PackCodes(indices.data(), dim_, 3, code);
    return;
  }
  const size_t code_bytes = PackedBytes(dim_, bits_);
  for (size_t byte = 0; byte < code_bytes; ++byte) {
    const int g = static_cast<int>(2 * byte);
    code[byte] = static_cast<uint8_t>(nibble(g) | (nibble(g + 1) << 4));
  }
}

void NibbleBlocks::Move(size_t from, size_t to) {
  for (int g = 0; g < groups_; ++g) SetNibble(to, g, Nibble(from, g));
}

}  // namespace tqdb::scan
