#include "load_generator.h"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <thread>

#include "grpcpp/grpcpp.h"

namespace tqdb::cli {
namespace {

using Clock = std::chrono::steady_clock;

double Percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t i = std::min(sorted.size() - 1, static_cast<size_t>(p * sorted.size()));
  return sorted[i];
}

}  // namespace

LoadReport RunLoad(const std::string& server,
                   const std::shared_ptr<grpc::ChannelCredentials>& credentials,
                   const LoadSpec& spec) {
  const size_t nq = spec.queries.size() / spec.dim;
  std::mutex mu;
  LoadReport report;
  std::vector<double> latencies_ms;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration<double>(spec.duration_s);
  std::vector<std::thread> threads;
  for (int t = 0; t < spec.concurrency; ++t) {
    threads.emplace_back([&, t] {
      // One channel per thread: separate HTTP/2 connections, like separate clients.
      grpc::ChannelArguments args;
      args.SetInt("grpc.use_local_subchannel_pool", 1);
      args.SetMaxReceiveMessageSize(INT32_MAX);
      auto stub = v1::Tqdb::NewStub(grpc::CreateCustomChannel(server, credentials, args));
      std::vector<double> mine;
      size_t requests = 0, queries = 0, errors = 0;
      std::string first_error;
      size_t next = static_cast<size_t>(t) * 7919 % nq;
      while (Clock::now() < deadline) {
        grpc::ClientContext context;
        if (!spec.api_key.empty()) context.AddMetadata("authorization", "Bearer " + spec.api_key);
        grpc::Status status;
        const auto sent = Clock::now();
        if (spec.batch <= 1) {
          v1::SearchRequest request;
          request.set_collection(spec.collection);
          request.mutable_query()->Add(spec.queries.begin() + next * spec.dim,
                                       spec.queries.begin() + (next + 1) * spec.dim);
          *request.mutable_options() = spec.options;
          v1::SearchResponse response;
          status = stub->Search(&context, request, &response);
          next = (next + 1) % nq;
        } else {
          v1::SearchBatchRequest request;
          request.set_collection(spec.collection);
          for (int i = 0; i < spec.batch; ++i) {
            request.mutable_queries()->Add(spec.queries.begin() + next * spec.dim,
                                           spec.queries.begin() + (next + 1) * spec.dim);
            next = (next + 1) % nq;
          }
          *request.mutable_options() = spec.options;
          v1::SearchBatchResponse response;
          status = stub->SearchBatch(&context, request, &response);
        }
        mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - sent).count());
        ++requests;
        if (status.ok()) {
          queries += std::max(1, spec.batch);
        } else if (errors++ == 0) {
          first_error = status.error_message();
        }
      }
      std::lock_guard lock(mu);
      latencies_ms.insert(latencies_ms.end(), mine.begin(), mine.end());
      report.requests += requests;
      report.queries += queries;
      report.errors += errors;
      if (report.first_error.empty()) report.first_error = first_error;
    });
  }
  for (std::thread& thread : threads) thread.join();
  report.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(latencies_ms.begin(), latencies_ms.end());
  report.p50_ms = Percentile(latencies_ms, 0.50);
  report.p95_ms = Percentile(latencies_ms, 0.95);
  report.p99_ms = Percentile(latencies_ms, 0.99);
  return report;
}

}  // namespace tqdb::cli
