#include "index/store/nibble_blocks.h"

#include <vector>

#include "quant/bit_packing.h"

namespace tqdb::scan {

int PaddedGroups(const CodeParts& parts) {
  int groups = 0;
  for (const CodePart& part : parts) groups += NibbleGroups(part.dims, part.bits);
  return (groups + 3) & ~3;
}

bool NibbleCodable(const CodeParts& parts) {
  for (const CodePart& part : parts) {
    if (!NibbleCodable(part.bits)) return false;
  }
  return true;
}

NibbleBlocks::NibbleBlocks(const CodeParts& parts)
    : groups_(PaddedGroups(parts)), blocks_(size_t{1} * groups_ * kGroupBytes, kChunkBlocks) {
  int first_group = 0;
  for (const CodePart& part : parts) {
    const int groups = NibbleGroups(part.dims, part.bits);
    runs_.push_back({part, first_group, groups});
    first_group += groups;
  }
}

void NibbleBlocks::Resize(size_t n) {
  const size_t old_size = size_;
  size_ = n;
  blocks_.Resize(blocks());
  // Slots past the end of a shrunk block must read as zero when the block grows again (a
  // growing one already reads zero there).
  if (n < old_size && n % kBlockSize != 0) {
    for (size_t slot = n; slot < blocks() * kBlockSize; ++slot) {
      uint8_t* lane = Lane(slot);
      for (int g = 0; g < groups_; ++g) PutNibble(lane + g * kGroupBytes, Shift(slot), 0);
    }
  }
}

uint8_t NibbleBlocks::CodeNibble(const GroupRun& run, const uint8_t* part_code, int g) {
  if (run.part.bits == 3) return static_cast<uint8_t>(ReadPackedCode(part_code, size_t{3} * g, 3));
  // b = 1, 2, 4: the packed stream is the nibble stream.
  return (part_code[g / 2] >> (4 * (g % 2))) & 0x0f;
}

void NibbleBlocks::Set(size_t slot, const uint8_t* code) {
  // Every vector written comes through here: find the slot's byte lane and half once (as Get
  // does), not once per group (1,536 chunk lookups for a code of d = 1536 at 4 bits).
  uint8_t* lane = Lane(slot);
  const int shift = Shift(slot);
  const auto put = [&](int g, uint8_t value) { PutNibble(lane + g * kGroupBytes, shift, value); };
  int g = 0;
  for (const GroupRun& run : runs_) {
    for (int k = 0; k < run.groups; ++k, ++g) put(g, CodeNibble(run, code + run.part.offset, k));
  }
  for (; g < groups_; ++g) put(g, 0);  // padding groups
}

void NibbleBlocks::Get(size_t slot, uint8_t* code) const {
  // Survivors of every scan come through here: find the slot's byte lane once, then read one
  // byte per group (the low or high half, by the slot's place in its block).
  const uint8_t* lane = Lane(slot);
  const int shift = Shift(slot);
  auto nibble = [&](int g) {
    return static_cast<uint8_t>((lane[g * kGroupBytes] >> shift) & 0x0f);
  };
  for (const GroupRun& run : runs_) {
    uint8_t* part_code = code + run.part.offset;
    if (run.part.bits == 3) {  // one coordinate per nibble
      std::vector<uint8_t> indices(run.part.dims);
      for (int k = 0; k < run.part.dims; ++k) indices[k] = nibble(run.first_group + k);
      PackCodes(indices.data(), run.part.dims, 3, part_code);
      continue;
    }
    // An odd number of groups leaves a zero high half in the part's last byte.
    const size_t code_bytes = PackedBytes(run.part.dims, run.part.bits);
    for (size_t byte = 0; byte < code_bytes; ++byte) {
      const int k = static_cast<int>(2 * byte);
      const uint8_t high = k + 1 < run.groups ? nibble(run.first_group + k + 1) : 0;
      code[run.part.offset + byte] =
          static_cast<uint8_t>(nibble(run.first_group + k) | (high << 4));
    }
  }
}

void NibbleBlocks::Move(size_t from, size_t to) {
  const uint8_t* source = Lane(from);
  uint8_t* target = Lane(to);
  const int from_shift = Shift(from), to_shift = Shift(to);
  for (int g = 0; g < groups_; ++g) {
    PutNibble(target + g * kGroupBytes, to_shift, (source[g * kGroupBytes] >> from_shift) & 0x0f);
  }
}

}  // namespace tqdb::scan
