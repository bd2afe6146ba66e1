#include "protobuf_log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>

#include "google/protobuf/stubs/logging.h"

namespace tqdb::server {
namespace {

std::atomic<int64_t> interval_ns{0};
std::atomic<int64_t> next_line_ns{0};
std::atomic<uint64_t> suppressed{0};

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void Handler(google::protobuf::LogLevel level, const char* filename, int line,
             const std::string& message) {
  static const char* const kLevels[] = {"INFO", "WARNING", "ERROR", "FATAL"};
  const int64_t now = NowNs();
  int64_t next = next_line_ns.load();
  const bool write = level == google::protobuf::LOGLEVEL_FATAL ||
                     (now >= next && next_line_ns.compare_exchange_strong(next, now + interval_ns));
  if (!write) {
    suppressed.fetch_add(1);
    return;
  }
  const uint64_t left_out = suppressed.exchange(0);
  std::fprintf(
      stderr, "[libprotobuf %s %s:%d] %s%s\n", kLevels[level], filename, line, message.c_str(),
      left_out == 0
          ? ""
          : (" (" + std::to_string(left_out) + " protobuf log lines left out since the last one)")
                .c_str());
}

}  // namespace

void RateLimitProtobufLogs(int interval_seconds) {
  interval_ns = int64_t{interval_seconds} * 1'000'000'000;
  google::protobuf::SetLogHandler(&Handler);
}

}  // namespace tqdb::server
