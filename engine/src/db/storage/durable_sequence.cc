#include "db/storage/durable_sequence.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace tqdb::storage {
namespace {

std::string PathIn(const std::string& dir, const char* name) {
  return absl::StrCat(dir, "/", name);
}

absl::Status ErrnoError(const char* what, const std::string& path) {
  const std::string message = absl::StrCat(what, " ", path, ": ", std::strerror(errno));
  return errno == ENOSPC ? absl::ResourceExhaustedError(message) : absl::UnavailableError(message);
}

absl::Status FsyncPath(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return ErrnoError("opening", path);
  const bool ok = ::fsync(fd) == 0;
  const absl::Status status = ok ? absl::OkStatus() : ErrnoError("fsync of", path);
  ::close(fd);
  return status;
}

}  // namespace

absl::StatusOr<std::optional<uint64_t>> ReadDurableSequence(const std::string& dir) {
  const std::string path = PathIn(dir, kDurableSequenceFile);
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  uint64_t sequence = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(text.str()), &sequence)) {
    return absl::DataLossError(absl::StrCat(path, " is damaged (holds '", text.str().substr(0, 40),
                                            "', expected a sequence number)"));
  }
  return sequence;
}

absl::Status WriteDurableSequence(const std::string& dir, uint64_t sequence) {
  const std::string path = PathIn(dir, kDurableSequenceFile);
  const std::string temporary = absl::StrCat(path, ".tmp");
  const std::string text = absl::StrCat(sequence, "\n");
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError("creating", temporary);
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const absl::Status status = !written           ? ErrnoError("writing", temporary)
                              : ::fsync(fd) != 0 ? ErrnoError("fsync of", temporary)
                                                 : absl::OkStatus();
  ::close(fd);
  if (!status.ok()) return status;
  if (::rename(temporary.c_str(), path.c_str()) != 0) return ErrnoError("renaming", temporary);
  return FsyncPath(dir, O_RDONLY | O_DIRECTORY);
}

}  // namespace tqdb::storage
