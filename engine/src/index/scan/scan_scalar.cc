// The reference kernel: one table lookup per vector and group.
#include "index/scan/scan_kernels.h"
#include "index/store/nibble_blocks.h"

namespace tqdb::scan {

void ScanBlockScalar(const uint8_t* block, const uint8_t* tables, int groups, uint32_t* out) {
  for (int i = 0; i < kBlockSize; ++i) out[i] = 0;
  for (int g = 0; g < groups; ++g) {
    const uint8_t* bytes = block + g * kGroupBytes;
    const uint8_t* table = tables + g * 16;
    for (int i = 0; i < 16; ++i) {
      out[i] += table[bytes[i] & 0x0f];
      out[i + 16] += table[bytes[i] >> 4];
    }
  }
}

void ScanQueriesScalar(const uint8_t* block, const uint8_t* const* tables, int queries, int groups,
                       uint32_t* out) {
  for (int q = 0; q < queries; ++q) ScanBlockScalar(block, tables[q], groups, out + q * kBlockSize);
}

}  // namespace tqdb::scan
