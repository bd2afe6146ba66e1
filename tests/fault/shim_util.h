// What both LD_PRELOAD shims (disk_full_shim.cc, power_loss_shim.cc) need: the real libc
// function behind an interposed one, and whether a file descriptor's file lies under a folder.
#pragma once

#include <dlfcn.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace tqdb::fault {

template <typename Fn>
Fn Next(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
}

// True when `path` starts with `dir` (null: never).
inline bool PathUnder(const char* path, const char* dir) {
  return dir != nullptr && std::strncmp(path, dir, std::strlen(dir)) == 0;
}

// True when the file open as `fd` lies under `dir` (its path from /proc/self/fd).
inline bool FdUnder(int fd, const char* dir) {
  char link[64];
  char path[4096];
  std::snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
  const ssize_t n = readlink(link, path, sizeof(path) - 1);
  if (n <= 0) return false;
  path[n] = '\0';
  return PathUnder(path, dir);
}

}  // namespace tqdb::fault
