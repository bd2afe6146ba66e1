// Where CreateSnapshot may write: a plain name under the server's --snapshot_dir.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace tqdb::server {

// The path of snapshot `name` under `snapshot_dir`, or InvalidArgument when `name` is not a
// plain file name a client may choose: 1-255 of [A-Za-z0-9._-] (the file system's limit for one
// name), not starting with '.' (so never "." or "..", nor a staging directory's name, which
// starts with ".tqdb-staging-"), and short enough that the whole path fits the system's limit.
absl::StatusOr<std::string> SnapshotPath(const std::string& snapshot_dir, const std::string& name);

}  // namespace tqdb::server
