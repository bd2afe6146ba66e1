// Validation of caller input at the engine's boundary: vectors, ids and search options. Each
// check is written once here; the index and the collection call it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "tqdb/metric.h"
#include "tqdb/search_options.h"

namespace tqdb {

// `values` must hold exactly `count` vectors of `dim` finite floats. Errors are InvalidArgument
// and name the first offending vector and coordinate.
absl::Status ValidateVectors(absl::Span<const float> values, size_t count, int dim);

// `values` must hold a positive whole number of `dim`-float queries; returns how many.
absl::StatusOr<size_t> CountQueries(absl::Span<const float> values, int dim);

// No id may appear twice in one batch (InvalidArgument names it).
absl::Status ValidateUniqueIds(absl::Span<const uint64_t> ids);

// k and, when re-ranking, rerank_candidates in [1, kMaxSearchK].
absl::Status ValidateSearchOptions(const SearchOptions& options);

// A nonempty center: `dim` finite values, under a metric that can be centered (not inner
// product; docs/DESIGN.md, "Centering").
absl::Status ValidateCenter(absl::Span<const float> center, int dim, Metric metric);

}  // namespace tqdb
