// The other half of power_loss_shim.cc: after the process is killed, cut every file of its
// data directory back to the bytes its last fsync made durable, as a power cut would.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

namespace tqdb::testing {

struct PowerLoss {
  int files_cut = 0;
  uintmax_t bytes_dropped = 0;
};

// Cuts each file to the size its inode's latest journal line gives (0 without one; a deleted
// file's inode was journaled as 0, so a file reusing it starts from nothing durable).
inline PowerLoss CutToSyncedSizes(const std::string& dir, const std::string& journal) {
  std::map<uint64_t, uintmax_t> synced;  // inode -> bytes made durable
  std::ifstream in(journal);
  uint64_t inode = 0;
  uintmax_t size = 0;
  while (in >> inode >> size) synced[inode] = size;
  PowerLoss loss;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    struct stat file;
    if (!entry.is_regular_file() || stat(entry.path().c_str(), &file) != 0) continue;
    const uintmax_t durable = synced.count(file.st_ino) ? synced[file.st_ino] : 0;
    if (static_cast<uintmax_t>(file.st_size) > durable) {
      loss.bytes_dropped += file.st_size - durable;
      ++loss.files_cut;
      std::filesystem::resize_file(entry.path(), durable);
    }
  }
  return loss;
}

// Starts a new journal in which every file of `dir` is durable as it is: for a directory a
// process without the shim (the test itself) has just closed cleanly.
inline void MarkAllDurable(const std::string& dir, const std::string& journal) {
  std::ofstream out(journal, std::ios::trunc);
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    struct stat file;
    if (entry.is_regular_file() && stat(entry.path().c_str(), &file) == 0) {
      out << file.st_ino << " " << file.st_size << "\n";
    }
  }
}

}  // namespace tqdb::testing
