#include "shard_transfer.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "in_sync_set.h"
#include "status_mapping.h"
#include "tqdb/status_macros.h"
#include "tqdb_service.h"

namespace tqdb::cluster {

namespace {

constexpr size_t kChunkBytes = size_t{1} << 20;
// The floats of one CatchUp answer: well within a response's budget (64 MiB by default).
constexpr size_t kCatchUpBytes = size_t{16} << 20;
// The log writes of one StreamLog message, at least one whole write.
constexpr size_t kLogMessageBytes = size_t{4} << 20;

}  // namespace

ShardTransferService::ShardTransferService(std::string node_id, LocalShards* shards,
                                           ClusterView* view, const server::ApiKeys* api_keys)
    : node_id_(std::move(node_id)), shards_(shards), view_(view), api_keys_(api_keys) {
  watcher_ = std::thread([this] { WatchPauses(); });
}

ShardTransferService::~ShardTransferService() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  watcher_.join();
}

absl::Status ShardTransferService::Authorize(const grpc::ServerContext& context,
                                             const std::string& collection) const {
  if (api_keys_ == nullptr) return absl::OkStatus();
  return api_keys_->Check(server::CallOf(context).authorization, server::Role::kAdmin, collection);
}

absl::Status ShardTransferService::CheckPrimary(const std::string& collection, uint32_t shard,
                                                uint64_t epoch) {
  if (view_ == nullptr) return absl::OkStatus();  // a primary outside a cluster has no map
  TQDB_ASSIGN_OR_RETURN(std::shared_ptr<const Placement> placement, view_->Find(collection));
  if (shard < placement->map.shards.size() && placement->map.shards[shard].epoch < epoch) {
    TQDB_ASSIGN_OR_RETURN(placement, view_->Find(collection, /*refresh=*/true));
  }
  const absl::Status owner = CheckOwner(placement->map, shard, node_id_, epoch);
  return owner.ok() ? owner : absl::AbortedError(owner.message());
}

grpc::Status ShardTransferService::FetchShard(grpc::ServerContext* context,
                                              const v1::FetchShardRequest* request,
                                              grpc::ServerWriter<v1::ShardFileChunk>* writer) {
  const Key key{request->collection(), request->shard()};
  if (absl::Status allowed = Authorize(*context, key.first); !allowed.ok()) {
    return server::ToGrpcStatus(allowed);
  }
  std::shared_ptr<LocalShards::Shard> shard = shards_->Find(key.first, key.second);
  if (shard == nullptr) {
    return server::ToGrpcStatus(absl::NotFoundError(
        absl::StrCat("node ", node_id_, " holds no shard ", key.second, " of ", key.first)));
  }
  if (request->for_replica()) {
    absl::Status primary = CheckPrimary(key.first, key.second, request->epoch());
    // A replica seeding its copy anew (its copy lost, or of another epoch) lacks writes until
    // it catches up: out of sync first, so no failover promotes it and no write waits for it.
    if (primary.ok() && view_ != nullptr) {
      NodeRegistration* registration = registration_.load();
      primary = RemoveFromInSync(view_->etcd(), key.first, key.second, node_id_, request->epoch(),
                                 registration != nullptr ? registration->key_revision() : 0,
                                 {request->to_node()});
    }
    if (!primary.ok()) return server::ToGrpcStatus(primary);
    return SeedReplica(*request, *shard, writer);
  }
  absl::StatusOr<std::shared_ptr<const Placement>> placement = view_->Find(key.first, true);
  if (!placement.ok()) return server::ToGrpcStatus(placement.status());
  if (absl::Status owner = CheckOwner((*placement)->map, key.second, node_id_, request->epoch());
      !owner.ok()) {
    return server::ToGrpcStatus(owner);
  }
  // With stored floats the writes go on during the copy and CatchUp sends them; without, they
  // pause now.
  auto collection = shard->database->GetCollection(key.first);
  if (!collection.ok()) return server::ToGrpcStatus(collection.status());
  const bool follow_writes = (*collection)->config().store_vectors;
  std::atomic<bool>& mode = follow_writes ? shard->tracking : shard->moving;
  if (shard->tracking || shard->moving || mode.exchange(true)) {
    return server::ToGrpcStatus(absl::AbortedError(
        absl::StrCat("shard ", key.second, " of ", key.first, " is already moving")));
  }
  // The writes in flight finish first: those after it are noted (or refused).
  { std::unique_lock gate(shard->write_gate); }
  const absl::Status sent =
      SendSnapshot(*shard, shards_->OutgoingDirectory(key.first, key.second), writer);
  if (!sent.ok()) {
    shard->moving = false;
    shard->tracking = false;
    shard->TakeWritten();
    return server::ToGrpcStatus(sent);
  }
  // From here the mover's calls keep the move alive (a stream that breaks ends it above).
  {
    MutexLock lock(mu_);
    paused_[key] = std::chrono::steady_clock::now();
  }
  std::fprintf(stderr, "tqdb-server: shard %u of %s sent to %s%s\n", key.second, key.first.c_str(),
               request->to_node().c_str(),
               follow_writes ? "; its writes follow" : "; its writes wait for the move");
  return grpc::Status::OK;
}

grpc::Status ShardTransferService::SeedReplica(const v1::FetchShardRequest& request,
                                               LocalShards::Shard& shard,
                                               grpc::ServerWriter<v1::ShardFileChunk>* writer) {
  // A snapshot's own directory: several replicas may seed at once, and a move may run.
  const absl::Status sent =
      SendSnapshot(shard,
                   absl::StrCat(shards_->OutgoingDirectory(request.collection(), request.shard()),
                                ".replica.", next_seed_.fetch_add(1)),
                   writer);
  if (sent.ok()) {
    std::fprintf(stderr, "tqdb-server: shard %u of %s copied to seed a replica on %s\n",
                 request.shard(), request.collection().c_str(), request.to_node().c_str());
  }
  return server::ToGrpcStatus(sent);
}

grpc::Status ShardTransferService::StreamLog(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<v1::LogWrites, v1::LogProgress>* stream) {
  v1::LogProgress first;
  if (!stream->Read(&first)) return grpc::Status(grpc::StatusCode::CANCELLED, "no first message");
  if (absl::Status allowed = Authorize(*context, first.collection()); !allowed.ok()) {
    return server::ToGrpcStatus(allowed);
  }
  if (first.node().empty()) {
    return server::ToGrpcStatus(absl::InvalidArgumentError("a log stream names its replica"));
  }
  std::shared_ptr<LocalShards::Shard> shard = shards_->Find(first.collection(), first.shard());
  if (shard == nullptr) {
    return server::ToGrpcStatus(absl::NotFoundError(absl::StrCat(
        "node ", node_id_, " holds no shard ", first.shard(), " of ", first.collection())));
  }
  if (absl::Status primary = CheckPrimary(first.collection(), first.shard(), first.epoch());
      !primary.ok()) {
    return server::ToGrpcStatus(primary);
  }
  const std::string replica = first.node();
  const auto report = [&shard, &replica](uint64_t applied) {
    shard->replicas.Report(replica, applied, applied >= shard->database->LatestSequence());
  };
  report(first.applied_sequence());
  // The replica's reports arrive beside the writes sent to it: read on a thread of their own,
  // until the replica closes its side or the call ends.
  std::atomic<bool> replica_left{false};
  std::thread reports([&] {
    v1::LogProgress progress;
    while (stream->Read(&progress)) report(progress.applied_sequence());
    replica_left = true;
  });
  uint64_t next = first.applied_sequence() + 1;
  const std::unique_ptr<LogReader> log = shard->database->OpenLog(next);
  absl::Status ended;
  while (!replica_left && !context->IsCancelled() && !ending_streams_ && !Stopping()) {
    absl::StatusOr<std::vector<LoggedWrite>> writes = log->Read(kLogMessageBytes);
    if (!writes.ok()) {
      ended = writes.status();
      break;
    }
    if (writes->empty()) {
      // Woken by the next write; the timeout only looks at the call and the node again.
      shard->database->WaitForWrite(next - 1, std::chrono::milliseconds(100));
      continue;
    }
    v1::LogWrites message;
    for (LoggedWrite& write : *writes) {
      v1::LogWrite* out = message.add_writes();
      out->set_sequence(write.sequence);
      out->set_count(write.count);
      out->set_data(std::move(write.data));
    }
    if (!stream->Write(message)) break;  // the replica went away
    next = writes->back().sequence + writes->back().count;
  }
  if (!ended.ok()) {
    // Said in the stream, so that the replica closes its side and reads the status: cancelling
    // the call would hide it behind CANCELLED.
    v1::LogWrites last;
    last.set_error(ended.ToString());
    stream->Write(last);
    for (int i = 0; i < 500 && !replica_left; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  if (!replica_left) context->TryCancel();  // ends the reports' Read
  reports.join();
  return server::ToGrpcStatus(ended);
}

absl::Status ShardTransferService::SendSnapshot(LocalShards::Shard& shard,
                                                const std::string& checkpoint,
                                                grpc::ServerWriter<v1::ShardFileChunk>* writer) {
  std::error_code error;
  std::filesystem::remove_all(checkpoint, error);
  std::filesystem::create_directories(std::filesystem::path(checkpoint).parent_path(), error);
  absl::Status sent = shard.database->Snapshot(checkpoint);
  if (sent.ok()) sent = SendFiles(checkpoint, writer);
  std::filesystem::remove_all(checkpoint, error);
  return sent;
}

absl::Status ShardTransferService::SendFiles(const std::string& directory,
                                             grpc::ServerWriter<v1::ShardFileChunk>* writer) {
  std::error_code error;
  std::vector<char> buffer(kChunkBytes);
  for (const auto& entry : std::filesystem::recursive_directory_iterator(directory, error)) {
    if (!entry.is_regular_file()) continue;
    const std::string path = std::filesystem::relative(entry.path(), directory).string();
    std::ifstream in(entry.path(), std::ios::binary);
    bool first = true;
    while (in || first) {
      in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
      const auto read = static_cast<size_t>(in.gcount());
      if (read == 0 && !first) break;
      v1::ShardFileChunk chunk;
      chunk.set_path(path);
      chunk.set_data(buffer.data(), read);
      if (!writer->Write(chunk)) return absl::CancelledError("the receiving node went away");
      first = false;
    }
    if (in.bad()) return absl::InternalError(absl::StrCat("cannot read ", entry.path().string()));
  }
  if (error) return absl::InternalError(absl::StrCat("cannot list ", directory));
  return absl::OkStatus();
}

grpc::Status ShardTransferService::CatchUp(grpc::ServerContext* context,
                                           const v1::CatchUpRequest* request,
                                           v1::CatchUpResponse* response) {
  if (absl::Status allowed = Authorize(*context, request->collection()); !allowed.ok()) {
    return server::ToGrpcStatus(allowed);
  }
  std::shared_ptr<LocalShards::Shard> shard =
      shards_->Find(request->collection(), request->shard());
  if (shard == nullptr || !(shard->tracking || shard->moving)) {
    return server::ToGrpcStatus(absl::FailedPreconditionError(
        absl::StrCat("shard ", request->shard(), " of ", request->collection(),
                     " is not moving from node ", node_id_)));
  }
  {
    MutexLock lock(mu_);
    paused_[{request->collection(), request->shard()}] = std::chrono::steady_clock::now();
  }
  if (request->pause()) {
    shard->moving = true;
    std::unique_lock gate(shard->write_gate);  // the writes in flight are noted first
  }
  auto collection = shard->database->GetCollection(request->collection());
  if (!collection.ok()) return server::ToGrpcStatus(collection.status());
  const size_t row_bytes = sizeof(float) * (*collection)->config().quantizer.dim;
  const std::vector<uint64_t> ids =
      shard->TakeWritten(std::max<size_t>(1, kCatchUpBytes / row_bytes));
  response->set_more(shard->HasWritten());
  if (ids.empty()) return grpc::Status::OK;
  v1::GetRequest get;
  get.set_collection(request->collection());
  get.mutable_ids()->Add(ids.begin(), ids.end());
  get.set_with_vectors(true);
  get.set_with_payloads(true);
  get.set_f32_bytes(true);
  v1::GetResponse records;
  if (absl::Status read = shard->api->Get(server::CallOf(*context), get, &records); !read.ok()) {
    shard->NoteWritten(ids);  // sent again next round
    return server::ToGrpcStatus(read);
  }
  *response->mutable_records() = std::move(*records.mutable_records());
  return grpc::Status::OK;
}

grpc::Status ShardTransferService::FinishMove(grpc::ServerContext* context,
                                              const v1::FinishMoveRequest* request,
                                              v1::FinishMoveResponse*) {
  if (absl::Status allowed = Authorize(*context, request->collection()); !allowed.ok()) {
    return server::ToGrpcStatus(allowed);
  }
  return server::ToGrpcStatus(
      Finish({request->collection(), request->shard()}, request->committed()));
}

absl::Status ShardTransferService::Finish(const Key& key, bool committed) {
  {
    MutexLock lock(mu_);
    paused_.erase(key);
  }
  std::shared_ptr<LocalShards::Shard> shard = shards_->Find(key.first, key.second);
  if (shard == nullptr) return absl::OkStatus();  // finished already
  // The map decides, not the message: a copy is dropped only once another node owns it.
  TQDB_ASSIGN_OR_RETURN(std::shared_ptr<const Placement> placement, view_->Find(key.first, true));
  const bool moved = placement->map.shards[key.second].node != node_id_;
  if (committed && !moved) {
    return absl::FailedPreconditionError("the shard map still names this node as the owner");
  }
  if (!moved) {
    shard->tracking = false;
    shard->TakeWritten();
    shard->moving = false;
    return absl::OkStatus();
  }
  shard.reset();  // Drop waits for the calls that hold the shard
  std::fprintf(stderr, "tqdb-server: shard %u of %s now on %s; dropping this copy\n", key.second,
               key.first.c_str(), placement->map.shards[key.second].node.c_str());
  return shards_->Drop(key.first, key.second);
}

void ShardTransferService::WatchPauses() {
  MutexLock lock(mu_);
  while (!stopping_) {
    wake_.wait_for(mu_, std::chrono::seconds(1));
    const auto now = std::chrono::steady_clock::now();
    std::vector<Key> abandoned;
    for (const auto& [key, since] : paused_) {
      if (now - since > kAbandonedMove) abandoned.push_back(key);
    }
    for (const Key& key : abandoned) {
      mu_.unlock();
      const absl::Status finished = Finish(key, /*committed=*/false);
      std::fprintf(stderr,
                   "tqdb-server: the move of shard %u of %s was not finished in %llds: %s\n",
                   key.second, key.first.c_str(), static_cast<long long>(kAbandonedMove.count()),
                   finished.ok() ? "settled by the map" : finished.ToString().c_str());
      mu_.lock();
      if (!finished.ok()) paused_[key] = now;  // etcd did not answer: try again later
    }
  }
}

}  // namespace tqdb::cluster
