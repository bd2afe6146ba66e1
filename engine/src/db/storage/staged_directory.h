// A directory built in private and published under its final name in one atomic step.
//
// Snapshots are built here rather than at their final path: RocksDB's checkpoint stages in
// "<dir>.tmp" and empties whatever it finds there, so staging beside a name a client chose could
// delete another snapshot (or, through a symlink, any directory). The staging directory is made
// with mkdtemp (mode 0700, an unpredictable name starting with '.', which no snapshot name may),
// and Publish renames its content into place with RENAME_NOREPLACE after fsyncing it, so a
// published directory is whole and exactly one of several same-name publishers wins.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace tqdb::storage {

class StagedDirectory {
 public:
  // Stages for `final_path`, whose parent must exist. AlreadyExists when something (a file, a
  // directory, a symlink, dangling or not) already has the final name.
  static absl::StatusOr<StagedDirectory> Create(const std::string& final_path);

  StagedDirectory(StagedDirectory&& other) noexcept;
  StagedDirectory& operator=(StagedDirectory&&) = delete;
  // Removes the staging directory and everything in it unless Publish succeeded.
  ~StagedDirectory();

  // Where to build the content; it does not exist yet (RocksDB's checkpoint wants to make it).
  const std::string& content_path() const { return content_path_; }

  // fsyncs every file and directory of the content, renames it to the final path unless that
  // name is taken (AlreadyExists: another publisher won), and fsyncs the parent directory.
  absl::Status Publish();

  // Removes the staging directories left in `parent` by processes killed before they published;
  // returns how many. Only when nothing stages there (at start).
  static absl::StatusOr<int> RemoveAbandoned(const std::string& parent);

 private:
  StagedDirectory(std::string final_path, std::string staging_path);

  std::string final_path_;
  std::string staging_path_;  // empty once published or moved from
  std::string content_path_;
};

}  // namespace tqdb::storage
