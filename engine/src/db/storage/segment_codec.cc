#include "db/storage/segment_codec.h"

#include <bit>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace tqdb::storage {
namespace {

static_assert(std::endian::native == std::endian::little, "segments are stored little-endian");
static_assert(sizeof(VectorFactors) == 8, "factors are stored as two floats");

constexpr char kMagic[4] = {'T', 'Q', 'S', '1'};
constexpr size_t kHeaderBytes = 4 + 4 + 8;

}  // namespace

size_t SegmentBytes(size_t count, size_t code_bytes) {
  return kHeaderBytes + count * (sizeof(uint64_t) + sizeof(VectorFactors) + code_bytes);
}

std::string EncodeSegment(absl::Span<const uint64_t> ids, absl::Span<const uint8_t> codes,
                          absl::Span<const VectorFactors> factors, size_t code_bytes) {
  const uint64_t count = ids.size();
  const uint32_t code_bytes32 = static_cast<uint32_t>(code_bytes);
  std::string out;
  out.reserve(SegmentBytes(count, code_bytes));
  out.append(kMagic, 4);
  out.append(reinterpret_cast<const char*>(&code_bytes32), 4);
  out.append(reinterpret_cast<const char*>(&count), 8);
  out.append(reinterpret_cast<const char*>(ids.data()), count * sizeof(uint64_t));
  out.append(reinterpret_cast<const char*>(factors.data()), count * sizeof(VectorFactors));
  out.append(reinterpret_cast<const char*>(codes.data()), count * code_bytes);
  return out;
}

absl::StatusOr<SegmentView> DecodeSegment(std::string_view value, size_t code_bytes) {
  if (value.size() < kHeaderBytes || std::memcmp(value.data(), kMagic, 4) != 0) {
    return absl::DataLossError(
        absl::StrCat("segment of ", value.size(), " bytes has no TQS1 header"));
  }
  uint32_t stored_code_bytes = 0;
  uint64_t count = 0;
  std::memcpy(&stored_code_bytes, value.data() + 4, 4);
  std::memcpy(&count, value.data() + 8, 8);
  if (stored_code_bytes != code_bytes) {
    return absl::DataLossError(absl::StrCat("segment holds codes of ", stored_code_bytes,
                                            " bytes but the collection's are ", code_bytes));
  }
  const size_t per_vector = sizeof(uint64_t) + sizeof(VectorFactors) + code_bytes;
  if (count > (value.size() - kHeaderBytes) / per_vector ||
      value.size() != SegmentBytes(count, code_bytes)) {
    return absl::DataLossError(
        absl::StrCat("segment claims ", count, " vectors but has ", value.size(), " bytes"));
  }
  SegmentView view;
  view.count = count;
  const char* p = value.data() + kHeaderBytes;
  view.ids.resize(count);
  std::memcpy(view.ids.data(), p, count * sizeof(uint64_t));
  p += count * sizeof(uint64_t);
  view.factors.resize(count);
  std::memcpy(view.factors.data(), p, count * sizeof(VectorFactors));
  p += count * sizeof(VectorFactors);
  view.codes = absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(p), count * code_bytes);
  return view;
}

}  // namespace tqdb::storage
