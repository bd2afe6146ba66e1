// How a tq-mse code's coordinates split between two widths: fractional bits per coordinate.
//
// After the random rotation the coordinates are exchangeable, so any split of them between two
// widths is a valid code (the TurboQuant paper codes outlier channels at a higher width the same
// way). b + e/8 bits per coordinate codes the first h coordinates at b + 1 bits and the rest at
// b, each run with the Lloyd-Max codebook of its width. h is d e / 8 rounded to a multiple of 8
// coordinates, so the wide run fills whole bytes and the narrow one starts on a byte (and
// nibble) boundary. A whole width (e = 0) is one part: the layout of integer widths, unchanged.
#pragma once

#include <cstddef>

#include "absl/container/inlined_vector.h"

namespace tqdb {

// Coordinates [first, first + dims) of the rotated vector at `bits` each, packed (PackCodes)
// from byte `offset` of the code.
struct CodePart {
  int first = 0;
  int dims = 0;
  int bits = 0;
  size_t offset = 0;
};

using CodeParts = absl::InlinedVector<CodePart, 2>;

// The parts of a code of `dim` coordinates at `bits` + `eighths` / 8 per coordinate (eighths in
// 0..7): the wide part first, when it has any coordinates.
CodeParts SplitCoordinates(int dim, int bits, int eighths);

// Bytes of the packed code of all parts.
size_t PackedBytes(const CodeParts& parts);

// Code bits per coordinate the split gives (b + e/8 up to the rounding of h).
double BitsPerCoordinate(const CodeParts& parts);

}  // namespace tqdb
