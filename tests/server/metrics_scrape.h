// A real server's metrics endpoint read as a scraper reads it (tests only): raw HTTP on
// 127.0.0.1, the port from the server's log, and the Prometheus text parsed into samples.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <regex>
#include <string>

#include "gtest/gtest.h"
#include "server_process.h"

namespace tqdb::testing {

inline int Connect(int port, int timeout_seconds) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  timeval timeout{timeout_seconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  return fd;
}

// Sends `request` as it is and returns the response: its head and, when it gives a
// Content-Length, that many bytes of body (none for HEAD); else what comes until the server
// closes or `timeout_seconds` pass without a byte. (No half-close: the server, as browsers and
// Prometheus expect, drops a client that has shut down its side.)
inline std::string Exchange(int port, const std::string& request, int timeout_seconds = 10) {
  const int fd = Connect(port, timeout_seconds);
  (void)!send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string response;
  char buffer[4096];
  size_t wanted = std::string::npos;  // bytes of the whole response, once the head is in
  while (response.size() < wanted) {
    const ssize_t got = read(fd, buffer, sizeof(buffer));
    if (got <= 0) break;
    response.append(buffer, got);
    const size_t head = response.find("\r\n\r\n");
    if (wanted == std::string::npos && head != std::string::npos) {
      std::smatch length;
      const std::string header = response.substr(0, head);
      if (std::regex_search(header, length,
                            std::regex(R"(\r\nContent-Length: ([0-9]+))", std::regex::icase))) {
        wanted = head + 4 + (request.rfind("HEAD ", 0) == 0 ? 0 : std::stoul(length[1]));
      }
    }
  }
  close(fd);
  return response;
}

// GET http://127.0.0.1:`port`/metrics; the response body.
inline std::string Scrape(int port) {
  const std::string response =
      Exchange(port, "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", 30);
  const size_t body = response.find("\r\n\r\n");
  EXPECT_NE(response.find(" 200 "), std::string::npos) << response.substr(0, 200);
  return body == std::string::npos ? "" : response.substr(body + 4);
}

inline int MetricsPort(const ServerProcess& server) {
  std::smatch match;
  const std::string log = server.Log();
  EXPECT_TRUE(std::regex_search(log, match, std::regex("metrics=127\\.0\\.0\\.1:([0-9]+)"))) << log;
  return match.empty() ? 0 : std::stoi(match[1]);
}

// Every sample, by its name and labels; fails the test on a line that is not Prometheus text
// (values as Go's ParseFloat reads them: NaN and Inf in any case).
inline std::map<std::string, double> Parse(const std::string& text) {
  static const std::regex sample(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})?) ([-+]?([0-9.eE+-]+|[Ii][Nn][Ff]|[Nn][Aa][Nn]))$)");
  std::map<std::string, double> samples;
  size_t start = 0;
  for (size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
    const std::string line = text.substr(start, end - start);
    if (line.empty() || line[0] == '#') continue;
    std::smatch match;
    EXPECT_TRUE(std::regex_match(line, match, sample)) << "not Prometheus text: " << line;
    if (!match.empty()) samples[match[1]] = std::stod(match[3]);
  }
  return samples;
}

}  // namespace tqdb::testing
