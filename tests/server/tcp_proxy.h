// A TCP forwarder on 127.0.0.1 that a test can cut and restore: a network partition between one
// process and another (a node and etcd) without root or network namespaces. While cut, open
// connections are reset and new ones are closed as soon as they are accepted.
#pragma once

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "etcd_process.h"
#include "loopback_socket.h"

namespace tqdb::testing {

class TcpProxy {
 public:
  explicit TcpProxy(int target_port) : target_port_(target_port), port_(FreeLoopbackPort()) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    const int yes = 1;
    setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port_));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    listen(listener_, 64);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }
  ~TcpProxy() {
    stopping_ = true;
    acceptor_.join();
    Cut();
    close(listener_);
    std::lock_guard lock(mu_);
    for (std::thread& pump : pumps_) pump.join();
    for (int fd : open_) close(fd);
  }

  std::string endpoint() const { return "127.0.0.1:" + std::to_string(port_); }

  // Resets every open connection and refuses new ones until Restore.
  void Cut() {
    cut_ = true;
    std::lock_guard lock(mu_);
    for (int fd : open_) shutdown(fd, SHUT_RDWR);
  }
  void Restore() { cut_ = false; }

 private:
  void AcceptLoop() {
    while (!stopping_) {
      pollfd ready{.fd = listener_, .events = POLLIN, .revents = 0};
      if (poll(&ready, 1, 50) <= 0) continue;
      const int client = accept(listener_, nullptr, nullptr);
      if (client < 0) continue;
      const int server = cut_ ? -1 : ConnectLoopback(target_port_, 0);
      if (server < 0) {
        close(client);
        continue;
      }
      std::lock_guard lock(mu_);
      open_.push_back(client);
      open_.push_back(server);
      pumps_.emplace_back([client, server] { Pump(client, server); });
      pumps_.emplace_back([client, server] { Pump(server, client); });
    }
  }
  // Copies `from` to `to` until either ends, then ends both directions.
  static void Pump(int from, int to) {
    char buffer[16384];
    for (;;) {
      const ssize_t n = read(from, buffer, sizeof(buffer));
      if (n <= 0 || write(to, buffer, static_cast<size_t>(n)) != n) break;
    }
    shutdown(from, SHUT_RDWR);
    shutdown(to, SHUT_RDWR);
  }

  const int target_port_;
  const int port_;
  int listener_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> cut_{false};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<int> open_;  // closed with the proxy (the pumps only shut them down)
  std::vector<std::thread> pumps_;
};

}  // namespace tqdb::testing
