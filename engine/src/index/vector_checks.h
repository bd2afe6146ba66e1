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

// Nonzero vectors must have a norm in [kMinVectorNorm, kMaxVectorNorm]: beyond it a squared norm
// or an L2 distance overflows float, or normalizing underflows, and scores become NaN or Inf.
// The margin (distances reach 4 |x|^2 = 4e30, far below FLT_MAX = 3.4e38) keeps every
// intermediate of the estimators finite too.
inline constexpr double kMinVectorNorm = 1e-15;
inline constexpr double kMaxVectorNorm = 1e15;

// `values` must hold exactly `count` vectors of `dim` finite floats, each of norm 0 or within
// the bounds above. Errors are InvalidArgument and name the first offending vector (and
// coordinate).
absl::Status ValidateVectors(absl::Span<const float> values, size_t count, int dim);

// `values` must hold a positive whole number of `dim`-float queries; returns how many.
absl::StatusOr<size_t> CountQueries(absl::Span<const float> values, int dim);

// No id may appear twice in one batch (InvalidArgument names it).
absl::Status ValidateUniqueIds(absl::Span<const uint64_t> ids);

// k and, when re-ranking, rerank_candidates in [1, kMaxSearchK]; nprobe >= 0: a collection's
// request, and an index's parameters.
absl::Status ValidateSearchOptions(const SearchOptions& options);
absl::Status ValidateSearchParameters(const SearchParameters& params);

// A whole search request to an in-memory index: its options, re-rank only where the float
// vectors are kept (`stores_vectors`, else FailedPrecondition), `count` valid queries of `dim`
// floats, none of them zero under cosine.
absl::Status ValidateSearchRequest(absl::Span<const float> queries, size_t count, int dim,
                                   Metric metric, const SearchParameters& params,
                                   bool stores_vectors);

// A nonempty center: `dim` finite values, under a metric that can be centered (not inner
// product; docs/DESIGN.md, "Centering").
absl::Status ValidateCenter(absl::Span<const float> center, int dim, Metric metric);

}  // namespace tqdb
