#include "db/storage/segment_codec.h"

#include <bit>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace tqdb::storage {
namespace {

static_assert(std::endian::native == std::endian::little, "segments are stored little-endian");
static_assert(sizeof(VectorFactors) == 8, "factors are stored as two floats");

constexpr char kFlatMagic[4] = {'T', 'Q', 'S', '1'};
constexpr char kPartitionedMagic[4] = {'T', 'Q', 'S', '2'};
constexpr size_t kHeaderBytes = 4 + 4 + 8;

size_t HeaderBytes(bool partitioned) { return kHeaderBytes + (partitioned ? 8 : 0); }
size_t EntryBytes(size_t code_bytes, bool partitioned) {
  return sizeof(uint64_t) + sizeof(VectorFactors) + (partitioned ? sizeof(uint32_t) : 0) +
         code_bytes;
}

template <typename T>
void Append(std::string* out, const T* values, size_t count) {
  out->append(reinterpret_cast<const char*>(values), count * sizeof(T));
}

}  // namespace

size_t SegmentBytes(size_t count, size_t code_bytes, bool partitioned) {
  return HeaderBytes(partitioned) + count * EntryBytes(code_bytes, partitioned);
}

std::string EncodeSegment(absl::Span<const uint64_t> ids, absl::Span<const uint8_t> codes,
                          absl::Span<const VectorFactors> factors, size_t code_bytes,
                          absl::Span<const uint32_t> lists, uint64_t partitioning) {
  const bool partitioned = partitioning != 0;
  const uint64_t count = ids.size();
  const uint32_t code_bytes32 = static_cast<uint32_t>(code_bytes);
  std::string out;
  out.reserve(SegmentBytes(count, code_bytes, partitioned));
  out.append(partitioned ? kPartitionedMagic : kFlatMagic, 4);
  Append(&out, &code_bytes32, 1);
  Append(&out, &count, 1);
  if (partitioned) Append(&out, &partitioning, 1);
  Append(&out, ids.data(), count);
  Append(&out, factors.data(), count);
  if (partitioned) Append(&out, lists.data(), count);
  Append(&out, codes.data(), count * code_bytes);
  return out;
}

absl::StatusOr<SegmentView> DecodeSegment(std::string_view value, size_t code_bytes) {
  if (value.size() < kHeaderBytes || (std::memcmp(value.data(), kFlatMagic, 4) != 0 &&
                                      std::memcmp(value.data(), kPartitionedMagic, 4) != 0)) {
    return absl::DataLossError(
        absl::StrCat("segment of ", value.size(), " bytes has no TQS1 or TQS2 header"));
  }
  const bool partitioned = value[3] == '2';
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
      count > (value.size() - header) / EntryBytes(code_bytes, partitioned) ||
      value.size() != SegmentBytes(count, code_bytes, partitioned)) {
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
  std::memcpy(view.factors.data(), p, count * sizeof(VectorFactors));
  p += count * sizeof(VectorFactors);
  if (partitioned) {
    view.lists.resize(count);
    std::memcpy(view.lists.data(), p, count * sizeof(uint32_t));
    p += count * sizeof(uint32_t);
  }
  view.codes = absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(p), count * code_bytes);
  return view;
}

}  // namespace tqdb::storage
