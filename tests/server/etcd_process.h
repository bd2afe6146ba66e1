// etcd as real child processes for tests: one member, or a cluster of three (EtcdCluster), on
// 127.0.0.1 with free ports and their own data directories, started by the test and killed
// with it. TQDB_ETCD_BINARY is etcd's path
// (tests/CMakeLists.txt: Debian's etcd-server, installed by scripts/install-deps.sh).
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace tqdb::testing {

// A port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
inline int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

class EtcdProcess {
 public:
  // A cluster of one; `also_host` (an address of a test's network namespace) is served too.
  // With `tls_flags` (etcd's --cert-file, --key-file, ...) clients speak TLS to it.
  explicit EtcdProcess(std::string data_dir, std::string also_host = "",
                       std::vector<std::string> tls_flags = {})
      : data_dir_(std::move(data_dir)),
        also_host_(std::move(also_host)),
        tls_flags_(std::move(tls_flags)),
        name_("test"),
        client_port_(FreeLoopbackPort()),
        peer_port_(FreeLoopbackPort()),
        initial_cluster_("test=" + PeerUrl()) {
    Start();
  }
  // One member of a cluster: launched, not yet serving (members serve once a quorum is up).
  EtcdProcess(std::string data_dir, std::string name, int client_port, int peer_port,
              std::string initial_cluster)
      : data_dir_(std::move(data_dir)),
        name_(std::move(name)),
        client_port_(client_port),
        peer_port_(peer_port),
        initial_cluster_(std::move(initial_cluster)) {
    Launch();
  }
  ~EtcdProcess() { Kill(); }

  std::string endpoint() const { return "127.0.0.1:" + std::to_string(client_port_); }
  // Its client port on `host` (127.0.0.1 or the `also_host` it was started with).
  std::string endpoint_on(const std::string& host) const {
    return host + ":" + std::to_string(client_port_);
  }
  int client_port() const { return client_port_; }
  std::string Log() const {
    std::ifstream in(data_dir_ + ".log");
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

  // SIGKILL, as a crash or a lost machine would stop it.
  void Kill() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  std::string PeerUrl() const { return "http://127.0.0.1:" + std::to_string(peer_port_); }
  // Starts it again on the same ports and data directory, and waits until it serves.
  void Start() {
    Launch();
    WaitServing();
  }
  void Launch() {
    const std::string scheme = tls_flags_.empty() ? "http://" : "https://";
    const std::string client = scheme + endpoint();
    const std::string listen =
        also_host_.empty() ? client : client + "," + scheme + endpoint_on(also_host_);
    const std::string peer = PeerUrl();
    pid_ = fork();
    if (pid_ == 0) {
      const int fd = ::open((data_dir_ + ".log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      std::vector<std::string> args = {TQDB_ETCD_BINARY,
                                       "--name=" + name_,
                                       "--data-dir=" + data_dir_,
                                       "--listen-client-urls=" + listen,
                                       "--advertise-client-urls=" + client,
                                       "--listen-peer-urls=" + peer,
                                       "--initial-advertise-peer-urls=" + peer,
                                       "--initial-cluster=" + initial_cluster_,
                                       "--log-level=warn"};
      args.insert(args.end(), tls_flags_.begin(), tls_flags_.end());
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
  }
  void WaitServing() {
    // Serving once its client port takes connections (a new member elects itself in ~1 s).
    for (int i = 0; i < 200; ++i) {
      const int fd = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_port = htons(static_cast<uint16_t>(client_port_));
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      const bool up = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
      close(fd);
      if (up) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "etcd did not start; log:\n" << Log();
  }

 private:
  std::string data_dir_;
  std::string also_host_;
  std::vector<std::string> tls_flags_;
  std::string name_;
  int client_port_, peer_port_;
  std::string initial_cluster_;
  pid_t pid_ = -1;
};

// Three members on 127.0.0.1: a quorum survives one member's loss, not two.
class EtcdCluster {
 public:
  explicit EtcdCluster(const std::string& dir, int members = 3) {
    std::vector<int> client(members), peer(members);
    std::string initial;
    for (int i = 0; i < members; ++i) {
      client[i] = FreeLoopbackPort();
      peer[i] = FreeLoopbackPort();
      initial += (i ? "," : "") + Name(i) + "=http://127.0.0.1:" + std::to_string(peer[i]);
    }
    for (int i = 0; i < members; ++i) {
      members_.push_back(
          std::make_unique<EtcdProcess>(dir + "/" + Name(i), Name(i), client[i], peer[i], initial));
    }
    for (auto& member : members_) member->WaitServing();
  }

  EtcdProcess& member(int i) { return *members_[i]; }
  int size() const { return static_cast<int>(members_.size()); }
  // Every member's host:port, comma-separated (what --etcd takes).
  std::string endpoints() const {
    std::string all;
    for (const auto& member : members_) all += (all.empty() ? "" : ",") + member->endpoint();
    return all;
  }

 private:
  static std::string Name(int i) { return "m" + std::to_string(i); }
  std::vector<std::unique_ptr<EtcdProcess>> members_;
};

}  // namespace tqdb::testing
