#include "shard_replicator.h"

#include <filesystem>
#include <fstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "shard_files.h"
#include "status_mapping.h"
#include "tqdb/status_macros.h"

namespace tqdb::cluster {
namespace {

constexpr std::chrono::milliseconds kFirstRetry{100};
constexpr std::chrono::milliseconds kLastRetry{2000};

bool HasCopy(const std::string& directory) {
  return std::filesystem::exists(std::filesystem::path(directory) / "CURRENT");
}

// The owner's epoch whose history the copy in `directory` holds: 0 when not noted.
uint64_t CopyEpoch(const std::string& directory) {
  std::ifstream in(directory + ".epoch");
  uint64_t epoch = 0;
  return in >> epoch ? epoch : 0;
}

absl::Status NoteCopyEpoch(const std::string& directory, uint64_t epoch) {
  const std::string path = directory + ".epoch";
  {
    std::ofstream out(path + ".new", std::ios::trunc);
    out << epoch << "\n";
    out.flush();
    if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  }
  std::error_code error;
  std::filesystem::rename(path + ".new", path, error);
  if (error) return absl::InternalError(absl::StrCat("cannot write ", path, ": ", error.message()));
  return absl::OkStatus();
}

}  // namespace

ShardReplicator::ShardReplicator(Options options) : options_(std::move(options)) {}

ShardReplicator::~ShardReplicator() { Stop(); }

void ShardReplicator::Start() {
  thread_ = std::thread([this] { Run(); });
}

void ShardReplicator::Stop() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
    if (call_ != nullptr) call_->TryCancel();
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool ShardReplicator::WaitForApplied(uint64_t sequence, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  MutexLock lock(mu_);
  while (applied_.load() < sequence) {
    if (changed_.wait_until(mu_, deadline) == std::cv_status::timeout) break;
  }
  return applied_.load() >= sequence;
}

absl::Status ShardReplicator::last_error() const {
  MutexLock lock(mu_);
  return error_;
}

void ShardReplicator::SetError(absl::Status status) {
  MutexLock lock(mu_);
  error_ = std::move(status);
}

void ShardReplicator::Advance(uint64_t applied) {
  {
    MutexLock lock(mu_);
    applied_.store(applied);
    error_ = absl::OkStatus();
  }
  changed_.notify_all();
}

void ShardReplicator::Run() {
  std::chrono::milliseconds retry = kFirstRetry;
  while (!Stopping()) {
    const uint64_t before = applied_.load();
    absl::StatusOr<Primary> primary = options_.primary();
    absl::Status status = primary.status();
    if (status.ok()) {
      epoch_ = primary->epoch;
      const uint64_t copy_epoch = CopyEpoch(options_.directory);
      if (HasCopy(options_.directory) && copy_epoch != primary->epoch) {
        std::fprintf(stderr,
                     "tqdb-server: replica of shard %u of %s holds epoch %llu's history; the "
                     "owner is at epoch %llu: seeding again\n",
                     options_.shard, options_.collection.c_str(),
                     static_cast<unsigned long long>(copy_epoch),
                     static_cast<unsigned long long>(primary->epoch));
        std::error_code error;
        std::filesystem::remove_all(options_.directory, error);
      }
      if (!HasCopy(options_.directory)) status = Seed(*primary);
    }
    if (status.ok()) {
      absl::StatusOr<std::unique_ptr<Replica>> replica =
          Replica::Open(options_.directory, options_.database_options);
      status = replica.status();
      if (replica.ok()) {
        Advance((*replica)->LatestSequence());
        status = Follow(*primary, replica->get());
      }
    }  // the copy is closed here, before a seed may replace it
    if (Stopping()) break;
    SetError(status);
    if (absl::IsFailedPrecondition(status)) {
      // The primary's log no longer reaches back to the copy (or the copy and the log disagree):
      // only a new copy can follow it.
      std::fprintf(stderr, "tqdb-server: replica of shard %u of %s seeds again: %s\n",
                   options_.shard, options_.collection.c_str(), status.ToString().c_str());
      std::error_code error;
      std::filesystem::remove_all(options_.directory, error);
    }
    if (applied_.load() > before) retry = kFirstRetry;  // it had followed: a new break
    MutexLock lock(mu_);
    changed_.wait_for(mu_, retry);
    retry = std::min(retry * 2, kLastRetry);
  }
}

absl::Status ShardReplicator::Seed(const Primary& primary) {
  const std::string incoming = options_.directory + ".seeding";
  std::error_code error;
  std::filesystem::remove_all(incoming, error);
  std::filesystem::create_directories(incoming, error);
  v1::FetchShardRequest request;
  request.set_collection(options_.collection);
  request.set_shard(options_.shard);
  request.set_to_node(options_.node_id);
  request.set_for_replica(true);
  request.set_epoch(primary.epoch);
  grpc::ClientContext context;
  options_.prepare(&context);
  {
    MutexLock lock(mu_);
    if (stopping_) return absl::CancelledError("stopping");
    call_ = &context;
  }
  const absl::StatusOr<uint64_t> bytes =
      FetchShardFiles(*primary.stub, &context, request, incoming);
  {
    MutexLock lock(mu_);
    call_ = nullptr;
  }
  if (!bytes.ok()) {
    std::filesystem::remove_all(incoming, error);
    return WithContext(bytes.status(), "seeding a replica");
  }
  std::filesystem::remove_all(options_.directory, error);
  std::filesystem::create_directories(std::filesystem::path(options_.directory).parent_path(),
                                      error);
  // The epoch first: a copy is never in place without the epoch of its history beside it.
  TQDB_RETURN_IF_ERROR(NoteCopyEpoch(options_.directory, primary.epoch));
  std::filesystem::rename(incoming, options_.directory, error);
  if (error) {
    return absl::InternalError(absl::StrCat("cannot move the replica's copy into ",
                                            options_.directory, ": ", error.message()));
  }
  seeds_.fetch_add(1);
  std::fprintf(stderr, "tqdb-server: replica of shard %u of %s seeded (%llu bytes)\n",
               options_.shard, options_.collection.c_str(),
               static_cast<unsigned long long>(*bytes));
  return absl::OkStatus();
}

absl::Status ShardReplicator::Follow(const Primary& primary, Replica* replica) {
  grpc::ClientContext context;
  options_.prepare(&context);
  {
    MutexLock lock(mu_);
    if (stopping_) return absl::CancelledError("stopping");
    call_ = &context;
  }
  std::unique_ptr<grpc::ClientReaderWriter<v1::LogProgress, v1::LogWrites>> stream =
      primary.stub->StreamLog(&context);
  v1::LogProgress progress;
  progress.set_collection(options_.collection);
  progress.set_shard(options_.shard);
  progress.set_node(options_.node_id);
  progress.set_applied_sequence(replica->LatestSequence());
  progress.set_epoch(primary.epoch);
  absl::Status applied;
  // Until the primary ends the call (its status then says why), or this side must.
  bool ended_here = false;
  if (stream->Write(progress)) {
    v1::LogWrites message;
    while (stream->Read(&message)) {
      if (!message.error().empty()) {  // the primary ends the stream: its status says why
        stream->WritesDone();
        break;
      }
      // One sync for the message's writes: the owner's concurrent writes arrive together.
      std::vector<LoggedWrite> writes;
      writes.reserve(message.writes_size());
      for (v1::LogWrite& write : *message.mutable_writes()) {
        writes.push_back({write.sequence(), write.count(), std::move(*write.mutable_data())});
      }
      applied = replica->ApplyAll(writes);
      Advance(replica->LatestSequence());
      // What is synced here now counts as held here.
      progress.Clear();
      progress.set_applied_sequence(applied_.load());
      if (!applied.ok() || !stream->Write(progress)) {
        ended_here = !applied.ok();
        break;
      }
    }
  }
  if (ended_here) context.TryCancel();
  const absl::Status finished = server::FromGrpcStatus(stream->Finish());
  {
    MutexLock lock(mu_);
    call_ = nullptr;
  }
  if (!applied.ok()) return applied;
  return finished.ok() ? absl::UnavailableError("the primary ended the log stream") : finished;
}

}  // namespace tqdb::cluster
