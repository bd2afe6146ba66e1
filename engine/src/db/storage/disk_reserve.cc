#include "db/storage/disk_reserve.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace tqdb::storage {
namespace {

std::string ReservePath(const std::string& dir) { return dir + "/" + kDiskReserveFile; }
std::string PartialPath(const std::string& dir) { return ReservePath(dir) + ".tmp"; }

absl::Status ErrnoStatus(int error, const std::string& what) {
  const std::string message = absl::StrCat(what, ": ", std::strerror(error));
  if (error == ENOSPC || error == EDQUOT) return absl::ResourceExhaustedError(message);
  return absl::UnavailableError(message);
}

}  // namespace

bool HasDiskReserve(const std::string& dir) {
  struct stat info;
  return ::stat(ReservePath(dir).c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

absl::Status TakeDiskReserve(const std::string& dir, uint64_t bytes) {
  const std::string partial = PartialPath(dir);
  const int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("creating ", partial));
  // posix_fallocate allocates real blocks (glibc writes them where the file system cannot), so
  // deleting the file later frees exactly this much.
  int error = ::posix_fallocate(fd, 0, static_cast<off_t>(bytes));
  if (error == 0 && ::fsync(fd) != 0) error = errno;
  ::close(fd);
  if (error == 0 && ::rename(partial.c_str(), ReservePath(dir).c_str()) != 0) error = errno;
  if (error != 0) {
    ::unlink(partial.c_str());
    return ErrnoStatus(error, absl::StrCat("allocating the ", bytes >> 20, " MiB disk reserve ",
                                           ReservePath(dir)));
  }
  // The rename is durable with the directory; a crash before that only loses the reserve.
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return absl::OkStatus();
}

bool ReleaseDiskReserve(const std::string& dir) {
  ::unlink(PartialPath(dir).c_str());
  return ::unlink(ReservePath(dir).c_str()) == 0;
}

}  // namespace tqdb::storage
