// tqdb-server as a real child process on 127.0.0.1 and a free port, and the requests the server
// tests build. TQDB_SERVER_BINARY is the server's path (tests/CMakeLists.txt); the environment
// variable TQDB_TEST_SERVER_BINARY replaces it, to run a test against another build (an older
// binary, to see a new test fail on it).
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "test_util.h"
#include "tqdb/v1/tqdb.grpc.pb.h"

namespace tqdb::testing {

inline std::string ServerBinary() {
  const char* other = std::getenv("TQDB_TEST_SERVER_BINARY");
  return other != nullptr && *other != '\0' ? other : TQDB_SERVER_BINARY;
}

// Where a server runs: on 127.0.0.1 by default; a partition test starts one inside a network
// namespace of its own (network_namespace.h) on that namespace's address.
struct ProcessPlacement {
  std::vector<std::string> launcher;  // the argv the server's own follows (ip netns exec NAME)
  std::string host = "127.0.0.1";     // the address it listens on
};

// A tqdb-server child process; its stderr goes to a file, parsed for the port it bound.
// `environment` adds NAME=VALUE variables (a fault-injection LD_PRELOAD, say).
class ServerProcess {
 public:
  ServerProcess(const std::string& data_dir, std::vector<std::string> extra_flags = {},
                std::vector<std::string> environment = {}, ProcessPlacement placement = {})
      : host_(placement.host) {
    log_ = data_dir + ".log";
    pid_ = fork();
    if (pid_ == 0) {
      for (std::string& variable : environment) putenv(variable.data());
      const int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, STDERR_FILENO);
      std::vector<std::string> args = placement.launcher;
      for (std::string arg : {ServerBinary(), "--data_dir=" + data_dir, "--listen=" + host_ + ":0",
                              std::string("--threads=2")}) {
        args.push_back(std::move(arg));
      }
      args.insert(args.end(), extra_flags.begin(), extra_flags.end());
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    const std::regex listening("listening on " +
                               std::regex_replace(host_, std::regex("\\."), "\\.") + ":([0-9]+)");
    for (int i = 0; i < 600 && port_ == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      std::smatch match;
      const std::string log = Log();
      if (std::regex_search(log, match, listening)) port_ = std::stoi(match[1]);
    }
    EXPECT_NE(port_, 0) << "server did not start; log:\n" << Log();
    std::smatch http;
    const std::string log = Log();
    if (std::regex_search(log, http, std::regex(" http=127\\.0\\.0\\.1:([0-9]+)"))) {
      http_port_ = std::stoi(http[1]);
    }
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(INT32_MAX);
    channel_ = grpc::CreateCustomChannel(address(), grpc::InsecureChannelCredentials(), args);
    stub_ = v1::Tqdb::NewStub(channel_);
  }
  ~ServerProcess() {
    if (pid_ > 0) Stop(SIGKILL);
  }

  std::string address() const { return host_ + ":" + std::to_string(port_); }
  // The HTTP port (--http_listen=127.0.0.1:0); 0 when the server serves none.
  int http_port() const { return http_port_; }
  v1::Tqdb::Stub& stub() { return *stub_; }
  grpc::Channel& channel() { return *channel_; }
  std::string Log() const {
    std::ifstream in(log_);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  // CPU seconds the server has used (user + system, from /proc): rises once it works on a
  // request, which tells a test that the request has arrived.
  double CpuSeconds() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/stat");
    const std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // Fields after the parenthesised command name: state is the 3rd, utime the 14th, stime the
    // 15th.
    std::istringstream fields(stat.substr(stat.rfind(')') + 2));
    std::string field;
    double ticks = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
      if (i >= 14) ticks += std::stod(field);
    }
    return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  // True once the process has ended (by itself: a crash or an exit).
  bool Exited() {
    int status = 0;
    return pid_ <= 0 || waitpid(pid_, &status, WNOHANG) == pid_;
  }
  // Resident memory of the process now (VmRSS).
  size_t RssBytes() const { return StatusBytes("VmRSS:"); }
  // The most it has been resident at any time so far (VmHWM).
  size_t PeakRssBytes() const { return StatusBytes("VmHWM:"); }
  void Signal(int signal) { kill(pid_, signal); }
  // Sends `signal` and returns the exit status.
  int Stop(int signal) {
    kill(pid_, signal);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

 private:
  size_t StatusBytes(const std::string& field) const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
    for (std::string line; std::getline(in, line);) {
      if (line.rfind(field, 0) == 0) return std::stoull(line.substr(field.size())) * 1024;
    }
    return 0;
  }

  std::string host_;
  pid_t pid_ = -1;
  int port_ = 0;
  int http_port_ = 0;
  std::string log_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Tqdb::Stub> stub_;
};

// Sends raw bytes to `method` through the generic stub; returns the call's status and, in
// `reply`, the response bytes.
grpc::Status RawCall(ServerProcess& server, const std::string& method, const std::string& bytes,
                     std::string* reply = nullptr) {
  grpc::GenericStub generic(std::shared_ptr<grpc::Channel>(&server.channel(), [](auto*) {}));
  grpc::ClientContext context;
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1), response;
  std::mutex mu;
  std::condition_variable done_cv;
  bool done = false;
  grpc::Status status;
  generic.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                    [&](grpc::Status s) {
                      std::lock_guard lock(mu);
                      status = s;
                      done = true;
                      done_cv.notify_all();
                    });
  std::unique_lock lock(mu);
  done_cv.wait(lock, [&] { return done; });
  if (reply != nullptr && status.ok()) {
    std::vector<grpc::Slice> slices;
    if (response.Dump(&slices).ok()) {
      for (const grpc::Slice& s : slices) {
        reply->append(reinterpret_cast<const char*>(s.begin()), s.size());
      }
    }
  }
  return status;
}

inline constexpr int kDim = 32;

inline v1::CreateCollectionRequest CreateRequest(const std::string& name,
                                                 bool store_vectors = true) {
  v1::CreateCollectionRequest request;
  request.mutable_config()->set_name(name);
  request.mutable_config()->set_dimension(kDim);
  request.mutable_config()->set_bits(4);
  request.mutable_config()->set_store_vectors(store_vectors);
  return request;
}

inline v1::UpsertRequest UpsertRequest(const std::string& name, uint64_t first, size_t n,
                                       uint64_t seed) {
  v1::UpsertRequest request;
  request.set_collection(name);
  const std::vector<float> vectors = RandomUnitVectors(n, kDim, seed);
  request.mutable_vectors()->Add(vectors.begin(), vectors.end());
  for (uint64_t i = 0; i < n; ++i) {
    request.add_ids(first + i);
    request.add_payloads("payload " + std::to_string(first + i));
  }
  return request;
}

template <typename Request, typename Response>
grpc::Status Call(grpc::Status (v1::Tqdb::Stub::*method)(grpc::ClientContext*, const Request&,
                                                         Response*),
                  ServerProcess& server, const Request& request, Response* response) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  return (server.stub().*method)(&context, request, response);
}

}  // namespace tqdb::testing
