// Where an interrupted `tqdb load --checkpoint=FILE` resumes: the file records the collection,
// the input, the first id and how many leading rows the server has acknowledged. Run again with
// the same arguments, the load starts after them (upserts replace by id, so a row sent twice
// stores the same thing once). The file is written atomically after each acknowledged leg and
// removed when the load completes.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace tqdb::cli {

class LoadCheckpoint {
 public:
  // No file (`path` empty): nothing is recorded. A file of another load is an error that says
  // so, rather than a resume at the wrong row.
  static absl::StatusOr<LoadCheckpoint> Open(std::string path, std::string collection,
                                             std::string input, uint64_t first_id, size_t rows);

  size_t rows_done() const { return rows_done_; }
  absl::Status Save(size_t rows_done);
  void Finish();

 private:
  std::string Prefix() const;  // the line before the rows done

  std::string path_, collection_, input_;
  uint64_t first_id_ = 0;
  size_t rows_ = 0, rows_done_ = 0;
};

}  // namespace tqdb::cli
