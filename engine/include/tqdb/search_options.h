// What a search asks for, at two levels (FAISS's SearchParameters / SearchParametersIVF shape):
// a collection's request (SearchOptions: k, re-rank, what to return, and the partitioned
// index's nprobe), and an in-memory index's typed parameters (SearchParameters, with
// IvfSearchParameters adding nprobe). A collection derives the second from the first in one
// place (IndexParametersOf). Every default of a search is written here.
#pragma once

#include <algorithm>

#include "tqdb/id_selector.h"

namespace tqdb {

struct Filter;  // tqdb/filter.h

inline constexpr int kMaxSearchK = 16384;
inline constexpr int kDefaultSearchK = 10;
inline constexpr int kDefaultRerankCandidates = 100;

// What every index search takes.
struct SearchParameters {
  virtual ~SearchParameters() = default;

  int k = kDefaultSearchK;  // 1..kMaxSearchK
  // Re-rank the best `rerank_candidates` estimates exactly with the index's float vectors
  // (needs store_vectors).
  bool rerank = false;
  int rerank_candidates = kDefaultRerankCandidates;  // raised to k when smaller
  // The caller re-ranks the hits itself (a collection, from the floats on disk): the index may
  // keep and order them by their 8-bit table estimates instead of exact code scores, as it does
  // for its own re-rank.
  bool caller_reranks = false;
  // Score every code with the scalar reference scorer instead of the fast-scan kernels (tests
  // and benchmarks compare the two; results are identical either way).
  bool reference_scan = false;
  // Only ids the selector contains may be returned (checked inside the scan); null: any id.
  // The caller keeps it alive during the search.
  const IdSelector* selector = nullptr;
};

// A partitioned index's search (ivf_index.h); other indexes read it as SearchParameters.
struct IvfSearchParameters : SearchParameters {
  // The lists searched (their centroids nearest the query); 0 takes the index's default, more
  // than there are lists all of them. More lists: higher recall, slower search.
  int nprobe = 0;
  // The index is one of `parts` equal parts of a collection (a cluster's shards): nprobe, and
  // the default, count lists of one index over every part, and this part probes its share
  // (IvfIndex::ProbedLists).
  int parts = 1;
};

// What a filtered search did (SearchOptions::plan), for explain.
struct SearchPlan {
  // "exact": every passing point scored from its floats; "filtered-scan": the index scanned
  // with the passing ids checked per block of slots; "scan-then-filter": scanned for more
  // candidates, checked after (most pass); "none-pass": nothing passes.
  const char* name = "";
  size_t passing = 0;  // points that pass the filter
  int nprobe = 0;      // partitioned filtered scan: lists probed (raised as fewer pass)
};

// A collection's search request (collection.h).
struct SearchOptions {
  int k = kDefaultSearchK;  // 1..kMaxSearchK
  // Re-rank the best `rerank_candidates` estimates exactly with the stored float vectors (needs
  // store_vectors).
  bool rerank = false;
  int rerank_candidates = kDefaultRerankCandidates;  // raised to k when smaller
  // Partitioned collections: the lists searched; 0 takes the collection's default.
  int nprobe = 0;
  // The collection is one of `parts` equal parts of a larger one (a cluster's shards): nprobe
  // counts lists of the whole, and each part probes the same share of its data as the whole
  // would (IvfSearchParameters::parts).
  int parts = 1;
  // Fill Record::vector (needs store_vectors) and Record::payload.
  bool with_vectors = false;
  bool with_payloads = false;
  // As SearchParameters::reference_scan.
  bool reference_scan = false;
  // Only points that pass the filter are returned (tqdb/filter.h); null: every point. The
  // caller keeps it alive during the search.
  const Filter* filter = nullptr;
  // When set, a filtered search says here which plan it ran.
  SearchPlan* plan = nullptr;
};

// How many candidates a search keeps for its re-rank: the k best, or rerank_candidates when a
// re-rank asks for more. The one place the rule is written.
inline int CandidatesKept(const SearchParameters& params) {
  return params.rerank ? std::max(params.k, params.rerank_candidates) : params.k;
}

// The index search behind a collection's request: the index returns estimates only, as many
// as the re-rank needs, and the collection re-ranks from the floats in its snapshot and fills
// vectors and payloads itself.
inline IvfSearchParameters IndexParametersOf(const SearchOptions& request) {
  IvfSearchParameters requested;
  requested.k = request.k;
  requested.rerank = request.rerank;
  requested.rerank_candidates = request.rerank_candidates;
  IvfSearchParameters params;
  params.k = CandidatesKept(requested);
  params.caller_reranks = request.rerank;
  params.reference_scan = request.reference_scan;
  params.nprobe = request.nprobe;  // a flat index reads the rest only
  params.parts = request.parts;
  return params;
}

}  // namespace tqdb
