// A search's result from the candidates its scans kept: the one place a top-k becomes hits, for
// the flat and the partitioned index (exact re-rank with the stored floats when asked).
#pragma once

#include <vector>

#include "index/scan/scan_labels.h"
#include "index/store/inverted_lists.h"
#include "index/topk.h"
#include "tqdb/index.h"
#include "tqdb/metric.h"
#include "tqdb/search_options.h"

namespace tqdb {

// `top` holds labels of `labels`; `query` is the query as given (|query|^2 = query_norm_sq).
std::vector<SearchHit> HitsOf(const InvertedLists& lists, const ScanLabels& labels, Metric metric,
                              const float* query, float query_norm_sq, TopK top,
                              const SearchParameters& params);

}  // namespace tqdb
