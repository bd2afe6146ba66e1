#include "index/vector_checks.h"

#include <cmath>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "tqdb/status_macros.h"

namespace tqdb {

double MaxVectorNorm(Metric metric, int factor_bits) {
  return factor_bits == 16 && metric != Metric::kCosine ? kMaxHalfFactorNorm : kMaxVectorNorm;
}

absl::Status ValidateVectors(absl::Span<const float> values, size_t count, int dim,
                             double max_norm) {
  if (values.size() != count * dim) {
    return absl::InvalidArgumentError(absl::StrCat("expected ", count, " vector(s) of dimension ",
                                                   dim, " (", count * dim, " floats), got ",
                                                   values.size(), " floats"));
  }
  for (size_t v = 0; v < count; ++v) {
    const float* x = values.data() + v * dim;
    double squared_norm = 0;
    for (int j = 0; j < dim; ++j) {
      if (!std::isfinite(x[j])) {
        return absl::InvalidArgumentError(
            absl::StrCat("vector ", v, " has a non-finite value (", x[j], ") at coordinate ", j));
      }
      squared_norm += static_cast<double>(x[j]) * x[j];
    }
    const double norm = std::sqrt(squared_norm);
    if (norm != 0 && (norm < kMinVectorNorm || norm > max_norm)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "vector ", v, " has norm ", norm, "; norms must be 0 or in [", kMinVectorNorm, ", ",
          max_norm, "] ",
          max_norm == kMaxHalfFactorNorm
              ? "to fit 16-bit factors (a collection created with 32-bit factors takes more)"
              : "so that scores and distances stay finite in float"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> CountQueries(absl::Span<const float> values, int dim) {
  if (values.empty()) return absl::InvalidArgumentError("no query vectors");
  if (values.size() % dim != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "queries hold ", values.size(), " floats; expected a multiple of the dimension ", dim));
  }
  return values.size() / dim;
}

absl::Status ValidateUniqueIds(absl::Span<const uint64_t> ids) {
  absl::flat_hash_set<uint64_t> seen(ids.size());
  for (uint64_t id : ids) {
    if (!seen.insert(id).second) {
      return absl::InvalidArgumentError(absl::StrCat("id ", id, " appears twice in one batch"));
    }
  }
  return absl::OkStatus();
}

namespace {

// The ranges both levels of a search share (search_options.h).
absl::Status ValidateSearchRanges(int k, bool rerank, int rerank_candidates, int nprobe) {
  if (k < 1 || k > kMaxSearchK) {
    return absl::InvalidArgumentError(absl::StrCat("k must be in [1, ", kMaxSearchK, "], got ", k));
  }
  if (rerank && (rerank_candidates < 1 || rerank_candidates > kMaxSearchK)) {
    return absl::InvalidArgumentError(absl::StrCat("rerank_candidates must be in [1, ", kMaxSearchK,
                                                   "], got ", rerank_candidates));
  }
  if (nprobe < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("nprobe must be >= 0 (0: the index's default), got ", nprobe));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateSearchOptions(const SearchOptions& options) {
  return ValidateSearchRanges(options.k, options.rerank, options.rerank_candidates, options.nprobe);
}

absl::Status ValidateSearchParameters(const SearchParameters& params) {
  const auto* ivf = dynamic_cast<const IvfSearchParameters*>(&params);
  return ValidateSearchRanges(params.k, params.rerank, params.rerank_candidates,
                              ivf != nullptr ? ivf->nprobe : 0);
}

absl::Status ValidateSearchRequest(absl::Span<const float> queries, size_t count, int dim,
                                   Metric metric, const SearchParameters& params,
                                   bool stores_vectors) {
  TQDB_RETURN_IF_ERROR(ValidateSearchParameters(params));
  if (params.rerank && !stores_vectors) {
    return absl::FailedPreconditionError(
        "re-rank needs the float vectors, but this index does not store them");
  }
  TQDB_RETURN_IF_ERROR(ValidateVectors(queries, count, dim));
  if (metric == Metric::kCosine) {
    for (size_t i = 0; i < count; ++i) {
      const float* q = queries.data() + i * dim;
      if (Dot(q, q, dim) == 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("query ", i, " is the zero vector, which has no cosine similarity"));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateCenter(absl::Span<const float> center, int dim, Metric metric,
                            int factor_bits) {
  if (center.size() != static_cast<size_t>(dim)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the center has ", center.size(), " values; the dimension is ", dim));
  }
  const double max_norm = factor_bits == 16 ? kMaxHalfFactorNorm : kMaxVectorNorm;
  if (absl::Status status = ValidateVectors(center, 1, dim, max_norm); !status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("the center: ", status.message()));
  }
  if (metric == Metric::kInnerProduct) {
    return absl::InvalidArgumentError(
        "inner-product collections cannot be centered (the bias <m, x - m> would need a third "
        "stored factor); use centering none, or cosine or l2");
  }
  return absl::OkStatus();
}

}  // namespace tqdb
