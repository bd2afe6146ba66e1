#include "index/vector_checks.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace tqdb {

absl::Status ValidateVectors(absl::Span<const float> values, size_t count, int dim) {
  if (values.size() != count * dim) {
    return absl::InvalidArgumentError(absl::StrCat("expected ", count, " vector(s) of dimension ",
                                                   dim, " (", count * dim, " floats), got ",
                                                   values.size(), " floats"));
  }
  for (size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      return absl::InvalidArgumentError(absl::StrCat(
          "vector ", i / dim, " has a non-finite value (", values[i], ") at coordinate ", i % dim));
    }
  }
  return absl::OkStatus();
}

}  // namespace tqdb
