// Validation of caller-supplied vectors at the engine's boundary.
#pragma once

#include <cstddef>

#include "absl/status/status.h"
#include "absl/types/span.h"

namespace tqdb {

// `values` must hold exactly `count` vectors of `dim` finite floats. Errors are InvalidArgument
// and name the first offending vector and coordinate.
absl::Status ValidateVectors(absl::Span<const float> values, size_t count, int dim);

}  // namespace tqdb
