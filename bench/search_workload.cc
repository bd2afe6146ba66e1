// A fixed search workload for instruction counts: on a shared, noisy machine the one comparison
// of two builds that does not move between runs is `valgrind --tool=callgrind` on the same
// work. Flat and partitioned (100 lists, nprobe 16) indexes over the committed GloVe fixture
// (tests/data/glove-100-10k.fvecs, last 300 rows as queries), 4 bits, floats kept; three rounds
// of single queries without and with re-rank on both, and one batch on the flat index. Prints a
// checksum of the results, which must not change when the maths does not.
//
//   OMP_NUM_THREADS=1 valgrind --tool=callgrind build/bench/search_workload
//
// (valgrind has no AVX-512: it runs the AVX2 kernels.)
#include <cstdio>
#include <numeric>
#include <vector>

#include "fvecs.h"
#include "tqdb/flat_index.h"
#include "tqdb/ivf_index.h"

#ifndef TQDB_SOURCE_DIR
#define TQDB_SOURCE_DIR "."
#endif

int main() {
  using namespace tqdb;
  absl::StatusOr<DenseDataset> data =
      ReadFvecs(std::string(TQDB_SOURCE_DIR) + "/tests/data/glove-100-10k.fvecs");
  if (!data.ok()) {
    std::fprintf(stderr, "%s\n", data.status().ToString().c_str());
    return 1;
  }
  const size_t d = data->dim, nq = 300, n = data->count - nq;
  std::vector<uint64_t> ids(n);
  std::iota(ids.begin(), ids.end(), 0);
  const absl::Span<const float> base(data->values.data(), n * d);
  const absl::Span<const float> queries(data->values.data() + n * d, nq * d);

  FlatIndexOptions flat_options;
  flat_options.quantizer = DefaultQuantizerConfig(static_cast<int>(d), 4);
  flat_options.store_vectors = true;
  std::unique_ptr<FlatIndex> flat = *FlatIndex::Create(flat_options);
  if (!flat->Add(ids, base).ok()) return 1;
  IvfIndexOptions ivf_options;
  ivf_options.quantizer = flat_options.quantizer;
  ivf_options.store_vectors = true;
  std::unique_ptr<IvfIndex> ivf = *IvfIndex::Train(ivf_options, base, 100);
  if (!ivf->Add(ids, base).ok()) return 1;

  size_t checksum = 0;
  for (int round = 0; round < 3; ++round) {
    for (bool rerank : {false, true}) {
      IvfSearchParameters params;
      params.k = 10;
      params.rerank = rerank;
      params.nprobe = 16;
      for (size_t q = 0; q < nq; ++q) {
        const auto query = queries.subspan(q * d, d);
        checksum += (*flat->Search(query, params))[0].id + (*ivf->Search(query, params))[0].id;
      }
      checksum += (*flat->SearchBatch(queries, params))[5][0].id;
    }
  }
  std::printf("checksum %zu\n", checksum);
  return 0;
}
