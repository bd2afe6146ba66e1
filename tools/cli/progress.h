// Progress of a long client operation (a load): rows done, rows/s and the time left, redrawn in
// place on a terminal and printed as a plain line every few seconds otherwise (a log file, CI).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <string>

namespace tqdb::cli {

class Progress {
 public:
  // `what` names the rows ("sent"); `total` is their number, `done` of them done before (a
  // resumed load: not counted in the rate).
  Progress(std::string what, size_t total, size_t done = 0, std::FILE* out = stderr);
  // `done` rows so far; draws when due.
  void Update(size_t done);
  // The last figures, and the line ended.
  void Finish();

 private:
  void Draw();

  const std::string what_;
  const size_t total_;
  std::FILE* out_;
  const bool terminal_;
  const std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  const size_t start_done_;
  size_t done_ = 0;
};

}  // namespace tqdb::cli
