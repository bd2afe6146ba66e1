#include "db/storage/staged_directory.h"

#include <fcntl.h>
#include <stdio.h>  // renameat2
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "absl/strings/str_cat.h"

namespace tqdb::storage {
namespace {

constexpr char kStagingPrefix[] = ".tqdb-staging-";

absl::Status ErrnoError(int error, const std::string& what) {
  const std::string message = absl::StrCat(what, ": ", std::strerror(error));
  if (error == ENOSPC || error == EDQUOT) return absl::ResourceExhaustedError(message);
  if (error == EEXIST || error == ENOTEMPTY) return absl::AlreadyExistsError(message);
  return absl::UnavailableError(message);
}

// fsync of one file or directory, opened without following a symlink.
absl::Status SyncPath(const std::string& path, bool directory) {
  const int fd =
      ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (directory ? O_DIRECTORY : 0));
  if (fd < 0) return ErrnoError(errno, absl::StrCat("opening ", path, " to sync it"));
  const int result = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (result != 0) return ErrnoError(error, absl::StrCat("syncing ", path));
  return absl::OkStatus();
}

absl::Status SyncTree(const std::string& root) {
  std::error_code error;
  std::filesystem::recursive_directory_iterator it(root, error), end;
  if (error) return absl::UnavailableError(absl::StrCat("listing ", root, ": ", error.message()));
  for (; it != end; it.increment(error)) {
    if (error) return absl::UnavailableError(absl::StrCat("listing ", root, ": ", error.message()));
    const std::filesystem::file_status status = it->symlink_status(error);
    if (std::filesystem::is_regular_file(status)) {
      if (absl::Status synced = SyncPath(it->path().string(), false); !synced.ok()) return synced;
    } else if (std::filesystem::is_directory(status)) {
      if (absl::Status synced = SyncPath(it->path().string(), true); !synced.ok()) return synced;
    }
  }
  return SyncPath(root, true);
}

}  // namespace

absl::StatusOr<StagedDirectory> StagedDirectory::Create(const std::string& final_path) {
  const std::filesystem::path path(final_path);
  std::filesystem::path parent = path.parent_path();
  if (parent.empty()) parent = ".";
  struct stat existing;
  if (::lstat(final_path.c_str(), &existing) == 0) {
    return absl::AlreadyExistsError(
        absl::StrCat(final_path, " exists; a snapshot needs a name not yet in use"));
  }
  std::string pattern = (parent / (std::string(kStagingPrefix) + "XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    return ErrnoError(errno, absl::StrCat("making a staging directory in ", parent.string()));
  }
  return StagedDirectory(final_path, pattern);
}

StagedDirectory::StagedDirectory(std::string final_path, std::string staging_path)
    : final_path_(std::move(final_path)),
      staging_path_(std::move(staging_path)),
      content_path_(staging_path_ + "/content") {}

StagedDirectory::StagedDirectory(StagedDirectory&& other) noexcept
    : final_path_(std::move(other.final_path_)),
      staging_path_(std::exchange(other.staging_path_, std::string())),
      content_path_(std::move(other.content_path_)) {}

StagedDirectory::~StagedDirectory() {
  if (staging_path_.empty()) return;
  std::error_code ignored;  // remove_all removes symlinks themselves, never what they point to
  std::filesystem::remove_all(staging_path_, ignored);
}

absl::Status StagedDirectory::Publish() {
  if (absl::Status synced = SyncTree(content_path_); !synced.ok()) return synced;
  if (::renameat2(AT_FDCWD, content_path_.c_str(), AT_FDCWD, final_path_.c_str(),
                  RENAME_NOREPLACE) != 0) {
    int error = errno;
    // A file system without RENAME_NOREPLACE: a plain rename of a directory still fails on an
    // existing file, symlink or non-empty directory; only an empty directory would be replaced.
    if (error == EINVAL || error == ENOSYS) {
      struct stat existing;
      error = ::lstat(final_path_.c_str(), &existing) == 0                ? EEXIST
              : ::rename(content_path_.c_str(), final_path_.c_str()) == 0 ? 0
                                                                          : errno;
    }
    if (error == EEXIST || error == ENOTEMPTY || error == ENOTDIR) {
      return absl::AlreadyExistsError(
          absl::StrCat(final_path_, " was created meanwhile (by another snapshot of that name?)"));
    }
    if (error != 0) return ErrnoError(error, absl::StrCat("publishing ", final_path_));
  }
  std::string parent = std::filesystem::path(final_path_).parent_path().string();
  if (parent.empty()) parent = ".";
  if (absl::Status synced = SyncPath(parent, true); !synced.ok()) return synced;
  std::error_code ignored;
  std::filesystem::remove(staging_path_, ignored);  // now empty
  staging_path_.clear();
  return absl::OkStatus();
}

absl::StatusOr<int> StagedDirectory::RemoveAbandoned(const std::string& parent) {
  std::error_code error;
  int removed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(parent, error)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(kStagingPrefix, 0) != 0 || !entry.is_directory(error) || entry.is_symlink()) {
      continue;
    }
    std::filesystem::remove_all(entry.path(), error);
    if (error) {
      return absl::UnavailableError(
          absl::StrCat("removing the abandoned ", entry.path().string(), ": ", error.message()));
    }
    ++removed;
  }
  return removed;
}

}  // namespace tqdb::storage
