// The exact re-rank stage, shared by the in-memory index (floats in memory) and the durable
// collection (floats read from a RocksDB snapshot): the vector source is the caller's.
#pragma once

#include <cstddef>
#include <functional>
#include <utility>
#include <vector>

#include "tqdb/index.h"
#include "tqdb/metric.h"
#include "tqdb/search_options.h"

namespace tqdb {

// Scores `candidates` vectors exactly for `query` (`dim` floats; |query|^2 = `query_norm_sq`),
// `vector_of(i)` giving candidate i's floats, and returns the best `k` as (score, candidate),
// best first; equal scores keep the candidates' order.
std::vector<std::pair<float, size_t>> RerankExact(
    Metric metric, const float* query, float query_norm_sq, int dim, size_t candidates, int k,
    const std::function<const float*(size_t)>& vector_of);

// An index's search result from the candidates it kept, `best` as (key, value) best first: the
// best params.k re-ranked exactly when params.rerank, else the best params.k with the scores
// their keys stand for. `id_of(c)` and `vector_of(c)` give candidate c's id and floats.
std::vector<SearchHit> HitsOf(Metric metric, const float* query, float query_norm_sq, int dim,
                              const std::vector<std::pair<float, uint32_t>>& best,
                              const SearchParameters& params,
                              const std::function<uint64_t(size_t)>& id_of,
                              const std::function<const float*(size_t)>& vector_of);

}  // namespace tqdb
