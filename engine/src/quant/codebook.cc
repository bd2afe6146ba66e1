#include "quant/codebook.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "quant/sphere_distribution.h"
#include "tqdb/mutex.h"

namespace tqdb {
namespace {

constexpr int kMaxIterations = 100000;

// The t with P(T <= t) = p, by bisection on the CDF.
double Quantile(const SphereCoordinateDistribution& dist, double p) {
  double lo = -dist.EffectiveSupport(), hi = dist.EffectiveSupport();
  for (int i = 0; i < 200 && hi - lo > 1e-15; ++i) {
    const double mid = 0.5 * (lo + hi);
    (dist.Cdf(mid) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

// Centroids as conditional means of the cells delimited by `edges` (first -1, last +1).
void ConditionalMeans(const SphereCoordinateDistribution& dist, const std::vector<double>& edges,
                      std::vector<double>& centroids, std::vector<double>& masses) {
  for (size_t i = 0; i + 1 < edges.size(); ++i) {
    const double mass = dist.Mass(edges[i], edges[i + 1]);
    masses[i] = mass;
    // A cell with no probability keeps its midpoint (only possible far in the tails).
    centroids[i] = mass > 1e-300 ? dist.FirstMoment(edges[i], edges[i + 1]) / mass
                                 : 0.5 * (std::max(edges[i], -1.0) + std::min(edges[i + 1], 1.0));
  }
}

bool IsStrictlyIncreasing(const std::vector<double>& c) {
  for (size_t i = 1; i < c.size(); ++i) {
    if (!(c[i] > c[i - 1])) return false;
  }
  return c.front() > -1.0 && c.back() < 1.0;
}

std::vector<double> MidpointEdges(const std::vector<double>& centroids) {
  std::vector<double> edges(centroids.size() + 1);
  edges.front() = -1.0;
  edges.back() = 1.0;
  for (size_t i = 1; i < centroids.size(); ++i) edges[i] = 0.5 * (centroids[i - 1] + centroids[i]);
  return edges;
}

// max_i |T(c)_i - c_i|, where T is one Lloyd update.
double Residual(const SphereCoordinateDistribution& dist, const std::vector<double>& centroids) {
  std::vector<double> next(centroids.size()), masses(centroids.size());
  ConditionalMeans(dist, MidpointEdges(centroids), next, masses);
  double r = 0;
  for (size_t i = 0; i < centroids.size(); ++i) r = std::max(r, std::abs(next[i] - centroids[i]));
  return r;
}

// Solves (I - J) delta = T(c) - c, with J the (tridiagonal) Jacobian of the Lloyd map T:
// T_i = m1_i / m0_i over the cell [e_i, e_{i+1}], e_i = (c_{i-1} + c_i) / 2, so
// dT_i/de_i = f(e_i) (T_i - e_i) / m0_i and dT_i/de_{i+1} = f(e_{i+1}) (e_{i+1} - T_i) / m0_i.
std::vector<double> NewtonStep(const SphereCoordinateDistribution& dist,
                               const std::vector<double>& edges, const std::vector<double>& c,
                               const std::vector<double>& lloyd,
                               const std::vector<double>& masses) {
  const int n = static_cast<int>(c.size());
  std::vector<double> lower(n, 0), diag(n, 1), upper(n, 0), rhs(n);
  for (int i = 0; i < n; ++i) {
    rhs[i] = lloyd[i] - c[i];
    if (masses[i] <= 1e-300) continue;
    const double left =
        i > 0 ? 0.5 * dist.Density(edges[i]) * (lloyd[i] - edges[i]) / masses[i] : 0;
    const double right =
        i + 1 < n ? 0.5 * dist.Density(edges[i + 1]) * (edges[i + 1] - lloyd[i]) / masses[i] : 0;
    lower[i] = -left;
    upper[i] = -right;
    diag[i] = 1.0 - left - right;
  }
  // Thomas algorithm for the tridiagonal system.
  for (int i = 1; i < n; ++i) {
    const double m = lower[i] / diag[i - 1];
    diag[i] -= m * upper[i - 1];
    rhs[i] -= m * rhs[i - 1];
  }
  std::vector<double> next(n);
  double delta = rhs[n - 1] / diag[n - 1];
  next[n - 1] = c[n - 1] + delta;
  for (int i = n - 2; i >= 0; --i) {
    delta = (rhs[i] - upper[i] * delta) / diag[i];
    next[i] = c[i] + delta;
  }
  return next;
}

Codebook Finish(int dim, int bits, std::vector<double> centroids, double mse, int iterations) {
  Codebook book;
  book.dim = dim;
  book.bits = bits;
  book.exact_centroids = std::move(centroids);
  for (double c : book.exact_centroids) book.centroids.push_back(static_cast<float>(c));
  for (size_t i = 0; i + 1 < book.exact_centroids.size(); ++i) {
    book.boundaries.push_back(
        static_cast<float>(0.5 * (book.exact_centroids[i] + book.exact_centroids[i + 1])));
  }
  book.coordinate_mse = mse;
  book.iterations = iterations;
  return book;
}

}  // namespace

uint8_t Codebook::Quantize(float y) const {
  // Branchless binary search for the number of boundaries <= y (what std::upper_bound finds):
  // the comparisons compile to conditional moves, so random inputs cause no mispredictions.
  const float* b = boundaries.data();
  size_t index = 0;
  for (size_t step = centroids.size() / 2; step > 0; step /= 2) {
    index += b[index + step - 1] <= y ? step : 0;
  }
  return static_cast<uint8_t>(index);
}

absl::StatusOr<Codebook> ComputeLloydMaxCodebook(int dim, int bits) {
  if (dim < 1) return absl::InvalidArgumentError(absl::StrCat("dimension must be >= 1, got ", dim));
  if (bits < 1 || bits > kMaxCodebookBits) {
    return absl::InvalidArgumentError(
        absl::StrCat("codebook bits must be in [1, ", kMaxCodebookBits, "], got ", bits));
  }
  const int levels = 1 << bits;
  if (dim == 1) {
    std::vector<double> points(levels);
    for (int i = 0; i < levels; ++i) points[i] = -1.0 + 2.0 * i / (levels - 1);
    return Finish(dim, bits, std::move(points), 0.0, 0);
  }

  const SphereCoordinateDistribution dist(dim);
  // Start from equal-probability cells; Lloyd's iteration then moves to the MSE fixed point.
  std::vector<double> edges(levels + 1);
  edges.front() = -1.0;
  edges.back() = 1.0;
  for (int i = 1; i < levels; ++i) edges[i] = Quantile(dist, static_cast<double>(i) / levels);
  std::vector<double> centroids(levels), masses(levels);
  ConditionalMeans(dist, edges, centroids, masses);

  // Far below float precision of the stored centroids, above the quadrature round-off.
  const double tolerance = 1e-9 / std::sqrt(static_cast<double>(dim));
  int iteration = 0;
  for (; iteration < kMaxIterations; ++iteration) {
    for (int i = 1; i < levels; ++i) edges[i] = 0.5 * (centroids[i - 1] + centroids[i]);
    std::vector<double> lloyd(levels);
    ConditionalMeans(dist, edges, lloyd, masses);
    double change = 0;
    for (int i = 0; i < levels; ++i) change = std::max(change, std::abs(lloyd[i] - centroids[i]));
    if (change < tolerance) break;
    // Plain Lloyd converges linearly and very slowly for many levels; a Newton step on the
    // fixed-point equation c = T(c) converges quadratically. Keep it only if it leaves the
    // centroids ordered and shrinks the residual, else fall back to the Lloyd step.
    std::vector<double> newton = NewtonStep(dist, edges, centroids, lloyd, masses);
    if (IsStrictlyIncreasing(newton) && Residual(dist, newton) < change) {
      centroids = std::move(newton);
    } else {
      centroids = std::move(lloyd);
    }
  }
  for (int i = 1; i < levels; ++i) edges[i] = 0.5 * (centroids[i - 1] + centroids[i]);
  ConditionalMeans(dist, edges, centroids, masses);
  // Enforce exact symmetry (the density is even), removing round-off asymmetry.
  for (int i = 0; i < levels / 2; ++i) {
    const double c = 0.5 * (centroids[levels - 1 - i] - centroids[i]);
    centroids[i] = -c;
    centroids[levels - 1 - i] = c;
  }
  // At the fixed point E[(T - c)^2] = E[T^2] - sum_i P_i c_i^2, and E[T^2] = 1/d exactly.
  double explained = 0;
  for (int i = 0; i < levels; ++i) explained += masses[i] * centroids[i] * centroids[i];
  const double mse = 1.0 / dim - explained;
  return Finish(dim, bits, std::move(centroids), mse, iteration);
}

absl::StatusOr<std::shared_ptr<const Codebook>> GetCodebook(int dim, int bits) {
  static Mutex mutex;
  static auto* cache ABSL_GUARDED_BY(mutex) =
      new std::map<std::pair<int, int>, std::shared_ptr<const Codebook>>();
  {
    MutexLock lock(mutex);
    auto it = cache->find({dim, bits});
    if (it != cache->end()) return it->second;
  }
  // Computed outside the lock: two threads may race to compute the same book, which is harmless.
  absl::StatusOr<Codebook> book = ComputeLloydMaxCodebook(dim, bits);
  if (!book.ok()) return book.status();
  auto shared = std::make_shared<const Codebook>(*std::move(book));
  MutexLock lock(mutex);
  return cache->try_emplace({dim, bits}, std::move(shared)).first->second;
}

}  // namespace tqdb
