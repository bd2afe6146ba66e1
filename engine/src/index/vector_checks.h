// Validation of caller input at the engine's boundary: vectors, ids and search options. Each
// check is written once here; the index and the collection call it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "quant/half_float.h"
#include "tqdb/metric.h"
#include "tqdb/search_options.h"

namespace tqdb {

// Nonzero vectors must have a norm in [kMinVectorNorm, kMaxVectorNorm]: beyond it a squared norm
// or an L2 distance overflows float, or normalizing underflows, and scores become NaN or Inf.
// The margin (distances reach 4 |x|^2 = 4e30, far below FLT_MAX = 3.4e38) keeps every
// intermediate of the estimators finite too.
inline constexpr double kMinVectorNorm = 1e-15;
inline constexpr double kMaxVectorNorm = 1e15;
// With 16-bit factors (QuantizerConfig::factor_bits) a stored norm |x - m| must stay below the
// largest half, 65504: vectors under L2 and inner product (cosine normalizes them) and centers
// are held to half of it, so that |x - m| <= |x| + |m| fits.
inline constexpr double kMaxHalfFactorNorm = kMaxHalf / 2;  // 32752

// The largest norm of a vector stored under `metric` with factors of `factor_bits`.
double MaxVectorNorm(Metric metric, int factor_bits);

// `values` must hold exactly `count` vectors of `dim` finite floats, each of norm 0 or within
// [kMinVectorNorm, max_norm]. Errors are InvalidArgument and name the first offending vector
// (and coordinate).
absl::Status ValidateVectors(absl::Span<const float> values, size_t count, int dim,
                             double max_norm = kMaxVectorNorm);

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
// With 16-bit factors its norm is at most kMaxHalfFactorNorm.
absl::Status ValidateCenter(absl::Span<const float> center, int dim, Metric metric,
                            int factor_bits = 32);

}  // namespace tqdb
