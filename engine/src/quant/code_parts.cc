#include "tqdb/code_parts.h"

#include <algorithm>

#include "quant/bit_packing.h"

namespace tqdb {

CodeParts SplitCoordinates(int dim, int bits, int eighths) {
  // d e / 8 to the nearest multiple of 8, at most the whole multiples of 8 in d.
  const int wide = std::min((dim * eighths + 32) / 64 * 8, dim / 8 * 8);
  CodeParts parts;
  if (wide > 0) parts.push_back({0, wide, bits + 1, 0});
  if (wide < dim) parts.push_back({wide, dim - wide, bits, PackedBytes(wide, bits + 1)});
  return parts;
}

size_t PackedBytes(const CodeParts& parts) {
  if (parts.empty()) return 0;
  const CodePart& last = parts.back();
  return last.offset + PackedBytes(last.dims, last.bits);
}

double BitsPerCoordinate(const CodeParts& parts) {
  double bits = 0, dims = 0;
  for (const CodePart& part : parts) {
    bits += double{1} * part.dims * part.bits;
    dims += part.dims;
  }
  return dims > 0 ? bits / dims : 0;
}

}  // namespace tqdb
