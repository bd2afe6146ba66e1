// What a search asks for: one options type for the in-memory index and the durable collection.
#pragma once

#include <algorithm>

namespace tqdb {

inline constexpr int kMaxSearchK = 16384;

struct SearchOptions {
  int k = 10;  // 1..kMaxSearchK
  // Re-rank the best `rerank_candidates` estimates exactly with the float vectors (the index's in
  // memory, or the collection's stored ones; needs store_vectors).
  bool rerank = false;
  int rerank_candidates = 100;  // raised to k when smaller
  // The caller re-ranks the hits itself (a collection, from the floats on disk): the index may
  // keep and order them by its refined table estimate instead of exact code scores, as it does
  // for its own re-rank.
  bool caller_reranks = false;
  // Partitioned index only: the lists searched (their centroids nearest the query); 0 takes
  // the index's default. More lists: higher recall, slower search.
  int nprobe = 0;
  // Collection only: fill Record::vector (needs store_vectors) and Record::payload.
  bool with_vectors = false;
  bool with_payloads = false;
  // Score every code with the scalar reference scorer instead of the fast-scan kernels (tests
  // and benchmarks compare the two; results are identical either way).
  bool reference_scan = false;
};

// How many candidates a search keeps for its re-rank: the k best, or rerank_candidates when a
// re-rank asks for more. The one place the rule is written (the index and the collection).
inline int CandidatesKept(const SearchOptions& options) {
  return options.rerank ? std::max(options.k, options.rerank_candidates) : options.k;
}

}  // namespace tqdb
