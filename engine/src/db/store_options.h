// The storage options a Database's (and a Replica's) store opens with, from DatabaseOptions.
#pragma once

#include "db/storage/store.h"
#include "tqdb/database.h"

namespace tqdb {

storage::StoreOptions MakeStoreOptions(const DatabaseOptions& options);

}  // namespace tqdb
