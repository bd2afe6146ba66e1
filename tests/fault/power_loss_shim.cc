// LD_PRELOAD shim that lets a test simulate power loss: it journals, for every file under
// TQDB_POWER_LOSS_DIR, how many bytes each successful fsync/fdatasync made durable (by inode,
// so renames keep their history), in the file TQDB_POWER_LOSS_JOURNAL. After killing the
// process, the test cuts every file back to its last synced size (power_loss.h): what a machine
// that lost power would keep. Directory entries are treated as durable at once (lenient).
// Deleting a file's last link (unlink, or a rename over it) journals size 0 for its inode, so a
// new file that reuses the inode starts with nothing durable.
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "fault/shim_util.h"

namespace {

using tqdb::fault::Next;

bool UnderDir(const char* path) {
  return tqdb::fault::PathUnder(path, getenv("TQDB_POWER_LOSS_DIR"));
}

// The size of `fd` before the sync starts: bytes written by then are the ones it covers.
bool SizeToRecord(int fd, struct stat* file) {
  if (fstat(fd, file) != 0 || !S_ISREG(file->st_mode)) return false;
  return tqdb::fault::FdUnder(fd, getenv("TQDB_POWER_LOSS_DIR"));
}

void Journal(const struct stat& file) {
  const char* journal = getenv("TQDB_POWER_LOSS_JOURNAL");
  if (journal == nullptr) return;
  const int out = open(journal, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (out < 0) return;
  char line[64];
  const int length =
      std::snprintf(line, sizeof(line), "%lu %ld\n", static_cast<unsigned long>(file.st_ino),
                    static_cast<long>(file.st_size));
  // One O_APPEND write per line: lines from concurrent syncs never interleave.
  if (write(out, line, length) != length) abort();
  close(out);
}

template <typename Fn>
int SyncAndJournal(Fn next, int fd) {
  struct stat file;
  const bool record = SizeToRecord(fd, &file);
  const int result = next(fd);
  if (result == 0 && record) Journal(file);
  return result;
}

}  // namespace

extern "C" {

int fsync(int fd) {
  static auto next = Next<int (*)(int)>("fsync");
  return SyncAndJournal(next, fd);
}

int fdatasync(int fd) {
  static auto next = Next<int (*)(int)>("fdatasync");
  return SyncAndJournal(next, fd);
}

int unlink(const char* path) {
  static auto next = Next<int (*)(const char*)>("unlink");
  struct stat file;
  // The inode's data lives on while another link names it (a table file ingested by a link).
  const bool record =
      UnderDir(path) && stat(path, &file) == 0 && S_ISREG(file.st_mode) && file.st_nlink == 1;
  const int result = next(path);
  if (result == 0 && record) Journal((file.st_size = 0, file));
  return result;
}

int rename(const char* from, const char* to) {
  static auto next = Next<int (*)(const char*, const char*)>("rename");
  struct stat replaced;
  const bool record = UnderDir(to) && stat(to, &replaced) == 0 && S_ISREG(replaced.st_mode) &&
                      replaced.st_nlink == 1;
  const int result = next(from, to);
  if (result == 0 && record) Journal((replaced.st_size = 0, replaced));
  return result;
}

}  // extern "C"
