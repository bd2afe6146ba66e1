// A real tqdb-server process for the benchmarks that measure through it (http_bench,
// server_bench): started on 127.0.0.1 with free ports and a fresh data directory, loaded over
// gRPC, and waited on until its background jobs (the partitioning a load starts) are done.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "tqdb/v1/tqdb.grpc.pb.h"

namespace tqdb::bench {

struct ServerProcess {
  pid_t pid = -1;
  int grpc_port = 0;
  int http_port = 0;  // when started with --http_listen
  std::string log;

  std::string address() const { return "127.0.0.1:" + std::to_string(grpc_port); }
  void Stop() {
    if (pid <= 0) return;
    kill(pid, SIGTERM);
    waitpid(pid, nullptr, 0);
    pid = -1;
  }
};

// Starts `binary` with its data in `dir`/data, listening on 127.0.0.1:0, with `flags` added;
// grpc_port stays 0 when it has not said it listens within 30 s (its log: `dir`/server.log).
inline ServerProcess StartServer(const std::string& binary, const std::string& dir,
                                 const std::vector<std::string>& flags) {
  ServerProcess server;
  server.log = dir + "/server.log";
  std::vector<std::string> args = {binary, "--data_dir=" + dir + "/data", "--listen=127.0.0.1:0"};
  args.insert(args.end(), flags.begin(), flags.end());
  const bool http = std::any_of(flags.begin(), flags.end(), [](const std::string& flag) {
    return flag.rfind("--http_listen=", 0) == 0;
  });
  server.pid = fork();
  if (server.pid == 0) {
    const int fd = ::open(server.log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, STDERR_FILENO);
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  const std::regex grpc_port("listening on 127\\.0\\.0\\.1:([0-9]+)");
  const std::regex http_port(" http=127\\.0\\.0\\.1:([0-9]+)");
  for (int i = 0; i < 600 && server.grpc_port == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::ifstream in(server.log);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::smatch match;
    if (std::regex_search(text, match, grpc_port)) {
      std::smatch http_match;
      if (http && std::regex_search(text, http_match, http_port)) {
        server.http_port = std::stoi(http_match[1]);
      }
      server.grpc_port = std::stoi(match[1]);
    }
  }
  return server;
}

// Upserts rows [0, n) of `rows` (n x dim, row-major) as ids 0..n-1, 5,000 to a message.
inline grpc::Status LoadOverGrpc(v1::Tqdb::Stub& stub, const std::string& collection,
                                 const float* rows, size_t n, int dim) {
  for (size_t first = 0; first < n; first += 5000) {
    grpc::ClientContext context;
    v1::UpsertRequest upsert;
    upsert.set_collection(collection);
    const size_t count = std::min<size_t>(5000, n - first);
    for (size_t i = 0; i < count; ++i) upsert.add_ids(first + i);
    upsert.mutable_vectors()->Add(rows + first * dim, rows + (first + count) * dim);
    v1::UpsertResponse upserted;
    if (grpc::Status status = stub.Upsert(&context, upsert, &upserted); !status.ok()) {
      return status;
    }
  }
  return grpc::Status::OK;
}

// Waits (at most 10 minutes) until `collection` runs no background job, and describes it then.
inline v1::DescribeCollectionResponse WaitForBackgroundJobs(v1::Tqdb::Stub& stub,
                                                            const std::string& collection) {
  v1::DescribeCollectionResponse described;
  for (int i = 0; i < 3000; ++i) {
    grpc::ClientContext context;
    v1::DescribeCollectionRequest describe;
    describe.set_collection(collection);
    if (stub.DescribeCollection(&context, describe, &described).ok() &&
        !described.background_jobs()) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return described;
}

}  // namespace tqdb::bench
