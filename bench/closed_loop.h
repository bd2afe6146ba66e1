// A closed-loop search load, as VectorDBBench and `tqdb bench` drive one: `threads` callers,
// each sending its next request as soon as the last one answers, for a fixed time. Throughput
// and per-request latency percentiles; the caller's function does the search (in process, over
// gRPC, or on FAISS), so every system is driven by the same loop.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tqdb::bench {

struct LoadFigures {
  size_t requests = 0;
  size_t errors = 0;
  double qps = 0;  // queries answered per second
  double p50_ms = 0, p95_ms = 0, p99_ms = 0;
};

// `search(thread, rows, count)` answers `count` queries (row-major, dim floats each) and says
// whether it succeeded. Each request takes the next `batch` of the `nq` queries in `queries`,
// each thread starting at its own place.
inline LoadFigures RunClosedLoop(
    int threads, double seconds, const float* queries, size_t nq, int dim, int batch,
    const std::function<bool(int thread, const float* rows, size_t count)>& search) {
  using Clock = std::chrono::steady_clock;
  std::mutex mu;
  std::vector<double> latencies;
  LoadFigures figures;
  size_t answered = 0;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration<double>(seconds);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::vector<double> mine;
      std::vector<float> request(static_cast<size_t>(batch) * dim);
      size_t next = static_cast<size_t>(t) * 7919 % nq, done = 0, failed = 0;
      while (Clock::now() < deadline) {
        for (int i = 0; i < batch; ++i, next = (next + 1) % nq) {
          std::copy_n(queries + next * dim, dim, request.begin() + static_cast<size_t>(i) * dim);
        }
        const auto sent = Clock::now();
        const bool ok = search(t, request.data(), batch);
        mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - sent).count());
        if (ok) {
          done += batch;
        } else {
          ++failed;
        }
      }
      std::lock_guard lock(mu);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
      answered += done;
      figures.errors += failed;
    });
  }
  for (std::thread& worker : workers) worker.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(latencies.begin(), latencies.end());
  auto percentile = [&](double p) {
    return latencies.empty() ? 0.0
                             : latencies[std::min(latencies.size() - 1,
                                                  static_cast<size_t>(p * latencies.size()))];
  };
  figures.requests = latencies.size();
  figures.qps = answered / elapsed;
  figures.p50_ms = percentile(0.50);
  figures.p95_ms = percentile(0.95);
  figures.p99_ms = percentile(0.99);
  return figures;
}

}  // namespace tqdb::bench
