// The partitioned index's IndexEncoder: each vector's nearest centroid, then the coder of that
// list (relative to its centroid when the lists are centered).
#pragma once

#include <memory>
#include <vector>

#include "index/ivf/coarse_quantizer.h"
#include "index/vector_coder.h"
#include "tqdb/index.h"

namespace tqdb::ivf {

// `list_coders[l]` encodes the vectors of list l.
std::shared_ptr<const IndexEncoder> MakeIvfEncoder(
    Metric metric, std::shared_ptr<const CoarseQuantizer> coarse,
    std::vector<std::shared_ptr<const VectorCoder>> list_coders);

}  // namespace tqdb::ivf
