#include "faiss_methods.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "bench_util.h"
#include "faiss/IndexPQ.h"
#include "faiss/IndexPQFastScan.h"
#include "faiss/IndexScalarQuantizer.h"
#include "faiss/impl/FaissException.h"
#include "faiss/index_factory.h"
#include "faiss/utils/utils.h"
#include "quant/bit_packing.h"
#include "tqdb/simd.h"
#if __has_include(<faiss/utils/simd_levels.h>)
#include "faiss/utils/simd_levels.h"  // FAISS >= 1.13: run-time SIMD dispatch
#define TQDB_FAISS_HAS_SIMD_CONFIG 1
#endif

namespace tqdb::bench {
namespace {

faiss::MetricType FaissMetric(BenchMetric metric) {
  return metric == BenchMetric::kL2 ? faiss::METRIC_L2 : faiss::METRIC_INNER_PRODUCT;
}

// How a FAISS index is fed: `columns` maps each padded column to a real one (-1: zero), empty
// when there is no padding; every value is multiplied by `scale`.
struct InputLayout {
  std::vector<int> columns;
  float scale = 1.0f;
};

class FaissMethod : public Method {
 public:
  FaissMethod(std::string name, double bytes, int dim, InputLayout layout,
              std::unique_ptr<faiss::Index> index)
      : name_(std::move(name)),
        bytes_(bytes),
        dim_(dim),
        layout_(std::move(layout)),
        index_(std::move(index)) {}

  std::string family() const override { return "faiss"; }
  std::string name() const override { return name_; }
  double bytes_per_vector() const override { return bytes_; }

  absl::Status Build(const float* base, size_t n, BuildTimes* times) override {
    const std::vector<float> prepared = Prepare(base, n);
    const float* x = prepared.empty() ? base : prepared.data();
    auto start = std::chrono::steady_clock::now();
    index_->train(n, x);
    times->train_s = SecondsSince(start);
    start = std::chrono::steady_clock::now();
    index_->add(n, x);
    times->add_s = SecondsSince(start);
    return absl::OkStatus();
  }

  absl::Status Search(const float* queries, size_t nq, int k, int64_t* labels) const override {
    const std::vector<float> prepared = Prepare(queries, nq);
    std::vector<float> distances(nq * k);
    std::vector<int64_t> found(nq * k);  // faiss::idx_t (Index::idx_t before FAISS 1.8)
    index_->search(nq, prepared.empty() ? queries : prepared.data(), k, distances.data(),
                   found.data());
    for (size_t i = 0; i < nq * k; ++i) labels[i] = found[i];
    return absl::OkStatus();
  }

 private:
  // The rows as the index takes them, or empty when they go in unchanged.
  std::vector<float> Prepare(const float* rows, size_t n) const {
    if (layout_.columns.empty() && layout_.scale == 1.0f) return {};
    if (layout_.columns.empty()) {
      std::vector<float> out(rows, rows + n * dim_);
      for (float& v : out) v *= layout_.scale;
      return out;
    }
    return PadRows(rows, n, dim_, layout_.columns, layout_.scale);
  }

  std::string name_;
  double bytes_;
  int dim_;
  InputLayout layout_;
  std::unique_ptr<faiss::Index> index_;
};

// The padded column layout for m sub-spaces, or empty when m divides d.
InputLayout LayoutFor(int dim, int subspaces) {
  if (dim % subspaces == 0) return {};
  return {SpreadColumns(dim, subspaces)};
}

int PaddedDim(int dim, int subspaces) { return subspaces * ((dim + subspaces - 1) / subspaces); }

// An index from a FAISS index_factory description, or null when this FAISS cannot build it (an
// older FAISS without RaBitQ or TurboQuant).
std::unique_ptr<faiss::Index> FromFactory(int dim, const std::string& description,
                                          faiss::MetricType metric) {
  try {
    return std::unique_ptr<faiss::Index>(faiss::index_factory(dim, description.c_str(), metric));
  } catch (const faiss::FaissException&) {
    return nullptr;
  }
}

std::string FaissSimdLevel() {
#ifdef TQDB_FAISS_HAS_SIMD_CONFIG
  return absl::StrCat(faiss::SIMDConfig::get_level_name(),
                      faiss::SIMDConfig::has_dynamic_dispatch() ? " (run-time dispatch)" : "");
#else
  // Older FAISS is compiled for one level; its compile options name it ("GENERIC", "AVX2", ...).
  std::string options = faiss::get_compile_options();
  while (!options.empty() && options.back() == ' ') options.pop_back();
  return options;
#endif
}

std::string CpuModel() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) != 0) continue;
    const size_t colon = line.find(':');
    if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
  }
  return "unknown CPU";
}

bool HasTurboQuant() { return FromFactory(8, "SQtqmse2", faiss::METRIC_INNER_PRODUCT) != nullptr; }

}  // namespace

bool IsPqFastScan(const std::string& method_name) {
  return method_name.rfind("PQ", 0) == 0 && absl::StrContains(method_name, "x4fs");
}

bool FaissHasNativeSimd() {
  const std::string level = FaissSimdLevel();
  return absl::StrContains(level, "AVX2") || absl::StrContains(level, "AVX512") ||
         absl::StrContains(level, "NEON") || absl::StrContains(level, "SVE");
}

std::string FaissDescription() {
  std::string text = absl::StrCat("FAISS ", FAISS_VERSION_MAJOR, ".", FAISS_VERSION_MINOR, ".",
                                  FAISS_VERSION_PATCH, " (SIMD: ", FaissSimdLevel(), ")");
#if !__has_include(<faiss/IndexRaBitQ.h>)
  absl::StrAppend(&text, ", no RaBitQ (added in FAISS 1.11)");
#endif
  if (!HasTurboQuant()) absl::StrAppend(&text, ", no TurboQuant scalar quantizers");
  return text;
}

std::string BaselineHeader() {
  std::string text = absl::StrCat("CPU: ", CpuModel(), "; tqdb SIMD: ", ActiveSimdLevelName(),
                                  "; baseline: ", FaissDescription(), ".");
  if (!FaissHasNativeSimd()) {
    absl::StrAppend(&text,
                    "\n**Baseline is a FAISS built without AVX2 (Debian's libfaiss-dev): its "
                    "speed ratios are not meaningful.** Build the pinned FAISS "
                    "(../shared/third_party/build-faiss.sh) for real ones.");
  }
  return text;
}

std::vector<float> PadRows(const float* rows, size_t n, int dim, const std::vector<int>& columns,
                           float scale) {
  const size_t width = columns.size();
  std::vector<float> out(n * width, 0.0f);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < width; ++j) {
      if (columns[j] >= 0) out[i * width + j] = rows[i * dim + columns[j]] * scale;
    }
  }
  return out;
}

std::vector<int> SpreadColumns(int dim, int subspaces) {
  const int width = (dim + subspaces - 1) / subspaces;
  std::vector<int> columns(static_cast<size_t>(subspaces) * width, -1);
  int next = 0;
  for (int s = 0; s < subspaces; ++s) {
    // Sub-space s gets the real columns [dim * s / m, dim * (s + 1) / m).
    const int end = static_cast<int>(static_cast<long>(dim) * (s + 1) / subspaces);
    for (int j = 0; next < end; ++j) columns[s * width + j] = next++;
  }
  return columns;
}

std::vector<std::unique_ptr<Method>> MakeFaissBitMethods(int dim, int bits, BenchMetric metric) {
  std::vector<std::unique_ptr<Method>> methods;
  // FAISS's names: RaBitQ with b - 1 extra bits, its fast-scan form, TurboQuant MSE after a
  // random rotation, and full TurboQuant (b - 1 MSE bits + 1 QJL bit, from 2 bits).
  std::vector<std::string> descriptions = {absl::StrCat("RaBitQ", bits),
                                           absl::StrCat("RaBitQfs", bits),
                                           absl::StrCat("RR", dim, ",SQtqmse", bits)};
  if (bits >= 2) descriptions.push_back(absl::StrCat("SQtq", bits));
  for (const std::string& description : descriptions) {
    std::unique_ptr<faiss::Index> index = FromFactory(dim, description, FaissMetric(metric));
    if (index == nullptr) continue;
    const double bytes = static_cast<double>(index->sa_code_size());
    // SQtqmse's Lloyd-Max table is for N(0, 1) coordinates, while a rotated unit vector's are
    // N(0, 1/d): scaled by sqrt(d), the data meets the table (ranking is scale-free). Unscaled,
    // only its central cells are used (measured: equal recall at 1, 2 and 3 bits).
    InputLayout layout;
    if (absl::StrContains(description, "SQtqmse"))
      layout.scale = std::sqrt(static_cast<float>(dim));
    methods.push_back(std::make_unique<FaissMethod>(description, bytes, dim, std::move(layout),
                                                    std::move(index)));
  }
  return methods;
}

std::vector<std::unique_ptr<Method>> MakeFaissMethods(int dim, int code_bytes, BenchMetric metric,
                                                      const std::string& label) {
  std::vector<std::unique_ptr<Method>> methods;
  const faiss::MetricType faiss_metric = FaissMetric(metric);
  const std::string suffix = label.empty() ? "" : absl::StrCat(" (", label, ")");
  if (code_bytes <= dim) {  // sub-spaces of at least one real column each
    const int m = code_bytes;
    methods.push_back(std::make_unique<FaissMethod>(
        absl::StrCat("PQ", m, "x8", suffix), code_bytes, dim, LayoutFor(dim, m),
        std::make_unique<faiss::IndexPQ>(PaddedDim(dim, m), m, 8, faiss_metric)));
  }
  if (2 * code_bytes <= dim) {
    const int m = 2 * code_bytes;
    methods.push_back(std::make_unique<FaissMethod>(
        absl::StrCat("PQ", m, "x4fs", suffix), code_bytes, dim, LayoutFor(dim, m),
        std::make_unique<faiss::IndexPQFastScan>(PaddedDim(dim, m), m, 4, faiss_metric)));
  }
  // Scalar quantizer types that store exactly this many bytes: 4 or 8 bits per coordinate.
  struct SqType {
    faiss::ScalarQuantizer::QuantizerType type;
    const char* name;
    int bits;
  };
  for (const SqType& sq : {SqType{faiss::ScalarQuantizer::QT_4bit, "SQ4", 4},
                           SqType{faiss::ScalarQuantizer::QT_4bit_uniform, "SQ4 uniform", 4},
                           SqType{faiss::ScalarQuantizer::QT_8bit, "SQ8", 8}}) {
    if (PackedBytes(dim, sq.bits) != static_cast<size_t>(code_bytes)) continue;
    methods.push_back(std::make_unique<FaissMethod>(
        absl::StrCat(sq.name, suffix), code_bytes, dim, InputLayout{},
        std::make_unique<faiss::IndexScalarQuantizer>(dim, sq.type, faiss_metric)));
  }
  return methods;
}

void DropFaissRows(const std::string& prefixes, std::vector<std::unique_ptr<Method>>* methods) {
  const std::vector<std::string> skip = absl::StrSplit(prefixes, ',', absl::SkipEmpty());
  std::erase_if(*methods, [&](const std::unique_ptr<Method>& m) {
    return m->family() != "tqdb" &&
           std::any_of(skip.begin(), skip.end(),
                       [&](const std::string& p) { return absl::StartsWith(m->name(), p); });
  });
}

}  // namespace tqdb::bench
