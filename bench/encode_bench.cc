// Encoding speed (Google Benchmark): the engine's encoder (normalize, center, rotate, quantize,
// pack) on one thread, against a memcpy of the same input, for d = 100, 1536 and 3072 at 2 and 4
// bits (the default variant, centered cosine). Reports vectors/s and the ratio to memcpy.
//
//   ./build/bench/encode_bench
#include <benchmark/benchmark.h>
#include <omp.h>

#include <cstring>
#include <vector>

#include "index/vector_coder.h"
#include "random_vectors.h"
#include "tqdb/quantizer_config.h"
#include "tqdb/simd.h"

namespace tqdb {
namespace {

constexpr size_t kVectors = 4096;

std::unique_ptr<VectorCoder> MakeCoder(int dim, int bits) {
  QuantizerConfig config = DefaultQuantizerConfig(dim, bits);
  std::vector<float> center(dim, 0.01f);  // centered, as the default collection is
  return *VectorCoder::Create(Metric::kCosine, config, center);
}

void BM_Encode(benchmark::State& state) {
  const int dim = static_cast<int>(state.range(0)), bits = static_cast<int>(state.range(1));
  omp_set_num_threads(1);
  const std::unique_ptr<VectorCoder> coder = MakeCoder(dim, bits);
  const std::vector<float> x = RandomUnitVectors(kVectors, dim, 1);
  std::vector<uint8_t> codes(kVectors * coder->quantizer().code_bytes());
  std::vector<VectorFactors> factors(kVectors);
  for (auto _ : state) {
    coder->EncodeBatch(x.data(), kVectors, codes.data(), factors.data());
    benchmark::DoNotOptimize(codes.data());
  }
  state.counters["vectors/s"] = benchmark::Counter(
      static_cast<double>(kVectors) * state.iterations(), benchmark::Counter::kIsRate);
}

void BM_Memcpy(benchmark::State& state) {
  const int dim = static_cast<int>(state.range(0));
  const std::vector<float> x = RandomUnitVectors(kVectors, dim, 1);
  std::vector<float> y(x.size());
  for (auto _ : state) {
    std::memcpy(y.data(), x.data(), x.size() * sizeof(float));
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["vectors/s"] = benchmark::Counter(
      static_cast<double>(kVectors) * state.iterations(), benchmark::Counter::kIsRate);
}

BENCHMARK(BM_Encode)->ArgsProduct({{100, 1536, 3072}, {2, 4}})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Memcpy)->Arg(100)->Arg(1536)->Arg(3072)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace tqdb

int main(int argc, char** argv) {
  std::printf("tqdb SIMD on this CPU: %s; one thread\n", tqdb::ActiveSimdLevelName());
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
