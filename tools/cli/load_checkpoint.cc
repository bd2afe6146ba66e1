#include "load_checkpoint.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace tqdb::cli {

std::string LoadCheckpoint::Prefix() const {
  return absl::StrCat("tqdb-load-checkpoint 1\t", collection_, "\t", input_, "\t", first_id_, "\t",
                      rows_, "\t");
}

absl::StatusOr<LoadCheckpoint> LoadCheckpoint::Open(std::string path, std::string collection,
                                                    std::string input, uint64_t first_id,
                                                    size_t rows) {
  LoadCheckpoint checkpoint;
  checkpoint.path_ = std::move(path);
  checkpoint.collection_ = std::move(collection);
  checkpoint.input_ = std::filesystem::absolute(input).string();
  checkpoint.first_id_ = first_id;
  checkpoint.rows_ = rows;
  if (checkpoint.path_.empty()) return checkpoint;
  std::ifstream in(checkpoint.path_);
  if (!in) return checkpoint;  // a new load
  // One line: what the load is (which must match), then the rows done.
  std::string line;
  std::getline(in, line);
  const std::string prefix = checkpoint.Prefix();
  size_t done = 0;
  if (line.rfind(prefix, 0) != 0 || !(std::istringstream(line.substr(prefix.size())) >> done) ||
      done > rows) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the checkpoint ", checkpoint.path_,
        " belongs to another load (collection, file, --first_id or --max differ): remove it to "
        "start over"));
  }
  checkpoint.rows_done_ = done;
  return checkpoint;
}

absl::Status LoadCheckpoint::Save(size_t rows_done) {
  rows_done_ = rows_done;
  if (path_.empty()) return absl::OkStatus();
  const std::string temporary = path_ + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << Prefix() << rows_done << "\n";
    out.flush();
    if (!out) return absl::InternalError(absl::StrCat("cannot write the checkpoint ", temporary));
  }
  std::error_code error;
  std::filesystem::rename(temporary, path_, error);
  if (error) {
    return absl::InternalError(
        absl::StrCat("cannot rename ", temporary, " to ", path_, ": ", error.message()));
  }
  return absl::OkStatus();
}

void LoadCheckpoint::Finish() {
  if (path_.empty()) return;
  std::error_code error;
  std::filesystem::remove(path_, error);
}

}  // namespace tqdb::cli
