// The fast-scan kernels alone, per SIMD level (Google Benchmark): the nibble-lookup kernel over
// a working set of 150,000 vectors (the size of GloVe-100; past L2, as in a real scan) and the
// block-pruning kernel. Reports ns per vector; levels the CPU lacks are skipped.
//
//   ./build/bench/scan_kernels_bench [--benchmark_filter=Scan/avx512]
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "index/scan/prune_kernels.h"
#include "index/scan/scan_kernels.h"
#include "index/store/nibble_blocks.h"
#include "tqdb/simd.h"

namespace tqdb::scan {
namespace {

constexpr size_t kVectors = 150000;
constexpr size_t kBlocks = kVectors / kBlockSize;

struct Level {
  const char* name;
  ScanLevel level;
  ScanBlockFn scan;
  PruneBlockFn prune;
};
constexpr Level kLevels[] = {
    {"scalar", ScanLevel::kScalar, ScanBlockScalar, PruneBlockScalar},
    {"avx2", ScanLevel::kAvx2, ScanBlockAvx2, PruneBlockAvx2},
    {"avx512", ScanLevel::kAvx512, ScanBlockAvx512, PruneBlockAvx512},
};

// Groups: d = 100 at 1, 2 and 4 bits (25, 52 with padding, 100) and d = 1536 at 2 and 4 bits.
void ScanArgs(benchmark::internal::Benchmark* b) {
  for (int groups : {28, 52, 100, 768, 1536}) b->Arg(groups);
}

void BM_Scan(benchmark::State& state, const Level& level) {
  if (!CpuSupports(level.level)) {
    state.SkipWithError("this CPU lacks the instruction set");
    return;
  }
  const int groups = static_cast<int>(state.range(0));
  // At most 64 MiB of codes, so the largest widths still fit in memory comfortably.
  const size_t blocks = std::min(kBlocks, (size_t{64} << 20) / (size_t{1} * groups * kGroupBytes));
  std::vector<uint8_t> codes(blocks * groups * kGroupBytes), tables(size_t{1} * groups * 16);
  std::mt19937 gen(1);
  for (uint8_t& c : codes) c = static_cast<uint8_t>(gen());
  for (uint8_t& t : tables) t = static_cast<uint8_t>(gen());
  alignas(64) uint32_t sums[kBlockSize];
  for (auto _ : state) {
    for (size_t b = 0; b < blocks; ++b) {
      level.scan(codes.data() + b * groups * kGroupBytes, tables.data(), groups, sums);
      benchmark::DoNotOptimize(sums);
    }
  }
  state.counters["ns/vector"] =
      benchmark::Counter(static_cast<double>(blocks * kBlockSize) * state.iterations(),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_Prune(benchmark::State& state, const Level& level) {
  if (!CpuSupports(level.level)) {
    state.SkipWithError("this CPU lacks the instruction set");
    return;
  }
  std::mt19937 gen(2);
  std::uniform_real_distribution<float> unit(0, 1);
  std::vector<uint32_t> sums(kVectors);
  std::vector<float> norms(kVectors), auxs(kVectors);
  for (size_t i = 0; i < kVectors; ++i) {
    sums[i] = gen() % 25500;
    norms[i] = unit(gen);
    auxs[i] = unit(gen);
  }
  PruneTerms terms;
  terms.q0 = -1, terms.q1 = 1e-4f, terms.e = 0.01f, terms.a_const = 0, terms.a_norm = 2;
  terms.c0 = -1, terms.c1 = -1;
  for (auto _ : state) {
    uint32_t kept = 0;
    for (size_t b = 0; b < kBlocks; ++b) {
      const size_t first = b * kBlockSize;
      kept += level.prune(terms, &sums[first], &sums[first], &norms[first], &auxs[first],
                          kBlockSize, 0.5f);
    }
    benchmark::DoNotOptimize(kept);
  }
  state.counters["ns/vector"] =
      benchmark::Counter(static_cast<double>(kBlocks * kBlockSize) * state.iterations(),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

int Register() {
  for (const Level& level : kLevels) {
    benchmark::RegisterBenchmark((std::string("Scan/") + level.name).c_str(), BM_Scan, level)
        ->Apply(ScanArgs);
    benchmark::RegisterBenchmark((std::string("Prune/") + level.name).c_str(), BM_Prune, level);
  }
  return 0;
}
const int registered = Register();

}  // namespace
}  // namespace tqdb::scan

int main(int argc, char** argv) {
  std::printf("tqdb SIMD on this CPU: %s\n", tqdb::ActiveSimdLevelName());
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
