// The IndexEncoder of each index: the flat index's one coder, and the partitioned index's
// nearest-centroid assignment followed by the coder of the chosen list.
#pragma once

#include <memory>
#include <vector>

#include "index/vector_coder.h"
#include "tqdb/index.h"

namespace tqdb {

namespace ivf {
class CoarseQuantizer;  // index/ivf/coarse_quantizer.h
}  // namespace ivf

std::shared_ptr<const IndexEncoder> MakeFlatEncoder(std::shared_ptr<const VectorCoder> coder);

// `list_coders[l]` encodes the vectors of list l (relative to its centroid when centered).
std::shared_ptr<const IndexEncoder> MakeIvfEncoder(
    Metric metric, std::shared_ptr<const ivf::CoarseQuantizer> coarse,
    std::vector<std::shared_ptr<const VectorCoder>> list_coders);

}  // namespace tqdb
