// FAISS beside tqdb in filter_bench: native FAISS indexes searched with an IDSelectorBitmap (the
// way FAISS users filter), one query at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tqdb::bench {

class FilteredFaissIndex {
 public:
  virtual ~FilteredFaissIndex() = default;
  virtual const std::string& name() const = 0;
  // The ids of the k best of `query` (cosine) among those whose bit is set in `bitmap` (one bit
  // per id, FAISS's IDSelectorBitmap; null: all); empty when FAISS refuses the selector.
  virtual std::vector<int64_t> Search(const float* query, int k,
                                      const std::vector<uint8_t>* bitmap) const = 0;
};

// IVF{lists},PQ{m}x4fs,RFlat with re-rank 100 (m: 4-bit sub-quantizers of `bytes_per_vector`
// bytes) and nprobe `nprobe`, and HNSW32,Flat with efSearch `ef_search`, over n x d `rows`
// (normalized here, inner product: cosine). Prints what it builds and how long that took.
std::vector<std::unique_ptr<FilteredFaissIndex>> MakeFilteredFaissIndexes(const float* rows,
                                                                          size_t n, int d,
                                                                          size_t lists, int nprobe,
                                                                          int bytes_per_vector,
                                                                          int ef_search);

}  // namespace tqdb::bench
