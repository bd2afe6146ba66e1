// A uniform sample of a collection's vectors (reservoir sampling, Vitter's algorithm R), kept to
// tell whether the center or the lists its codes are taken relative to still describe the data.
// Files are rarely shuffled (GloVe is sorted by word frequency, logs by time): a center or lists
// fitted to the first vectors describe only them, and every code after carries the difference.
//
// Rows are kept as the codes see them: unit length for cosine, as given otherwise. The sample
// never reads storage; the owner feeds it every upsert and delete, and rebuilds it at open.
#pragma once

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/types/span.h"
#include "tqdb/collection_config.h"

namespace tqdb {

class DriftSample {
 public:
  static constexpr size_t kDefaultCapacity = 2048;
  // Wide vectors get fewer rows, so a collection's sample stays within 4 MiB (682 rows at
  // d = 1536; the drift's own error grows to about 1/682, still well under the thresholds).
  static size_t CapacityFor(int dim) {
    return std::clamp<size_t>((size_t{4} << 20) / (sizeof(float) * std::max(dim, 1)), 256,
                              kDefaultCapacity);
  }

  DriftSample(Metric metric, int dim, size_t capacity);
  size_t capacity() const { return capacity_; }

  // Offers `ids` with their rows (row-major) as new vectors of the collection; an id already in
  // the sample has its row replaced and is not counted again.
  void Add(absl::Span<const uint64_t> ids, absl::Span<const float> rows);
  // Forgets deleted ids (the sample shrinks until new vectors refill it).
  void Remove(absl::Span<const uint64_t> ids);
  // Starts over from `rows` of `ids`, a uniform sample of `population` vectors (at open).
  void Reset(absl::Span<const uint64_t> ids, absl::Span<const float> rows, size_t population);

  size_t size() const { return ids_.size(); }
  const std::vector<uint64_t>& ids() const { return ids_; }

  // How much more residual energy codes relative to `center` carry than codes relative to the
  // sample's mean m: |m - center|^2 / mean |x - m|^2 (0: the center is the mean; 0 for an empty
  // sample).
  double CenterDrift(absl::Span<const float> center) const;
  // The mean over the sample of the squared distance to the nearest of `centroids` (row-major):
  // the residual energy of codes relative to those lists.
  double ListEnergy(absl::Span<const float> centroids) const;

 private:
  void Put(size_t slot, uint64_t id, const float* row);

  const Metric metric_;
  const int dim_;
  const size_t capacity_;
  std::vector<float> rows_;  // size() rows
  std::vector<uint64_t> ids_;
  absl::flat_hash_map<uint64_t, size_t> slot_of_;
  size_t seen_ = 0;  // vectors offered since the sample began (the population it stands for)
  std::mt19937_64 rng_;
};

}  // namespace tqdb
