// How many rows a collection took in lately, to tell a bulk load from steady writes: the rows of
// the current window and of the one before it, so no time is kept per write. Not thread-safe:
// the owner guards it (a collection's write lock).
#pragma once

#include <chrono>
#include <cstddef>

namespace tqdb {

class GrowthGauge {
 public:
  using Clock = std::chrono::steady_clock;

  explicit GrowthGauge(Clock::duration window) : window_(window) {}

  Clock::duration window() const { return window_; }

  // `rows` were written at `now` (non-decreasing between calls).
  void Note(size_t rows, Clock::time_point now) {
    Roll(now);
    current_ += rows;
  }

  // The rows written lately: every row of the last window before `now`, none older than three.
  size_t Recent(Clock::time_point now) {
    Roll(now);
    return previous_ + current_;
  }

 private:
  void Roll(Clock::time_point now) {
    if (now - started_ < window_) return;
    previous_ = now - started_ < 2 * window_ ? current_ : 0;
    current_ = 0;
    started_ = now;
  }

  const Clock::duration window_;
  Clock::time_point started_{};
  size_t previous_ = 0, current_ = 0;
};

}  // namespace tqdb
