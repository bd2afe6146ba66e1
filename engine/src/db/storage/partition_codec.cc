#include "db/storage/partition_codec.h"

#include <bit>
#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace tqdb::storage {
namespace {

static_assert(std::endian::native == std::endian::little, "partitionings are stored little-endian");
constexpr char kMagic[4] = {'T', 'Q', 'P', '2'};
constexpr char kMagicV1[4] = {'T', 'Q', 'P', '1'};  // read only: no flags
constexpr size_t kHeaderBytesV1 = 4 + 8 + 4 + 4;
constexpr size_t kHeaderBytes = kHeaderBytesV1 + 4;
constexpr uint32_t kByDirection = 1;

}  // namespace

std::string EncodePartitioning(const StoredPartitioning& partitioning) {
  const uint32_t dim = partitioning.dim, lists = partitioning.lists();
  std::string out(kMagic, 4);
  out.append(reinterpret_cast<const char*>(&partitioning.number), 8);
  out.append(reinterpret_cast<const char*>(&dim), 4);
  out.append(reinterpret_cast<const char*>(&lists), 4);
  const uint32_t flags = partitioning.by_direction ? kByDirection : 0;
  out.append(reinterpret_cast<const char*>(&flags), 4);
  out.append(reinterpret_cast<const char*>(partitioning.centroids.data()),
             partitioning.centroids.size() * sizeof(float));
  return out;
}

absl::StatusOr<StoredPartitioning> DecodePartitioning(std::string_view value, int dim) {
  const bool v1 = value.size() >= kHeaderBytesV1 && std::memcmp(value.data(), kMagicV1, 4) == 0;
  const size_t header = v1 ? kHeaderBytesV1 : kHeaderBytes;
  if (value.size() < header || (!v1 && std::memcmp(value.data(), kMagic, 4) != 0)) {
    return absl::DataLossError(
        absl::StrCat("partitioning of ", value.size(), " bytes has no TQP1 or TQP2 header"));
  }
  StoredPartitioning out;
  uint32_t stored_dim = 0, lists = 0, flags = 0;
  std::memcpy(&out.number, value.data() + 4, 8);
  std::memcpy(&stored_dim, value.data() + 12, 4);
  std::memcpy(&lists, value.data() + 16, 4);
  if (!v1) std::memcpy(&flags, value.data() + kHeaderBytesV1, 4);
  if ((flags & ~kByDirection) != 0) {
    return absl::DataLossError(absl::StrCat("partitioning ", out.number, " has unknown flags ",
                                            flags, " (written by a newer server?)"));
  }
  out.by_direction = (flags & kByDirection) != 0;
  if (stored_dim != static_cast<uint32_t>(dim) || out.number == 0 || lists == 0 ||
      value.size() != header + size_t{lists} * dim * sizeof(float)) {
    return absl::DataLossError(
        absl::StrCat("partitioning ", out.number, " of ", lists, " lists of dimension ", stored_dim,
                     " has ", value.size(), " bytes (the collection's dimension is ", dim, ")"));
  }
  out.dim = dim;
  out.centroids.resize(size_t{lists} * dim);
  std::memcpy(out.centroids.data(), value.data() + header, out.centroids.size() * sizeof(float));
  for (float v : out.centroids) {
    if (!std::isfinite(v)) return absl::DataLossError("partitioning holds a non-finite centroid");
  }
  return out;
}

}  // namespace tqdb::storage
