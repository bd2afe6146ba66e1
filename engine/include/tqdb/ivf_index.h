// Partitioned ("IVF") index over TurboQuant codes: k-means centroids split the vectors into
// lists, and a search scans only the lists whose centroids are nearest the query (nprobe).
//
// Each list is a code store whose codes are taken relative to the list's centroid: the centered
// estimator (docs/DESIGN.md, "Centering") with m = the centroid, so a vector's code spends its bits
// on what sets it apart within its list. Inner product cannot be centered, so its lists hold plain
// codes. The centroids are the only trained part; the codes still need none. Thread safety: as
// Index.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "tqdb/index.h"
#include "tqdb/metric.h"
#include "tqdb/quantizer.h"
#include "tqdb/search_options.h"

namespace tqdb {

namespace ivf {
class CoarseQuantizer;  // index/ivf/coarse_quantizer.h
}  // namespace ivf
class InvertedLists;  // index/store/inverted_lists.h
class VectorCoder;    // index/vector_coder.h

struct IvfIndexOptions {
  Metric metric = Metric::kCosine;
  QuantizerConfig quantizer;   // quantizer.dim is the index's dimension
  bool store_vectors = false;  // keep the float vectors, for exact re-rank
  bool center_lists = true;    // codes relative to the list's centroid (cosine and L2)
  // Centered cosine lists: take each list's share of its centroid off the query (the flat
  // index's alpha), at the price of a query preparation (rotation and tables) per probed list.
  // Off, one prepared query serves every list, but the estimate's error grows with |q| instead
  // of |q - alpha m|: on dense near-duplicates (glove-10m) that costs recall without re-rank.
  bool shift_queries_per_list = false;
  // Cosine: vectors are assigned to, and queries probe, the lists whose centroids point nearest
  // their direction (inner product with unit centroids, as FAISS's IVF does for inner product:
  // spherical k-means), instead of the nearest centroid by L2, which favours lists with short
  // (spread-out) centroids. The lists' codes stay centered on the centroids themselves.
  bool probe_by_direction = false;
  int default_nprobe = 0;  // lists searched when a search does not say; 0: DefaultNprobe
  // Training: k-means iterations, the seed of its starting rows, and the largest sample used
  // (points per list; more are subsampled).
  int training_iterations = 10;
  uint64_t training_seed = 1234;
  size_t training_points_per_list = 128;
};

// The nprobe a search takes by default among `lists` lists: one in 16, at least 32 (or all). On
// GloVe, re-ranked, 32 lists reach recall@10 0.95-0.97 from 50,000 to 290,000 vectors and one in
// 16 0.976 at 1M (bench/results/ivf/): the recall a user of the flat scan expects to keep.
int DefaultNprobe(size_t lists);
// About sqrt(n) lists for n vectors, at least 1.
size_t DefaultListCount(size_t n);

class IvfIndex final : public Index {
 public:
  // `lists` centroids by k-means on the `sample` rows (cosine: of their unit vectors).
  // InvalidArgument when the sample has fewer rows than lists, or is not finite.
  static absl::StatusOr<std::unique_ptr<IvfIndex>> Train(const IvfIndexOptions& options,
                                                         absl::Span<const float> sample,
                                                         size_t lists);
  // The same, taking the sample over: its rows are normalized in place rather than copied (the
  // copy had been 64 MB beside the sample at d = 1536, a third of a bulk load's peak).
  static absl::StatusOr<std::unique_ptr<IvfIndex>> Train(const IvfIndexOptions& options,
                                                         std::vector<float>&& sample, size_t lists);
  // Which of `candidates` vectors Train would use for `lists` lists (at most
  // options.training_points_per_list per list, drawn with options.training_seed), as distinct
  // indices into them: a caller reads only those rows.
  static std::vector<size_t> TrainingSample(const IvfIndexOptions& options, size_t candidates,
                                            size_t lists);
  // With given centroids (row-major, lists x dim), e.g. restored from storage.
  static absl::StatusOr<std::unique_ptr<IvfIndex>> Create(const IvfIndexOptions& options,
                                                          std::vector<float> centroids);
  ~IvfIndex() override;

  const IvfIndexOptions& options() const { return options_; }
  int dim() const override { return options_.quantizer.dim; }
  size_t size() const override;
  bool Contains(uint64_t id) const override;
  size_t lists() const override;
  int default_nprobe() const;
  // The lists a search probes when it asks for `nprobe` (0: the default) of a collection this
  // index is one of `parts` equal parts of. Each part holds 1/parts of the vectors in about
  // 1/sqrt(parts) of the lists one index over all would have (sqrt(n) lists for n vectors), so
  // nprobe / sqrt(parts) of its lists (rounded up) are the share of the data the whole would
  // probe; the default is 1.5 times the whole's default scaled alike (at its bare share a
  // coarser partition finds less). At least 1, at most lists().
  size_t ProbedLists(int nprobe, int parts) const;
  const std::vector<float>& centroids() const;
  // Its lists are assigned and probed by direction (IvfIndexOptions::probe_by_direction, which
  // only cosine lists follow).
  bool probe_by_direction() const {
    return options_.probe_by_direction && options_.metric == Metric::kCosine;
  }
  // The number of vectors in each list.
  std::vector<size_t> ListSizes() const;
  // The list of `id`, or -1 when absent.
  int64_t ListOf(uint64_t id) const;

  absl::Status Add(absl::Span<const uint64_t> ids, absl::Span<const float> vectors) override;
  size_t Remove(absl::Span<const uint64_t> ids) override;
  absl::StatusOr<std::vector<SearchHit>> Search(absl::Span<const float> query,
                                                const SearchParameters& params) const override;
  absl::StatusOr<std::vector<std::vector<SearchHit>>> SearchBatch(
      absl::Span<const float> queries, const SearchParameters& params) const override;
  // Bytes held, by part (the lists' stores, the id map, centroids, the quantizer).
  IndexMemory Memory() const;
  IndexStats Stats() const override;

  std::shared_ptr<const IndexEncoder> encoder() const override { return encoder_; }
  absl::Status AddEncoded(absl::Span<const uint64_t> ids, const EncodedVectors& encoded,
                          uint64_t tag) override;
  bool AppendEncoded(uint64_t id, EncodedVectors* out) const override;
  bool Reconstruct(uint64_t id, float* out) const override;
  std::optional<uint64_t> TagOf(uint64_t id) const override;
  void SetTag(uint64_t id, uint64_t tag) override;
  std::vector<uint64_t> Ids() const override;
  void ShrinkToFit() override;

 private:
  explicit IvfIndex(const IvfIndexOptions& options);

  // One validated query whose lists to probe are `probe` (nprobe of them): one scanner (or one
  // per list, when the lists' coders shift queries) and one top-k across the lists; with
  // `split_over_threads`, a large one spreads its lists over the OpenMP threads.
  std::vector<SearchHit> SearchProbed(const float* query, const uint32_t* probe, size_t nprobe,
                                      const SearchParameters& params,
                                      bool split_over_threads) const;
  // `count` validated queries of a batch, list by list: each list's codes are read once for
  // all the queries that probe it (their hits into results[0, count)). Lists must share
  // scanners (shared_scan_).
  void SearchGrouped(const float* queries, size_t count, const uint32_t* probes, size_t nprobe,
                     const SearchParameters& params, std::vector<SearchHit>* results) const;
  size_t Nprobe(const SearchParameters& params) const;

  IvfIndexOptions options_;
  std::shared_ptr<const ivf::CoarseQuantizer> coarse_;
  // The centroids as given when the coarse step holds unit-length copies (probe_by_direction).
  std::vector<float> given_centroids_;
  // One coder per list, all on one quantizer: they differ only in their centers.
  std::vector<std::shared_ptr<const VectorCoder>> coders_;
  std::shared_ptr<const IndexEncoder> encoder_;
  std::unique_ptr<InvertedLists> lists_;
  // Every list scores a query prepared once (cosine lists do not shift queries; inner product
  // lists are not centered); centered L2 lists, and lists that shift queries, each prepare
  // their own (q - m differs).
  bool shared_scan_ = true;
};

}  // namespace tqdb
