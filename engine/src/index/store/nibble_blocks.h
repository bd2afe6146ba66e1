// The blocked, transposed layout the fast-scan kernels read (docs/DESIGN.md, "Scanning"): a
// code store's form of the codes (stored here; namespace scan, as the kernels name its sizes).
//
// A code is read as a stream of 4-bit groups ("nibbles"). For b = 1, 2, 4 the packed code
// (bit_packing.h) already is that stream: each nibble holds 4/b whole coordinates. For b = 3 each
// coordinate gets a nibble of its own (one bit unused), which keeps the scan a 16-entry lookup
// per nibble at the price of a third more bytes scanned. Either way a query's contribution of a
// nibble is one entry of a 16-entry table. Vectors are stored in blocks of 32; within a block,
// group g takes 16 bytes: byte i holds vector i's nibble in its low half and vector i + 16's in
// its high half. A SIMD register of 16 bytes therefore holds one group for all 32 vectors, and
// one byte shuffle looks up 32 table entries. Groups are padded to a multiple of 4 with zero
// nibbles (and zero tables), so a block is a whole number of 64-byte lines, and the storage is
// 64-byte aligned: every block starts on a cache line. Blocks are stored in chunks of
// kChunkBlocks (chunked_array.h), so growing never copies the whole index. A code of two
// widths (tqdb/code_parts.h) is the wide part's nibbles, then the narrow part's.
#pragma once

#include <cstddef>
#include <cstdint>

#include "absl/container/inlined_vector.h"
#include "index/chunked_array.h"
#include "tqdb/code_parts.h"

namespace tqdb::scan {

inline constexpr int kBlockSize = 32;
inline constexpr int kGroupBytes = 16;  // one group of one block

// True when the blocks (and so the fast-scan kernels) serve codes of `bits` per coordinate.
constexpr bool NibbleCodable(int bits) { return bits >= 1 && bits <= 4; }

// Coordinates per nibble at `bits` per coordinate (1..4).
constexpr int CoordinatesPerNibble(int bits) { return bits == 3 ? 1 : 4 / bits; }
// Nibble groups of `dim` coordinates at `bits`, unpadded.
constexpr int NibbleGroups(int dim, int bits) {
  const int per_nibble = CoordinatesPerNibble(bits);
  return (dim + per_nibble - 1) / per_nibble;
}
// Nibble groups of a code, padded to a multiple of 4 for the widest kernel.
constexpr int PaddedGroups(int dim, int bits) { return (NibbleGroups(dim, bits) + 3) & ~3; }
int PaddedGroups(const CodeParts& parts);
// Every part's width fits the blocks.
bool NibbleCodable(const CodeParts& parts);

class NibbleBlocks {
 public:
  // Codes of `dim` coordinates at `bits` (1..4) per coordinate.
  NibbleBlocks(int dim, int bits) : NibbleBlocks(CodeParts{{0, dim, bits, 0}}) {}
  // Codes of these parts, each of 1..4 bits per coordinate.
  explicit NibbleBlocks(const CodeParts& parts);

  int groups() const { return groups_; }
  size_t size() const { return size_; }
  size_t blocks() const { return (size_ + kBlockSize - 1) / kBlockSize; }
  size_t block_bytes() const { return size_t{1} * groups_ * kGroupBytes; }
  const uint8_t* block(size_t b) const { return blocks_.slot(b); }

  void ShrinkToFit() { blocks_.ShrinkToFit(); }
  // Grows or shrinks to `n` vectors; new slots hold zero codes.
  void Resize(size_t n);
  // Writes the packed `code` (PackCodes layout) of `slot` (< size()) into its block.
  void Set(size_t slot, const uint8_t* code);
  // The packed code of `slot` (< size()), as given to Set: PackedBytes(parts) bytes.
  void Get(size_t slot, uint8_t* code) const;
  // Copies slot `from` over slot `to` (for swap-with-last removal).
  void Move(size_t from, size_t to);
  size_t MemoryBytes() const { return blocks_.MemoryBytes(); }

 private:
  // The byte of `slot` in its block's group 0 (group g's is g * kGroupBytes further on), and
  // which half of it is the slot's: a block's first 16 slots hold the low nibbles, the next 16
  // the high ones.
  uint8_t* Lane(size_t slot) { return blocks_.slot(slot / kBlockSize) + slot % 16; }
  const uint8_t* Lane(size_t slot) const { return blocks_.slot(slot / kBlockSize) + slot % 16; }
  static int Shift(size_t slot) { return (slot % kBlockSize) < 16 ? 0 : 4; }
  // Writes `value` into the half of `*byte` at `shift`, keeping the other half.
  static void PutNibble(uint8_t* byte, int shift, uint8_t value) {
    *byte = static_cast<uint8_t>((*byte & (0xf0 >> shift)) | (value << shift));
  }

  // A part's run of groups in the stream.
  struct GroupRun {
    CodePart part;
    int first_group = 0;
    int groups = 0;
  };
  // The nibble of the run's group `g` (counted from the run's first) in its packed part.
  static uint8_t CodeNibble(const GroupRun& run, const uint8_t* part_code, int g);

  static constexpr size_t kChunkBlocks = 256;  // 8,192 vectors

  absl::InlinedVector<GroupRun, 2> runs_;
  int groups_;
  size_t size_ = 0;
  ChunkedArray<uint8_t> blocks_;  // one slot per block
};

}  // namespace tqdb::scan
