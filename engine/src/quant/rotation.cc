#include "quant/rotation.h"

#include "absl/strings/str_cat.h"
#include "quant/dense_rotation.h"
#include "quant/fast_rotation.h"

namespace tqdb {

const char* RotationKindName(RotationKind kind) {
  switch (kind) {
    case RotationKind::kDense:
      return "dense";
    case RotationKind::kFast:
      return "fast";
  }
  return "unknown";
}

absl::StatusOr<std::unique_ptr<Rotation>> MakeRotation(RotationKind kind, int dim, uint64_t seed) {
  if (dim < 1) return absl::InvalidArgumentError(absl::StrCat("dimension must be >= 1, got ", dim));
  switch (kind) {
    case RotationKind::kDense:
      return std::make_unique<DenseRotation>(dim, seed);
    case RotationKind::kFast:
      return std::make_unique<FastRotation>(dim, seed);
  }
  return absl::InvalidArgumentError("unknown rotation kind");
}

}  // namespace tqdb
