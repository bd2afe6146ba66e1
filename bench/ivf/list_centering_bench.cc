// What centering a partitioned index's lists buys: recall@10 of the estimates (no re-rank) and
// single-query QPS of the flat scan against IvfIndex with plain lists, lists centered on their
// centroids with one prepared query for all (the default), and centered lists that shift the
// query by each list's centroid (a query preparation per probed list).
//
//   build/bench/list_centering_bench --data=$HOME/.cache/tqdb/memory_bench/glove-10m.fvecs
#include <omp.h>

#include <algorithm>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "bench_util.h"
#include "fvecs.h"
#include "ground_truth.h"
#include "tqdb/flat_index.h"
#include "tqdb/ivf_index.h"
#include "tqdb/simd.h"

ABSL_FLAG(std::string, data, "", "fvecs file; its last --queries rows are the queries");
ABSL_FLAG(size_t, max, 0, "read at most this many rows (0: all)");
ABSL_FLAG(size_t, queries, 300, "held-back queries");
ABSL_FLAG(int, bits, 4, "bits per coordinate");
ABSL_FLAG(std::string, nprobe, "32", "lists probed (comma-separated; 0: every list)");

namespace tqdb {
namespace {

constexpr int kK = 10;

int Run() {
  absl::StatusOr<DenseDataset> data =
      ReadFvecs(absl::GetFlag(FLAGS_data), absl::GetFlag(FLAGS_max));
  if (!data.ok()) {
    std::fprintf(stderr, "%s\n", data.status().ToString().c_str());
    return 1;
  }
  const int d = data->dim;
  const size_t nq = absl::GetFlag(FLAGS_queries), n = data->count - nq;
  const absl::Span<const float> base(data->values.data(), n * d);
  const absl::Span<const float> queries(data->row(n), nq * d);
  // Cosine ground truth: inner products of unit rows.
  std::vector<float> unit_base(base.begin(), base.end()),
      unit_queries(queries.begin(), queries.end());
  NormalizeRows(unit_base, d);
  NormalizeRows(unit_queries, d);
  const std::vector<std::vector<uint64_t>> truth =
      ExactTopKByInnerProduct(unit_base.data(), n, unit_queries.data(), nq, d, kK);
  unit_base = {};
  std::vector<uint64_t> ids(n);
  std::iota(ids.begin(), ids.end(), 0);
  std::printf("# list_centering_bench: %zu vectors, d = %d, %d bits, %zu queries; SIMD %s\n\n", n,
              d, absl::GetFlag(FLAGS_bits), nq, ActiveSimdLevelName());
  std::printf("| index | nprobe | R@10@10 (estimates) | QPS 1t |\n|---|---|---|---|\n");

  auto measure = [&](const char* name, const Index& index, int nprobe) {
    IvfSearchParameters params;
    params.k = kK;
    params.nprobe = nprobe;
    const auto results = *index.SearchBatch(queries, params);
    size_t found = 0;
    for (size_t q = 0; q < nq; ++q) {
      for (const SearchHit& hit : results[q]) {
        found += std::count(truth[q].begin(), truth[q].end(), hit.id);
      }
    }
    const auto start = bench::Clock::now();
    for (size_t q = 0; q < nq; ++q) (void)index.Search(queries.subspan(q * d, d), params);
    std::printf("| %s | %s | %.3f | %.0f |\n", name,
                nprobe == 0 ? "all" : std::to_string(nprobe).c_str(),
                static_cast<double>(found) / (kK * nq), nq / bench::SecondsSince(start));
    std::fflush(stdout);
  };

  const QuantizerConfig quantizer = DefaultQuantizerConfig(d, absl::GetFlag(FLAGS_bits));
  {
    FlatIndexOptions options;
    options.quantizer = quantizer;
    std::unique_ptr<FlatIndex> flat = *FlatIndex::Create(options);
    (void)flat->Add(ids, base);
    measure("flat", *flat, 0);
  }
  struct Variant {
    const char* name;
    bool center, shift;
  };
  for (const Variant& v : {Variant{"IVF plain lists", false, false},
                           Variant{"IVF centered lists (default)", true, false},
                           Variant{"IVF centered lists, query shifted per list", true, true}}) {
    IvfIndexOptions options;
    options.quantizer = quantizer;
    options.center_lists = v.center;
    options.shift_queries_per_list = v.shift;
    const size_t lists = DefaultListCount(n);
    std::unique_ptr<IvfIndex> ivf = *IvfIndex::Train(options, base, lists);
    (void)ivf->Add(ids, base);
    for (int nprobe : bench::ParseIntList(absl::GetFlag(FLAGS_nprobe))) {
      measure(v.name, *ivf, nprobe == 0 ? static_cast<int>(lists) : nprobe);
    }
  }
  return 0;
}

}  // namespace
}  // namespace tqdb

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return tqdb::Run();
}
