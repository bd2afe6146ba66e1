#include "local_shards.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace tqdb::cluster {

std::string LocalShards::DirectoryOf(const Key& key) const {
  return absl::StrCat(root_, "/", key.first, "/", key.second);
}

absl::StatusOr<std::shared_ptr<LocalShards::Shard>> LocalShards::Open(const Key& key) {
  const std::string directory = DirectoryOf(key);
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) {
    return absl::InternalError(absl::StrCat("cannot make ", directory, ": ", error.message()));
  }
  absl::StatusOr<std::unique_ptr<Database>> database =
      Database::Open(directory, OptionsFor(key.first));
  if (!database.ok()) {
    return absl::Status(database.status().code(),
                        absl::StrCat("shard ", key.second, " of ", key.first, " (", directory,
                                     "): ", database.status().message()));
  }
  auto shard = std::make_shared<Shard>();
  shard->database = std::move(*database);
  shard->api = std::make_unique<server::TqdbApi>(shard->database.get(), service_options_);
  shards_[key] = shard;
  return shard;
}

DatabaseOptions LocalShards::OptionsFor(const std::string& collection) const {
  DatabaseOptions options = database_options_;
  if (keeps_log_for_ && keeps_log_for_(collection)) {
    // RocksDB fixes the log's retention at open: a shard with replicas keeps its log from the
    // start, and ingests nothing (tqdb/database.h).
    options.log_retention_seconds = kReplicatedLogSeconds;
    options.log_retention_mb = kReplicatedLogMiB;
  }
  return options;
}

std::string LocalShards::IncomingDirectory(const std::string& collection, uint32_t shard) const {
  return absl::StrCat(root_, "/.incoming/", collection, ".", shard);
}

std::string LocalShards::OutgoingDirectory(const std::string& collection, uint32_t shard) const {
  return absl::StrCat(root_, "/.outgoing/", collection, ".", shard);
}

absl::Status LocalShards::OpenAll() {
  std::error_code error;
  std::filesystem::create_directories(root_, error);
  if (error) return absl::InternalError(absl::StrCat("cannot make ", root_, ": ", error.message()));
  // Moves cut short by a stop: their half-copied files are of no use.
  std::filesystem::remove_all(root_ + "/.incoming", error);
  std::filesystem::remove_all(root_ + "/.outgoing", error);
  MutexLock lock(mu_);
  for (const auto& collection : std::filesystem::directory_iterator(root_, error)) {
    if (!collection.is_directory() || collection.path().filename().string().starts_with(".")) {
      continue;
    }
    for (const auto& shard : std::filesystem::directory_iterator(collection.path(), error)) {
      uint32_t number = 0;
      if (!shard.is_directory() || !absl::SimpleAtoi(shard.path().filename().string(), &number)) {
        continue;
      }
      absl::StatusOr<std::shared_ptr<Shard>> opened =
          Open({collection.path().filename().string(), number});
      if (!opened.ok()) return opened.status();
    }
  }
  if (error) return absl::InternalError(absl::StrCat("cannot list ", root_, ": ", error.message()));
  return absl::OkStatus();
}

std::shared_ptr<LocalShards::Shard> LocalShards::Find(const std::string& collection,
                                                      uint32_t shard) const {
  MutexLock lock(mu_);
  const auto found = shards_.find({collection, shard});
  return found == shards_.end() ? nullptr : found->second;
}

absl::StatusOr<std::shared_ptr<LocalShards::Shard>> LocalShards::OpenOrCreate(
    const std::string& collection, uint32_t shard) {
  MutexLock lock(mu_);
  if (const auto found = shards_.find({collection, shard}); found != shards_.end()) {
    return found->second;
  }
  return Open({collection, shard});
}

absl::Status LocalShards::Drop(const std::string& collection, uint32_t shard) {
  std::shared_ptr<Shard> dropped;
  {
    MutexLock lock(mu_);
    const auto found = shards_.find({collection, shard});
    if (found == shards_.end()) return absl::OkStatus();
    dropped = std::move(found->second);
    shards_.erase(found);
  }
  // Calls that found the shard before it left the map finish first: RocksDB closes only after.
  while (dropped.use_count() > 1) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  dropped.reset();
  std::error_code error;
  std::filesystem::remove_all(DirectoryOf({collection, shard}), error);
  if (error) {
    return absl::InternalError(absl::StrCat("shard ", shard, " of ", collection,
                                            " closed, but its directory stays: ", error.message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<LocalShards::Shard>> LocalShards::Adopt(
    const std::string& collection, uint32_t shard, const std::string& incoming) {
  MutexLock lock(mu_);
  const Key key{collection, shard};
  if (shards_.contains(key)) {
    return absl::AlreadyExistsError(
        absl::StrCat("this node already holds shard ", shard, " of ", collection));
  }
  const std::string directory = DirectoryOf(key);
  std::error_code error;
  std::filesystem::create_directories(std::filesystem::path(directory).parent_path(), error);
  std::filesystem::remove_all(directory, error);  // a copy left by an earlier owner's stop
  std::filesystem::rename(incoming, directory, error);
  if (error) {
    return absl::InternalError(
        absl::StrCat("cannot move ", incoming, " to ", directory, ": ", error.message()));
  }
  // The rename is durable before the shard's new owner is written to etcd.
  const std::string parent = std::filesystem::path(directory).parent_path().string();
  const int fd = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0 || ::fsync(fd) != 0) {
    if (fd >= 0) ::close(fd);
    return absl::InternalError(absl::StrCat("cannot sync ", parent));
  }
  ::close(fd);
  return Open(key);
}

std::vector<std::pair<std::string, uint32_t>> LocalShards::List() const {
  MutexLock lock(mu_);
  std::vector<Key> keys;
  for (const auto& [key, shard] : shards_) keys.push_back(key);
  return keys;
}

void LocalShards::MarkServing() {
  MutexLock lock(mu_);
  for (const auto& [key, shard] : shards_) shard->api->MarkServing();
}

}  // namespace tqdb::cluster
