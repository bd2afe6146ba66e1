#include "snapshot_names.h"

#include <climits>
#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace tqdb::server {

absl::StatusOr<std::string> SnapshotPath(const std::string& snapshot_dir, const std::string& name) {
  constexpr size_t kMaxName = 255;  // NAME_MAX on Linux file systems
  const bool plain = !name.empty() && name.size() <= kMaxName && name[0] != '.' &&
                     std::all_of(name.begin(), name.end(), [](char c) {
                       return absl::ascii_isalnum(c) || c == '.' || c == '_' || c == '-';
                     });
  if (!plain) {
    return absl::InvalidArgumentError(
        absl::StrCat("snapshot name '", name.substr(0, 300), name.size() > 300 ? "...'" : "'",
                     " must be 1-255 of [A-Za-z0-9._-], not starting with '.'"));
  }
  std::error_code error;
  const std::filesystem::path absolute = std::filesystem::absolute(snapshot_dir, error);
  const std::string path = (std::filesystem::path(snapshot_dir) / name).string();
  // Room for what goes inside a snapshot (RocksDB's file names are short).
  constexpr size_t kInside = 64;
  const size_t length = (error ? path.size() : (absolute / name).string().size()) + kInside;
  if (length >= PATH_MAX) {
    return absl::InvalidArgumentError(absl::StrCat(
        "snapshot name '", name, "' is too long for --snapshot_dir ", snapshot_dir,
        ": the path would be ", length - kInside, " bytes, the limit about ", PATH_MAX - kInside));
  }
  return path;
}

}  // namespace tqdb::server
