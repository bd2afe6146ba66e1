// LD_PRELOAD shim that makes a directory behave like a full disk, for the disk-full tests.
//
// While the file named by TQDB_DISK_FULL_FLAG exists, every write or preallocation to a file
// whose path starts with TQDB_DISK_FULL_DIR fails with ENOSPC, as it would on a full file
// system; removing the flag frees the "space". Other files (the server's own stderr log) are
// untouched, so the test can still read why the server refused a write.
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fault/shim_util.h"

namespace {

using tqdb::fault::Next;

bool DiskIsFull(int fd) {
  const char* flag = getenv("TQDB_DISK_FULL_FLAG");
  if (flag == nullptr || access(flag, F_OK) != 0) return false;
  return tqdb::fault::FdUnder(fd, getenv("TQDB_DISK_FULL_DIR"));
}

}  // namespace

extern "C" {

ssize_t write(int fd, const void* buf, size_t count) {
  static auto next = Next<ssize_t (*)(int, const void*, size_t)>("write");
  if (DiskIsFull(fd)) return errno = ENOSPC, -1;
  return next(fd, buf, count);
}

ssize_t pwrite(int fd, const void* buf, size_t count, off_t offset) {
  static auto next = Next<ssize_t (*)(int, const void*, size_t, off_t)>("pwrite");
  if (DiskIsFull(fd)) return errno = ENOSPC, -1;
  return next(fd, buf, count, offset);
}

ssize_t pwrite64(int fd, const void* buf, size_t count, off64_t offset) {
  static auto next = Next<ssize_t (*)(int, const void*, size_t, off64_t)>("pwrite64");
  if (DiskIsFull(fd)) return errno = ENOSPC, -1;
  return next(fd, buf, count, offset);
}

ssize_t writev(int fd, const struct iovec* iov, int iovcnt) {
  static auto next = Next<ssize_t (*)(int, const struct iovec*, int)>("writev");
  if (DiskIsFull(fd)) return errno = ENOSPC, -1;
  return next(fd, iov, iovcnt);
}

int fallocate(int fd, int mode, off_t offset, off_t len) {
  static auto next = Next<int (*)(int, int, off_t, off_t)>("fallocate");
  if (DiskIsFull(fd)) return errno = ENOSPC, -1;
  return next(fd, mode, offset, len);
}

int fallocate64(int fd, int mode, off64_t offset, off64_t len) {
  static auto next = Next<int (*)(int, int, off64_t, off64_t)>("fallocate64");
  if (DiskIsFull(fd)) return errno = ENOSPC, -1;
  return next(fd, mode, offset, len);
}

}  // extern "C"
