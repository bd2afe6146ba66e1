// Network partitions for tests, made with Linux network namespaces (issue 33). The test
// process first moves into a namespace of its own (EnterPrivateNetwork), so nothing it starts
// reaches the machine's network or is reached from it; a second namespace (IsolatedNamespace),
// joined to the first by veth pairs the test takes down and brings up, holds the node to be cut
// off. Both are gone when the test ends: the first with the process, the second removed by its
// destructor. Needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN) and iproute2's `ip`; where either is
// missing the caller skips with the reason these return.
#pragma once

#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

namespace tqdb::testing {

// iproute2's `ip`, or "" when it is not installed.
inline std::string IpBinary() {
  for (const char* path : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"}) {
    if (access(path, X_OK) == 0) return path;
  }
  return "";
}

// Runs `ip <arguments>`; "" on success, else what it printed.
inline std::string RunIp(const std::string& arguments) {
  const std::string command = IpBinary() + " " + arguments + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return "cannot run " + command;
  std::string output;
  char buffer[256];
  while (fgets(buffer, sizeof(buffer), pipe) != nullptr) output += buffer;
  const int status = pclose(pipe);
  if (status == 0) return "";
  return "`ip " + arguments + "` failed: " + (output.empty() ? "no output" : output);
}

// Moves this process into a new network namespace with only its loopback up. Call it before
// any thread starts: threads that exist already stay where they were. "" on success, else why
// not (the tests then skip).
inline std::string EnterPrivateNetwork() {
  if (IpBinary().empty()) return "iproute2's ip is not installed";
  if (unshare(CLONE_NEWNET) != 0) {
    return std::string("cannot create a network namespace (unshare: ") + std::strerror(errno) +
           "; needs root with CAP_SYS_ADMIN and CAP_NET_ADMIN)";
  }
  return RunIp("link set lo up");
}

// A namespace beside the test's, reached through `links` veth pairs: pair i is 10.77.i.1 on
// the test's side and 10.77.i.2 inside. Processes start in it through launcher().
class IsolatedNamespace {
 public:
  IsolatedNamespace(std::string name, int links) : name_(std::move(name)) {
    // A namespace of the same name left by a killed run of this test.
    if (std::filesystem::exists("/var/run/netns/" + name_)) RunIp("netns del " + name_);
    error_ = RunIp("netns add " + name_);
    if (error_.empty()) error_ = RunIp("-n " + name_ + " link set lo up");
    for (int i = 0; i < links && error_.empty(); ++i) {
      const std::string outside = OutsideDevice(i), inside = "tqin" + std::to_string(i);
      for (const std::string& step :
           {"link add " + outside + " type veth peer name " + inside + " netns " + name_,
            "addr add " + OutsideHost(i) + "/24 dev " + outside,
            "-n " + name_ + " addr add " + InsideHost(i) + "/24 dev " + inside,
            "-n " + name_ + " link set " + inside + " up", "link set " + outside + " up"}) {
        error_ = RunIp(step);
        if (!error_.empty()) break;
      }
    }
    // Whether a process can start inside (`ip netns exec` also mounts /sys, which a container
    // may refuse).
    if (error_.empty()) error_ = RunIp("netns exec " + name_ + " " + IpBinary() + " link show");
  }
  ~IsolatedNamespace() { RunIp("netns del " + name_); }
  IsolatedNamespace(const IsolatedNamespace&) = delete;
  IsolatedNamespace& operator=(const IsolatedNamespace&) = delete;

  // "" once made, else why not.
  const std::string& error() const { return error_; }
  // The argv that runs a command inside.
  std::vector<std::string> launcher() const { return {IpBinary(), "netns", "exec", name_}; }
  static std::string OutsideHost(int link) { return "10.77." + std::to_string(link) + ".1"; }
  static std::string InsideHost(int link) { return "10.77." + std::to_string(link) + ".2"; }
  // Nothing crosses link `i` until Restore: its packets are dropped, as a pulled cable's are
  // (no reset reaches either side).
  std::string Cut(int link) { return RunIp("link set " + OutsideDevice(link) + " down"); }
  std::string Restore(int link) { return RunIp("link set " + OutsideDevice(link) + " up"); }

 private:
  static std::string OutsideDevice(int link) { return "tqout" + std::to_string(link); }

  std::string name_;
  std::string error_;
};

}  // namespace tqdb::testing
