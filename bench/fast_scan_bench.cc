// Scan speed: tqdb's fast-scan kernels against FAISS IndexPQFastScan (m x 4-bit) at the same
// code bytes per vector, on the same data, in the same run, single thread and all threads.
// Also the tqdb scalar reference scan and a plain read of the code array (the bandwidth floor).
//
//   ./build/bench/fast_scan_bench [--bits=2,4] [--queries=1000] [--datasets_dir=...]
#include <omp.h>

#include <chrono>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "faiss_methods.h"
#include "fvecs.h"
#include "ground_truth.h"
#include "tqdb/flat_index.h"
#include "tqdb/simd.h"

ABSL_FLAG(std::string, datasets_dir, "", "folder with glove-100.fvecs (default: shared datasets)");
ABSL_FLAG(std::string, bits, "2,4", "bits per coordinate to measure (comma-separated)");
ABSL_FLAG(size_t, queries, 1000, "held-back queries (the last rows)");
ABSL_FLAG(size_t, base_copies, 1,
          "index the base this many times over (ids distinct), to scan more codes than fit in "
          "cache; recall is then against the single-copy ground truth, so it is not printed");
ABSL_FLAG(std::string, variant, "mse-ratio",
          "tqdb variant: mse-ratio, mse-plain, mse-unitnorm, prod, or default (per bit width)");

namespace tqdb {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kK = 10;

double Seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double Recall(const std::vector<std::vector<uint64_t>>& found,
              const std::vector<std::vector<uint64_t>>& truth) {
  double hits = 0;
  for (size_t q = 0; q < truth.size(); ++q) {
    const std::set<uint64_t> t(truth[q].begin(), truth[q].end());
    for (uint64_t id : found[q]) hits += t.count(id);
  }
  return hits / (truth.size() * kK);
}

struct Timing {
  double qps = 0;
  std::vector<std::vector<uint64_t>> ids;
};

Timing RunTqdb(const FlatIndex& index, const std::vector<float>& queries, size_t nq,
               bool reference) {
  SearchParams params;
  params.k = kK;
  params.reference_scan = reference;
  const auto start = Clock::now();
  auto results = *index.SearchBatch(queries, params);
  Timing t;
  t.qps = nq / Seconds(start);
  for (const auto& hits : results) {
    t.ids.emplace_back();
    for (const SearchHit& h : hits) t.ids.back().push_back(h.id);
  }
  return t;
}

Timing RunFaiss(const bench::Method& method, const std::vector<float>& queries, size_t nq) {
  std::vector<int64_t> labels(nq * kK);
  const auto start = Clock::now();
  if (!method.Search(queries.data(), nq, kK, labels.data()).ok()) return {};
  Timing t;
  t.qps = nq / Seconds(start);
  for (size_t q = 0; q < nq; ++q) {
    t.ids.emplace_back(labels.begin() + q * kK, labels.begin() + (q + 1) * kK);
  }
  return t;
}

// Queries/s of a loop that only reads every byte of `codes` once per query.
double MemoryReadQps(const std::vector<uint8_t>& codes, size_t nq) {
  uint64_t sink = 0;
  const auto start = Clock::now();
#pragma omp parallel for reduction(+ : sink) schedule(static)
  for (size_t q = 0; q < nq; ++q) {
    const uint64_t* words = reinterpret_cast<const uint64_t*>(codes.data());
    uint64_t acc = q;
    for (size_t i = 0; i < codes.size() / 8; ++i) acc += words[i];
    sink += acc;
  }
  const double qps = nq / Seconds(start);
  if (sink == 42) std::printf(" ");
  return qps;
}

int Run() {
  std::string dir = absl::GetFlag(FLAGS_datasets_dir);
  if (dir.empty()) dir = DatasetsDir();
  absl::StatusOr<DenseDataset> glove = ReadFvecs(dir + "/glove-100.fvecs");
  if (!glove.ok()) {
    std::fprintf(stderr, "%s\n", glove.status().ToString().c_str());
    return 1;
  }
  const int d = glove->dim;
  const size_t nq = absl::GetFlag(FLAGS_queries), n1 = glove->count - nq;
  const size_t copies = std::max<size_t>(1, absl::GetFlag(FLAGS_base_copies)), n = n1 * copies;
  std::vector<float> base;
  base.reserve(n * d);
  for (size_t c = 0; c < copies; ++c) {
    base.insert(base.end(), glove->values.begin(), glove->values.begin() + n1 * d);
  }
  std::vector<float> queries(glove->values.begin() + n1 * d, glove->values.end());
  NormalizeRows(base, d);  // cosine similarity as inner product of unit vectors, for both
  NormalizeRows(queries, d);
  const auto truth = ExactTopKByInnerProduct(base.data(), n1, queries.data(), nq, d, kK);
  std::vector<uint64_t> ids(n);
  for (size_t i = 0; i < n; ++i) ids[i] = i;
  const int all_threads = omp_get_max_threads();

  std::printf(
      "GloVe-100: %zu base, %zu queries, k = %d, cosine. tqdb variant %s, SIMD: %s. "
      "FAISS: Debian libfaiss 1.7.3, built without AVX2 (its fast-scan runs its emulated "
      "SIMD path).\n\n",
      n, nq, kK, absl::GetFlag(FLAGS_variant).c_str(), ActiveSimdLevelName());
  std::printf(
      "| bits | threads | code bytes | tqdb QPS | FAISS PQ m x 4fs QPS | tqdb/FAISS | tqdb "
      "reference QPS | memory-read QPS | tqdb/memory | tqdb ns/vector | tqdb GB/s | "
      "recall tqdb | recall FAISS |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (absl::string_view b : absl::StrSplit(absl::GetFlag(FLAGS_bits), ',')) {
    int bits = 0;
    if (!absl::SimpleAtoi(b, &bits)) continue;
    FlatIndexOptions options;
    options.metric = Metric::kInnerProduct;
    options.quantizer = DefaultQuantizerConfig(d, bits);
    if (absl::Status s = ApplyVariantName(absl::GetFlag(FLAGS_variant), &options.quantizer);
        !s.ok()) {
      std::fprintf(stderr, "%s\n", s.ToString().c_str());
      return 1;
    }
    auto index = *FlatIndex::Create(options);
    if (!index->Add(ids, base).ok()) return 1;
    const size_t code_bytes = index->quantizer().code_bytes();

    // Same code bytes: m = 2 x code bytes sub-quantizers of 4 bits; where m does not divide d,
    // the vectors are zero-padded with the real columns spread over the sub-spaces
    // (bench/recall/faiss_methods.h), so FAISS has exactly tqdb's code bytes.
    std::unique_ptr<bench::Method> faiss_index;
    for (auto& method : bench::MakeFaissMethods(d, static_cast<int>(code_bytes),
                                                bench::BenchMetric::kInnerProduct, "")) {
      if (method->name().rfind("PQ fast scan", 0) == 0) faiss_index = std::move(method);
    }
    if (faiss_index == nullptr) {
      std::printf("| %d | FAISS fast scan cannot store %zu bytes at d = %d |\n", bits, code_bytes,
                  d);
      continue;
    }
    bench::BuildTimes faiss_build;
    if (!faiss_index->Build(base.data(), n, &faiss_build).ok()) return 1;

    std::vector<uint8_t> code_array(n * code_bytes);
    for (int threads : {1, all_threads}) {
      omp_set_num_threads(threads);
      const Timing fast = RunTqdb(*index, queries, nq, false);
      const Timing reference = RunTqdb(*index, queries, nq, true);
      const Timing faiss_t = RunFaiss(*faiss_index, queries, nq);
      const double memory = MemoryReadQps(code_array, nq);
      const double ns_per_vector = 1e9 / (fast.qps * n) * threads;
      const double gbs = fast.qps * n * code_bytes / 1e9;
      std::printf(
          "| %d | %d | %zu | %.0f | %.0f | %.2f | %.0f | %.0f | %.2f | %.2f | %.2f | %.3f "
          "| %.3f |\n",
          bits, threads, code_bytes, fast.qps, faiss_t.qps, fast.qps / faiss_t.qps, reference.qps,
          memory, fast.qps / memory, ns_per_vector, gbs,
          copies == 1 ? Recall(fast.ids, truth) : -1.0,
          copies == 1 ? Recall(faiss_t.ids, truth) : -1.0);
      std::fflush(stdout);
    }
    std::printf("| %d | (FAISS %s train + add: %.1f s) |\n", bits, faiss_index->name().c_str(),
                faiss_build.train_s + faiss_build.add_s);
  }
  omp_set_num_threads(all_threads);
  return 0;
}

}  // namespace
}  // namespace tqdb

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return tqdb::Run();
}
