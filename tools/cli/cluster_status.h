// `tqdb cluster status`: a cluster's nodes and each collection's shards (owner, epoch, vectors)
// as a node reports them (GetClusterStatus), printed as tables.
#pragma once

#include <cstdio>

#include "tqdb/v1/tqdb.pb.h"

namespace tqdb::cli {

void PrintClusterStatus(const v1::GetClusterStatusResponse& status, std::FILE* out);

}  // namespace tqdb::cli
