#include "db/storage/payload_index_codec.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace tqdb::storage {

std::string EncodePayloadIndexes(absl::Span<const PayloadFieldIndex> fields) {
  std::string out;
  for (const PayloadFieldIndex& field : fields) {
    absl::StrAppend(&out, PayloadIndexTypeName(field.type), "\t", field.key, "\n");
  }
  return out;
}

absl::StatusOr<std::vector<PayloadFieldIndex>> DecodePayloadIndexes(std::string_view value) {
  std::vector<PayloadFieldIndex> fields;
  const absl::string_view text(value.data(), value.size());
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    const std::vector<absl::string_view> parts = absl::StrSplit(line, absl::MaxSplits('\t', 1));
    absl::StatusOr<PayloadIndexType> type =
        parts.size() == 2
            ? ParsePayloadIndexType(std::string_view(parts[0].data(), parts[0].size()))
            : absl::InvalidArgumentError("no tab");
    if (!type.ok() || parts[1].empty()) {
      return absl::DataLossError(absl::StrCat("the payload index record is damaged: '", line, "'"));
    }
    fields.push_back({std::string(parts[1]), *type});
  }
  return fields;
}

}  // namespace tqdb::storage
