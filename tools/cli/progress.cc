#include "progress.h"

#include <unistd.h>

#include <algorithm>

namespace tqdb::cli {

namespace {
using Clock = std::chrono::steady_clock;
}  // namespace

Progress::Progress(std::string what, size_t total, size_t done, std::FILE* out)
    : what_(std::move(what)),
      total_(total),
      out_(out),
      terminal_(isatty(fileno(out)) != 0),
      start_(Clock::now()),
      last_draw_(start_),
      start_done_(done),
      done_(done) {}

void Progress::Update(size_t done) {
  done_ = done;
  const auto now = Clock::now();
  // A terminal is redrawn 10 times a second; a log gets a line every 5 seconds.
  const auto every = terminal_ ? std::chrono::milliseconds(100) : std::chrono::seconds(5);
  if (now - last_draw_ < every) return;
  last_draw_ = now;
  Draw();
}

void Progress::Finish() {
  Draw();
  if (terminal_) std::fputc('\n', out_);
  std::fflush(out_);
}

void Progress::Draw() {
  const double seconds = std::chrono::duration<double>(Clock::now() - start_).count();
  const double rate = seconds > 0 ? static_cast<double>(done_ - start_done_) / seconds : 0;
  const double left = rate > 0 ? static_cast<double>(total_ - std::min(done_, total_)) / rate : 0;
  const double share = total_ > 0 ? 100.0 * static_cast<double>(done_) / total_ : 100.0;
  std::fprintf(out_, "%s%zu/%zu %s (%.1f%%), %.0f rows/s, %.0f s left%s", terminal_ ? "\r" : "",
               done_, total_, what_.c_str(), share, rate, left, terminal_ ? "   " : "\n");
  std::fflush(out_);
}

}  // namespace tqdb::cli
