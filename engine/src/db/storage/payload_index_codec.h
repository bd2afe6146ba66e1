// The stored list of a collection's payload indexes: one line per field, "<type>\t<key>".
// Their contents are not stored: they are rebuilt from the payloads at open, so they always
// agree with the stored payloads, whatever a crash interrupted.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "tqdb/payload_schema.h"

namespace tqdb::storage {

std::string EncodePayloadIndexes(absl::Span<const PayloadFieldIndex> fields);
// DataLoss for a damaged record.
absl::StatusOr<std::vector<PayloadFieldIndex>> DecodePayloadIndexes(std::string_view value);

}  // namespace tqdb::storage
