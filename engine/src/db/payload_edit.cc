#include "db/payload_edit.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "filter/payload_match.h"

namespace tqdb {

absl::Status CheckPayloadUpdate(const PayloadUpdate& update) {
  using Kind = PayloadUpdate::Kind;
  if (update.kind == Kind::kSet || update.kind == Kind::kOverwrite) {
    if (!filter::ParsePayload(update.payload).is_object()) {
      return absl::InvalidArgumentError("the payload to set is not a JSON object");
    }
    if (update.payload.size() > kMaxPayloadBytes) {
      return absl::InvalidArgumentError(absl::StrCat("the payload to set has ",
                                                     update.payload.size(), " bytes; the limit is ",
                                                     kMaxPayloadBytes));
    }
  }
  if (update.kind == Kind::kDeleteKeys) {
    if (update.keys.empty()) return absl::InvalidArgumentError("no payload keys to delete");
    for (const std::string& key : update.keys) {
      if (key.empty()) return absl::InvalidArgumentError("an empty payload key to delete");
    }
  }
  return absl::OkStatus();
}

std::string EditPayload(const PayloadUpdate& update, std::string_view stored) {
  using Kind = PayloadUpdate::Kind;
  switch (update.kind) {
    case Kind::kClear:
      return "";
    case Kind::kOverwrite:
      return filter::ParsePayload(update.payload).dump();
    case Kind::kSet: {
      filter::Json merged = filter::ParsePayload(stored);
      if (!merged.is_object()) merged = filter::Json::object();
      const filter::Json changes = filter::ParsePayload(update.payload);  // outlives the loop
      for (const auto& [key, value] : changes.items()) merged[key] = value;
      return merged.dump();
    }
    case Kind::kDeleteKeys: {
      filter::Json payload = filter::ParsePayload(stored);
      if (!payload.is_object()) return std::string(stored);
      for (const std::string& key : update.keys) {
        const std::vector<absl::string_view> parts = absl::StrSplit(key, '.');
        filter::Json* node = &payload;
        for (size_t i = 0; i + 1 < parts.size() && node != nullptr; ++i) {
          const auto child = node->find(std::string(parts[i]));
          node = child != node->end() && child->is_object() ? &*child : nullptr;
        }
        if (node != nullptr) node->erase(std::string(parts.back()));
      }
      return payload.dump();
    }
  }
  return std::string(stored);
}

}  // namespace tqdb
