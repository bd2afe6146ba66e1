// The HTTP server in process, with routes of its own (no database): many clients at once each
// get their own answer (run under ThreadSanitizer too: the connection queue, the body budget
// and the per-thread request state are shared by the worker threads), the bound on the bodies
// in flight refuses what would pass it and frees what each request held, and Stop waits for the
// requests in flight.
#include "http_server.h"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "loopback_socket.h"

namespace tqdb::server {
namespace {

Route TextRoute(const std::string& method, const std::string& pattern,
                std::function<std::string(const HttpCall&)> answer) {
  Route route;
  route.method = method;
  route.pattern = pattern;
  route.summary = "test";
  route.content_type = "text/plain";
  route.handle = [answer = std::move(answer)](const HttpCall& call) -> absl::StatusOr<HttpAnswer> {
    return HttpAnswer{answer(call), "text/plain"};
  };
  return route;
}

// Sends the headers of a POST of `bytes` with "Expect: 100-continue" and returns the first answer.
std::string AskToSend(int port, const std::string& path, size_t bytes) {
  const int fd = testing::ConnectLoopback(port, /*timeout_seconds=*/10);
  std::string reply;
  if (fd < 0) return reply;
  const std::string head =
      absl::StrCat("POST ", path, " HTTP/1.1\r\nHost: x\r\nContent-Length: ", bytes,
                   "\r\nExpect: 100-continue\r\n\r\n");
  (void)!write(fd, head.data(), head.size());
  char buffer[4096];
  const ssize_t got = read(fd, buffer, sizeof(buffer));
  if (got > 0) reply.assign(buffer, got);
  close(fd);
  return reply;
}

std::unique_ptr<HttpServer> Start(std::vector<Route> routes, HttpOptions options, int* port) {
  options.transport.listen = "127.0.0.1:0";
  auto server = std::make_unique<HttpServer>(std::move(routes), options);
  absl::StatusOr<int> bound = server->Start();
  EXPECT_TRUE(bound.ok()) << bound.status();
  *port = bound.value_or(0);
  return server;
}

TEST(HttpServerTest, ConcurrentClientsEachGetTheirOwnAnswer) {
  std::atomic<int> observed{0};
  HttpOptions options;
  options.workers = 4;
  options.observe = [&](const std::string& route, int status, double) {
    if (route == "POST /echo/{word}" && status == 200) ++observed;
  };
  int port = 0;
  auto server = Start({TextRoute("POST", "/echo/{word}",
                                 [](const HttpCall& call) {
                                   return absl::StrCat(call.params[0], ":", call.body);
                                 })},
                      options, &port);
  constexpr int kClients = 6, kRequests = 40;
  std::atomic<int> right{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      httplib::Client client("127.0.0.1", port);
      client.set_keep_alive(c % 2 == 0);  // half reuse one connection, half open one a request
      for (int i = 0; i < kRequests; ++i) {
        const std::string word = absl::StrCat("c", c, "r", i);
        auto reply = client.Post(("/echo/" + word).c_str(), std::to_string(i), "text/plain");
        if (reply && reply->status == 200 && reply->body == word + ":" + std::to_string(i)) {
          ++right;
        }
      }
    });
  }
  for (std::thread& client : clients) client.join();
  EXPECT_EQ(right.load(), kClients * kRequests);
  server->Stop();  // the last answers' observations are made before their connections close
  EXPECT_EQ(observed.load(), kClients * kRequests);
}

TEST(HttpServerTest, BodiesInFlightAreBoundedAndReleased) {
  std::atomic<int> inside{0};
  HttpOptions options;
  options.request_memory_bytes = 1 << 20;
  int port = 0;
  auto server = Start({TextRoute("POST", "/slow",
                                 [&](const HttpCall& call) {
                                   ++inside;
                                   std::this_thread::sleep_for(std::chrono::milliseconds(500));
                                   return std::to_string(call.body.size());
                                 })},
                      options, &port);
  const std::string body(700 << 10, 'x');  // two at once pass the 1 MiB bound
  int first_status = 0;
  std::thread holder([&] {
    const httplib::Result first = httplib::Client("127.0.0.1", port).Post("/slow", body, "a/b");
    first_status = first ? first->status : -1;
  });
  while (inside.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const httplib::Result second = httplib::Client("127.0.0.1", port).Post("/slow", body, "a/b");
  holder.join();
  EXPECT_EQ(first_status, 200);
  // Refused from its headers; a client still sending the body may see the connection close
  // instead of the answer (this client sends it whole before it reads).
  if (second) {
    EXPECT_EQ(second->status, 429);
    EXPECT_NE(second->body.find("RESOURCE_EXHAUSTED"), std::string::npos) << second->body;
  }
  // A client that asks first (Expect: 100-continue, as curl does) is refused before it sends.
  inside = 0;
  std::thread again_holder([&] { httplib::Client("127.0.0.1", port).Post("/slow", body, "a/b"); });
  while (inside.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const std::string refusal = AskToSend(port, "/slow", body.size());
  again_holder.join();
  EXPECT_EQ(refusal.rfind("HTTP/1.1 429", 0), 0u) << refusal;

  // Both are answered and their connections closed: the bound is free again, more than once.
  for (int i = 0; i < 3; ++i) {
    const httplib::Result again = httplib::Client("127.0.0.1", port).Post("/slow", body, "a/b");
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, 200) << again->body;
  }
  // With room, the question is answered 100 Continue. (Last: its body never comes, and its
  // reservation lasts until the server sees the connection close.)
  EXPECT_EQ(AskToSend(port, "/slow", body.size()).rfind("HTTP/1.1 100", 0), 0u);
}

TEST(HttpServerTest, StopWaitsForTheRequestsInFlight) {
  std::atomic<bool> started{false};
  int port = 0;
  auto server = Start({TextRoute("GET", "/slow",
                                 [&](const HttpCall&) {
                                   started = true;
                                   std::this_thread::sleep_for(std::chrono::milliseconds(300));
                                   return std::string("done");
                                 })},
                      HttpOptions{}, &port);
  std::string answer;
  std::thread client([&] {
    const httplib::Result reply = httplib::Client("127.0.0.1", port).Get("/slow");
    answer = reply ? reply->body : "no answer";
  });
  while (!started) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  server->Stop();
  client.join();
  EXPECT_EQ(answer, "done");
  // And the port is closed.
  EXPECT_FALSE(httplib::Client("127.0.0.1", port).Get("/slow"));
}

}  // namespace
}  // namespace tqdb::server
