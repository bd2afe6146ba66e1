// The flat index's IndexEncoder: every vector through the index's one coder.
#pragma once

#include <memory>

#include "index/vector_coder.h"
#include "tqdb/index.h"

namespace tqdb {

std::shared_ptr<const IndexEncoder> MakeFlatEncoder(std::shared_ptr<const VectorCoder> coder);

}  // namespace tqdb
