#include "shard_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "status_mapping.h"
#include "tqdb/status_macros.h"

namespace tqdb::cluster {
namespace {

absl::Status SyncPath(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), directory ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
  if (fd < 0 || ::fsync(fd) != 0) {
    if (fd >= 0) ::close(fd);
    return absl::InternalError(absl::StrCat("cannot sync ", path));
  }
  ::close(fd);
  return absl::OkStatus();
}

// Writes the stream's files under `directory`, each synced, and the directories too; returns
// the bytes written.
absl::StatusOr<uint64_t> ReceiveFiles(grpc::ClientReader<v1::ShardFileChunk>* reader,
                                      const std::string& directory) {
  uint64_t bytes = 0;
  std::string current;
  int fd = -1;
  const auto close_current = [&]() -> absl::Status {
    if (fd < 0) return absl::OkStatus();
    const bool synced = ::fsync(fd) == 0;
    ::close(fd);
    fd = -1;
    return synced ? absl::OkStatus() : absl::InternalError(absl::StrCat("cannot sync ", current));
  };
  v1::ShardFileChunk chunk;
  while (reader->Read(&chunk)) {
    const std::filesystem::path relative(chunk.path());
    if (relative.is_absolute() || chunk.path().find("..") != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("a shard file named ", chunk.path()));
    }
    if (chunk.path() != current) {
      TQDB_RETURN_IF_ERROR(close_current());
      current = chunk.path();
      const std::filesystem::path target = std::filesystem::path(directory) / relative;
      std::error_code error;
      std::filesystem::create_directories(target.parent_path(), error);
      fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd < 0) return absl::InternalError(absl::StrCat("cannot create ", target.string()));
    }
    const std::string& data = chunk.data();
    for (size_t done = 0; done < data.size();) {
      const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
      if (n <= 0) return absl::InternalError(absl::StrCat("cannot write ", current));
      done += static_cast<size_t>(n);
    }
    bytes += data.size();
  }
  TQDB_RETURN_IF_ERROR(close_current());
  std::error_code error;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(directory, error)) {
    if (entry.is_directory()) TQDB_RETURN_IF_ERROR(SyncPath(entry.path().string(), true));
  }
  TQDB_RETURN_IF_ERROR(SyncPath(directory, true));
  return bytes;
}

}  // namespace

absl::StatusOr<uint64_t> FetchShardFiles(v1::ShardTransfer::Stub& source,
                                         grpc::ClientContext* context,
                                         const v1::FetchShardRequest& request,
                                         const std::string& directory) {
  std::unique_ptr<grpc::ClientReader<v1::ShardFileChunk>> reader =
      source.FetchShard(context, request);
  absl::StatusOr<uint64_t> bytes = ReceiveFiles(reader.get(), directory);
  if (!bytes.ok()) context->TryCancel();
  const absl::Status fetched = server::FromGrpcStatus(reader->Finish());
  if (!fetched.ok()) return fetched;
  return bytes;
}

}  // namespace tqdb::cluster
