#include "db/storage/info_log.h"

#include <sys/time.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <system_error>

#include "tqdb/mutex.h"

namespace tqdb::storage {
namespace {

class StdioLogger : public rocksdb::Logger {
 public:
  explicit StdioLogger(std::FILE* file)
      : rocksdb::Logger(rocksdb::InfoLogLevel::INFO_LEVEL), file_(file) {}
  ~StdioLogger() override { CloseImpl().PermitUncheckedError(); }

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    timeval now;
    gettimeofday(&now, nullptr);
    tm local;
    localtime_r(&now.tv_sec, &local);
    MutexLock lock(mu_);
    if (file_ == nullptr) return;
    // Errors (ENOSPC above all) are ignored: the next line is tried again.
    std::fprintf(file_, "%04d/%02d/%02d-%02d:%02d:%02d.%06ld ", local.tm_year + 1900,
                 local.tm_mon + 1, local.tm_mday, local.tm_hour, local.tm_min, local.tm_sec,
                 static_cast<long>(now.tv_usec));
    std::vfprintf(file_, format, ap);
    std::fputc('\n', file_);
    std::fflush(file_);
    std::clearerr(file_);
  }

 protected:
  rocksdb::Status CloseImpl() override {
    MutexLock lock(mu_);
    if (file_ != nullptr) std::fclose(file_);
    file_ = nullptr;
    return rocksdb::Status::OK();
  }

 private:
  Mutex mu_;
  std::FILE* file_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

std::shared_ptr<rocksdb::Logger> OpenInfoLog(const std::string& dir) {
  const std::filesystem::path log = std::filesystem::path(dir) / "LOG";
  std::error_code ignored;
  std::filesystem::rename(log, std::filesystem::path(dir) / "LOG.old", ignored);
  std::FILE* file = std::fopen(log.c_str(), "ae");
  if (file == nullptr) return nullptr;
  return std::make_shared<StdioLogger>(file);
}

}  // namespace tqdb::storage
