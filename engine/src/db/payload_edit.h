// Applying a PayloadUpdate (tqdb/collection.h) to one stored payload.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "tqdb/collection.h"

namespace tqdb {

// InvalidArgument unless `update` is well formed (set and overwrite carry a JSON object,
// delete-keys some keys).
absl::Status CheckPayloadUpdate(const PayloadUpdate& update);

// The payload after `update` (empty: none). A stored payload that is not a JSON object has no
// keys: set starts from an empty object, delete-keys leaves it as it is.
std::string EditPayload(const PayloadUpdate& update, std::string_view stored);

}  // namespace tqdb
