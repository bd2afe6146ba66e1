#include "db/storage/segment_codec.h"

#include <bit>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "quant/half_float.h"

namespace tqdb::storage {
namespace {

static_assert(std::endian::native == std::endian::little, "segments are stored little-endian");
static_assert(sizeof(VectorFactors) == 8, "factors are stored as two floats");

// The fourth byte of the magic: 1 flat, 2 partitioned; 3 and 4 the same with 16-bit factors.
constexpr char kMagicPrefix[3] = {'T', 'Q', 'S'};
constexpr size_t kHeaderBytes = 4 + 4 + 8;

char FormatDigit(bool partitioned, bool half_factors) {
  return static_cast<char>('1' + (partitioned ? 1 : 0) + (half_factors ? 2 : 0));
}
size_t FactorBytes(bool half_factors) {
  return half_factors ? 2 * sizeof(uint16_t) : sizeof(VectorFactors);
}
size_t HeaderBytes(bool partitioned) { return kHeaderBytes + (partitioned ? 8 : 0); }
size_t EntryBytes(size_t code_bytes, bool partitioned, bool half_factors) {
  return sizeof(uint64_t) + FactorBytes(half_factors) + (partitioned ? sizeof(uint32_t) : 0) +
         code_bytes;
}

template <typename T>
void Append(std::string* out, const T* values, size_t count) {
  out->append(reinterpret_cast<const char*>(values), count * sizeof(T));
}

}  // namespace

size_t SegmentBytes(size_t count, size_t code_bytes, bool partitioned, bool half_factors) {
  return HeaderBytes(partitioned) + count * EntryBytes(code_bytes, partitioned, half_factors);
}

std::string EncodeSegment(absl::Span<const uint64_t> ids, absl::Span<const uint8_t> codes,
                          absl::Span<const VectorFactors> factors, size_t code_bytes,
                          absl::Span<const uint32_t> lists, uint64_t partitioning,
                          bool half_factors) {
  const bool partitioned = partitioning != 0;
  const uint64_t count = ids.size();
  const uint32_t code_bytes32 = static_cast<uint32_t>(code_bytes);
  std::string out;
  out.reserve(SegmentBytes(count, code_bytes, partitioned, half_factors));
  out.append(kMagicPrefix, 3);
  out.push_back(FormatDigit(partitioned, half_factors));
  Append(&out, &code_bytes32, 1);
  Append(&out, &count, 1);
  if (partitioned) Append(&out, &partitioning, 1);
  Append(&out, ids.data(), count);
  if (half_factors) {
    std::vector<uint16_t> halves(2 * count);
    for (size_t i = 0; i < count; ++i) {
      halves[2 * i] = FloatToHalf(factors[i].norm);
      halves[2 * i + 1] = FloatToHalf(factors[i].aux);
    }
    Append(&out, halves.data(), halves.size());
  } else {
    Append(&out, factors.data(), count);
  }
  if (partitioned) Append(&out, lists.data(), count);
  Append(&out, codes.data(), count * code_bytes);
  return out;
}

absl::StatusOr<SegmentView> DecodeSegment(std::string_view value, size_t code_bytes) {
  if (value.size() < kHeaderBytes || std::memcmp(value.data(), kMagicPrefix, 3) != 0 ||
      value[3] < '1' || value[3] > '4') {
    return absl::DataLossError(
        absl::StrCat("segment of ", value.size(), " bytes has no TQS1 to TQS4 header"));
  }
  const int format = value[3] - '1';
  const bool partitioned = (format & 1) != 0;
  const bool half_factors = (format & 2) != 0;
  uint32_t stored_code_bytes = 0;
  uint64_t count = 0;
  std::memcpy(&stored_code_bytes, value.data() + 4, 4);
  std::memcpy(&count, value.data() + 8, 8);
  if (stored_code_bytes != code_bytes) {
    return absl::DataLossError(absl::StrCat("segment holds codes of ", stored_code_bytes,
                                            " bytes but the collection's are ", code_bytes));
  }
  const size_t header = HeaderBytes(partitioned);
  if (value.size() < header ||
      count > (value.size() - header) / EntryBytes(code_bytes, partitioned, half_factors) ||
      value.size() != SegmentBytes(count, code_bytes, partitioned, half_factors)) {
    return absl::DataLossError(
        absl::StrCat("segment claims ", count, " vectors but has ", value.size(), " bytes"));
  }
  SegmentView view;
  view.count = count;
  const char* p = value.data() + kHeaderBytes;
  if (partitioned) {
    std::memcpy(&view.partitioning, p, 8);
    p += 8;
    if (view.partitioning == 0) return absl::DataLossError("partitioned segment of partitioning 0");
  }
  view.ids.resize(count);
  std::memcpy(view.ids.data(), p, count * sizeof(uint64_t));
  p += count * sizeof(uint64_t);
  view.factors.resize(count);
  if (half_factors) {
    std::vector<uint16_t> halves(2 * count);
    std::memcpy(halves.data(), p, halves.size() * sizeof(uint16_t));
    for (size_t i = 0; i < count; ++i) {
      view.factors[i] = {HalfToFloat(halves[2 * i]), HalfToFloat(halves[2 * i + 1])};
    }
  } else {
    std::memcpy(view.factors.data(), p, count * sizeof(VectorFactors));
  }
  p += count * FactorBytes(half_factors);
  if (partitioned) {
    view.lists.resize(count);
    std::memcpy(view.lists.data(), p, count * sizeof(uint32_t));
    p += count * sizeof(uint32_t);
  }
  view.codes = absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(p), count * code_bytes);
  return view;
}

}  // namespace tqdb::storage
