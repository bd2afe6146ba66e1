// The partitioned indexes the IVF benchmark compares, behind one interface: tqdb's IvfIndex
// (estimates alone, or re-ranked with the floats) and FAISS's IVF indexes as its users build
// them with index_factory (IVF{nlist},PQ{m}x4fs and IVF{nlist},RaBitQfs{b}, each also with an
// exact refine stage, RFlat), all with the same number of lists.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "method.h"

namespace tqdb::bench {

class IvfMethod {
 public:
  virtual ~IvfMethod() = default;
  virtual std::string name() const = 0;
  // Bytes per vector of codes and per-vector factors (ids and floats for re-rank not counted).
  virtual double bytes_per_vector() const = 0;
  // `base`: n x d row-major, unit length (cosine); train_s covers the coarse centroids (and
  // FAISS's codebooks), add_s the assignment and encoding.
  virtual absl::Status Build(const float* base, size_t n, BuildTimes* times) = 0;
  // nq x k labels (base rows, -1 when fewer) with `nprobe` lists probed (a graph index: its
  // search breadth, efSearch).
  virtual absl::Status Search(const float* queries, size_t nq, int k, int nprobe,
                              int64_t* labels) const = 0;
  // The sweep of this row: the lists probed (those of `nprobes` up to `lists`), or a graph
  // index's own efSearch values.
  virtual std::vector<int> Sweep(const std::vector<int>& nprobes, size_t lists) const {
    std::vector<int> sweep;
    for (int nprobe : nprobes) {
      if (static_cast<size_t>(nprobe) <= lists) sweep.push_back(nprobe);
    }
    return sweep;
  }
};

// tqdb's IvfIndex at `bits` with `lists` lists; `rerank`: exact re-rank of 100 candidates with
// the float vectors kept in memory; `training_points_per_list` 0: the index's default;
// `probe_by_direction` as IvfIndexOptions'; `factor_bits` 32 or 16 (QuantizerConfig's).
std::unique_ptr<IvfMethod> MakeTqdbIvf(int dim, int bits, size_t lists, bool rerank,
                                       size_t training_points_per_list = 0,
                                       bool probe_by_direction = true, int factor_bits = 32);

// FAISS IVF rows with `lists` lists at no more than `bytes` per vector: PQ fast scan (the most
// sub-quantizers that fit, at most one per column) and RaBitQ fast scan at `bits`, each plain
// and with RFlat re-ranking 100 candidates (k_factor 10 at k = 10). Rows this FAISS cannot build
// are left out.
std::vector<std::unique_ptr<IvfMethod>> MakeFaissIvfs(int dim, int bits, double bytes,
                                                      size_t lists);

// FAISS HNSW32,Flat (floats in the graph's nodes, inner product on unit rows), what many users
// pick instead of IVF, swept over `ef_search`.
std::unique_ptr<IvfMethod> MakeFaissHnsw(int dim, std::vector<int> ef_search);

}  // namespace tqdb::bench
