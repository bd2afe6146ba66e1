#include "tqdb_method.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "bench_util.h"
#include "index/vector_coder.h"  // MeanCenter
#include "tqdb/flat_index.h"
#include "tqdb/quantizer_config.h"

namespace tqdb::bench {
namespace {

// The index both rows of a variant search; built by whichever row is built first.
struct SharedIndex {
  size_t code_bytes = 0;  // known from the quantizer config before the build
  std::unique_ptr<FlatIndex> index;
  BuildTimes times;
};

class TqdbMethod : public Method {
 public:
  TqdbMethod(std::string variant, bool centered, bool rerank, int rerank_candidates,
             FlatIndexOptions options, std::shared_ptr<SharedIndex> shared)
      : variant_(std::move(variant)),
        centered_(centered),
        rerank_(rerank),
        rerank_candidates_(rerank_candidates),
        options_(std::move(options)),
        shared_(std::move(shared)) {}

  std::string family() const override { return "tqdb"; }
  std::string name() const override {
    const QuantizerConfig& q = options_.quantizer;
    // Fractional widths name theirs: the table's bits column holds whole bits.
    const std::string variant =
        q.eighths > 0 ? absl::StrCat(variant_, " @", BitWidthName(q.bits, q.eighths), "b")
                      : variant_;
    return rerank_ ? absl::StrCat(variant, " + rerank ", rerank_candidates_) : variant;
  }
  double bytes_per_vector() const override {
    return code_bytes() + FactorBytes(options_.quantizer);
  }
  double code_bytes() const override { return shared_->code_bytes; }
  std::string extra_memory() const override {
    return rerank_ ? absl::StrCat(options_.quantizer.dim * sizeof(float), " B floats") : "";
  }

  absl::Status Build(const float* base, size_t n, BuildTimes* times) override {
    if (shared_->index == nullptr) {
      const int d = options_.quantizer.dim;
      const Clock::time_point start = Clock::now();
      // What a collection does when the base arrives in one batch: its mean is the center.
      if (centered_) options_.center = MeanCenter(options_.metric, base, n, d);
      absl::StatusOr<std::unique_ptr<FlatIndex>> index = FlatIndex::Create(options_);
      if (!index.ok()) return index.status();
      std::vector<uint64_t> ids(n);
      for (size_t i = 0; i < n; ++i) ids[i] = i;
      if (absl::Status s = (*index)->Add(ids, {base, n * size_t(d)}); !s.ok()) return s;
      shared_->times.add_s = SecondsSince(start);
      shared_->index = *std::move(index);
    }
    *times = shared_->times;
    return absl::OkStatus();
  }

  absl::Status Search(const float* queries, size_t nq, int k, int64_t* labels) const override {
    SearchParameters params;
    params.k = k;
    params.rerank = rerank_;
    params.rerank_candidates = rerank_candidates_;
    const size_t d = options_.quantizer.dim;
    absl::StatusOr<std::vector<std::vector<SearchHit>>> results =
        shared_->index->SearchBatch({queries, nq * d}, params);
    if (!results.ok()) return results.status();
    for (size_t q = 0; q < nq; ++q) {
      const std::vector<SearchHit>& hits = (*results)[q];
      for (int i = 0; i < k; ++i) {
        labels[q * k + i] = i < static_cast<int>(hits.size()) ? hits[i].id : -1;
      }
    }
    return absl::OkStatus();
  }

 private:
  std::string variant_;
  bool centered_;
  bool rerank_;
  int rerank_candidates_;
  FlatIndexOptions options_;
  std::shared_ptr<SharedIndex> shared_;
};

}  // namespace

std::vector<std::string> TqdbVariantNames() {
  // "c-": centered on the base's mean; "/f16": 16-bit factors (factor_bits, 4 bytes);
  // "/dense": the dense Haar rotation instead of the fast one.
  return {"mse-plain",         "mse-ratio",   "mse-unitnorm",    "prod",
          "c-mse-ratio",       "c-prod",      "c-mse-ratio/f16", "c-prod/f16",
          "c-mse-ratio/dense", "c-prod/dense"};
}

std::string TqdbDefaultVariant(int dim, int bits, BenchMetric metric, int eighths) {
  const QuantizerConfig config = DefaultQuantizerConfig(dim, bits, eighths);
  const std::string variant = config.kind == QuantizerKind::kProd
                                  ? "prod"
                                  : absl::StrCat("mse-", MseEstimatorName(config.estimator));
  return metric == BenchMetric::kInnerProduct ? variant : "c-" + variant;
}

std::vector<std::unique_ptr<Method>> MakeTqdbMethods(const std::string& variant, int dim, int bits,
                                                     BenchMetric metric, int rerank_candidates,
                                                     int eighths) {
  FlatIndexOptions options;
  options.metric = metric == BenchMetric::kL2             ? Metric::kL2
                   : metric == BenchMetric::kInnerProduct ? Metric::kInnerProduct
                                                          : Metric::kCosine;
  options.quantizer = DefaultQuantizerConfig(dim, bits, eighths);
  options.store_vectors = rerank_candidates > 0;  // the re-rank row reads them
  std::vector<std::unique_ptr<Method>> methods;
  absl::string_view base_variant = variant;
  const bool centered = absl::ConsumePrefix(&base_variant, "c-");
  if (absl::ConsumeSuffix(&base_variant, "/f16")) options.quantizer.factor_bits = 16;
  if (absl::ConsumeSuffix(&base_variant, "/dense"))
    options.quantizer.rotation = RotationKind::kDense;
  if (centered && options.metric == Metric::kInnerProduct) return methods;  // not centered
  if (!ApplyVariantName(std::string(base_variant), &options.quantizer).ok()) return methods;
  absl::StatusOr<std::unique_ptr<Quantizer>> quantizer = Quantizer::Create(options.quantizer);
  if (!quantizer.ok()) return methods;
  auto shared = std::make_shared<SharedIndex>();
  shared->code_bytes = (*quantizer)->code_bytes();
  for (bool rerank : {false, true}) {
    if (rerank && rerank_candidates <= 0) break;
    methods.push_back(std::make_unique<TqdbMethod>(variant, centered, rerank, rerank_candidates,
                                                   options, shared));
  }
  return methods;
}

}  // namespace tqdb::bench
