#include "ivf_methods.h"

#include <algorithm>
#include <chrono>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "bench_util.h"
#include "faiss/IVFlib.h"
#include "faiss/IndexHNSW.h"
#include "faiss/IndexIVF.h"
#include "faiss/IndexRefine.h"
#include "faiss/impl/FaissException.h"
#include "faiss/index_factory.h"
#include "faiss_methods.h"
#include "quant/bit_packing.h"
#include "tqdb/ivf_index.h"
#include "tqdb/quantizer.h"

namespace tqdb::bench {
namespace {

constexpr int kRerankCandidates = 100;

class TqdbIvf : public IvfMethod {
 public:
  TqdbIvf(int dim, int bits, size_t lists, bool rerank, size_t training_points_per_list,
          bool probe_by_direction, int factor_bits)
      : dim_(dim),
        bits_(bits),
        factor_bits_(factor_bits),
        lists_(lists),
        rerank_(rerank),
        training_points_per_list_(training_points_per_list),
        probe_by_direction_(probe_by_direction) {}

  std::string name() const override {
    return absl::StrCat("tqdb IVF", lists_, " b=", bits_, rerank_ ? " +rerank" : "");
  }
  double bytes_per_vector() const override {
    return static_cast<double>(PackedBytes(dim_, bits_) + 2 * factor_bits_ / 8);
  }

  absl::Status Build(const float* base, size_t n, BuildTimes* times) override {
    IvfIndexOptions options;
    options.metric = Metric::kCosine;
    options.quantizer = DefaultQuantizerConfig(dim_, bits_);
    options.quantizer.factor_bits = factor_bits_;
    options.store_vectors = rerank_;
    options.probe_by_direction = probe_by_direction_;
    if (training_points_per_list_ > 0) {
      options.training_points_per_list = training_points_per_list_;
    }
    auto start = Clock::now();
    absl::StatusOr<std::unique_ptr<IvfIndex>> index =
        IvfIndex::Train(options, absl::MakeConstSpan(base, n * dim_), lists_);
    if (!index.ok()) return index.status();
    times->train_s = SecondsSince(start);
    index_ = std::move(*index);
    std::vector<uint64_t> ids(n);
    std::iota(ids.begin(), ids.end(), 0);
    start = Clock::now();
    absl::Status added = index_->Add(ids, absl::MakeConstSpan(base, n * dim_));
    times->add_s = SecondsSince(start);
    return added;
  }

  absl::Status Search(const float* queries, size_t nq, int k, int nprobe,
                      int64_t* labels) const override {
    IvfSearchParameters params;
    params.k = k;
    params.nprobe = nprobe;
    params.rerank = rerank_;
    params.rerank_candidates = kRerankCandidates;
    std::fill(labels, labels + nq * k, -1);
    if (nq == 1) {
      auto hits = index_->Search(absl::MakeConstSpan(queries, dim_), params);
      if (!hits.ok()) return hits.status();
      for (size_t i = 0; i < hits->size(); ++i) labels[i] = static_cast<int64_t>((*hits)[i].id);
      return absl::OkStatus();
    }
    auto results = index_->SearchBatch(absl::MakeConstSpan(queries, nq * dim_), params);
    if (!results.ok()) return results.status();
    for (size_t q = 0; q < nq; ++q) {
      for (size_t i = 0; i < (*results)[q].size(); ++i) {
        labels[q * k + i] = static_cast<int64_t>((*results)[q][i].id);
      }
    }
    return absl::OkStatus();
  }

 private:
  int dim_, bits_, factor_bits_;
  size_t lists_;
  bool rerank_;
  size_t training_points_per_list_;
  bool probe_by_direction_;
  std::unique_ptr<IvfIndex> index_;
};

class FaissIvf : public IvfMethod {
 public:
  // `columns`: padded column -> real column (-1: zero), empty when the rows go in unchanged.
  FaissIvf(std::string name, double bytes, int dim, std::vector<int> columns,
           std::unique_ptr<faiss::Index> index)
      : name_(std::move(name)),
        bytes_(bytes),
        dim_(dim),
        columns_(std::move(columns)),
        index_(std::move(index)) {}

  std::string name() const override { return name_; }
  double bytes_per_vector() const override { return bytes_; }

  absl::Status Build(const float* base, size_t n, BuildTimes* times) override {
    const std::vector<float> padded = Prepare(base, n);
    const float* rows = padded.empty() ? base : padded.data();
    try {
      auto start = Clock::now();
      index_->train(n, rows);
      times->train_s = SecondsSince(start);
      start = Clock::now();
      index_->add(n, rows);
      times->add_s = SecondsSince(start);
    } catch (const faiss::FaissException& e) {
      return absl::InternalError(e.what());
    }
    return absl::OkStatus();
  }

  absl::Status Search(const float* queries, size_t nq, int k, int nprobe,
                      int64_t* labels) const override {
    faiss::ivflib::extract_index_ivf(index_.get())->nprobe = nprobe;
    const std::vector<float> padded = Prepare(queries, nq);
    std::vector<float> distances(nq * k);
    std::vector<int64_t> found(nq * k);  // faiss::idx_t (Index::idx_t before FAISS 1.8)
    index_->search(nq, padded.empty() ? queries : padded.data(), k, distances.data(), found.data());
    for (size_t i = 0; i < nq * k; ++i) labels[i] = found[i];
    return absl::OkStatus();
  }

 private:
  // The rows spread over the padded columns, or empty when they go in unchanged (no copy: at
  // 1M x 1536 a copy is 6 GB, and the last row of that run was killed for memory).
  std::vector<float> Prepare(const float* rows, size_t n) const {
    if (columns_.empty()) return {};
    return PadRows(rows, n, dim_, columns_);
  }

  std::string name_;
  double bytes_;
  int dim_;
  std::vector<int> columns_;
  std::unique_ptr<faiss::Index> index_;
};

class FaissHnsw : public IvfMethod {
 public:
  FaissHnsw(int dim, std::vector<int> ef_search)
      : dim_(dim),
        ef_search_(std::move(ef_search)),
        index_(dim, kLinks, faiss::METRIC_INNER_PRODUCT) {}

  std::string name() const override { return "HNSW32,Flat"; }
  // The floats and the bottom layer's 2 x 32 links of 4 bytes (upper layers add a little).
  double bytes_per_vector() const override { return 4.0 * dim_ + 2 * kLinks * 4; }

  absl::Status Build(const float* base, size_t n, BuildTimes* times) override {
    try {
      times->train_s = 0;
      const auto start = Clock::now();
      index_.add(n, base);
      times->add_s = SecondsSince(start);
    } catch (const faiss::FaissException& e) {
      return absl::InternalError(e.what());
    }
    return absl::OkStatus();
  }

  absl::Status Search(const float* queries, size_t nq, int k, int ef_search,
                      int64_t* labels) const override {
    faiss::SearchParametersHNSW params;
    params.efSearch = ef_search;
    std::vector<float> distances(nq * k);
    std::vector<int64_t> found(nq * k);
    index_.search(nq, queries, k, distances.data(), found.data(), &params);
    for (size_t i = 0; i < nq * k; ++i) labels[i] = found[i];
    return absl::OkStatus();
  }

  std::vector<int> Sweep(const std::vector<int>&, size_t) const override { return ef_search_; }

 private:
  static constexpr int kLinks = 32;
  int dim_;
  std::vector<int> ef_search_;
  faiss::IndexHNSWFlat index_;
};

// The factory's index, or null when this FAISS cannot build it.
std::unique_ptr<faiss::Index> FromFactory(int dim, const std::string& description) {
  try {
    return std::unique_ptr<faiss::Index>(
        faiss::index_factory(dim, description.c_str(), faiss::METRIC_INNER_PRODUCT));
  } catch (const faiss::FaissException&) {
    return nullptr;
  }
}

}  // namespace

std::unique_ptr<IvfMethod> MakeFaissHnsw(int dim, std::vector<int> ef_search) {
  return std::make_unique<FaissHnsw>(dim, std::move(ef_search));
}

std::unique_ptr<IvfMethod> MakeTqdbIvf(int dim, int bits, size_t lists, bool rerank,
                                       size_t training_points_per_list, bool probe_by_direction,
                                       int factor_bits) {
  return std::make_unique<TqdbIvf>(dim, bits, lists, rerank, training_points_per_list,
                                   probe_by_direction, factor_bits);
}

std::vector<std::unique_ptr<IvfMethod>> MakeFaissIvfs(int dim, int bits, double bytes,
                                                      size_t lists) {
  std::vector<std::unique_ptr<IvfMethod>> methods;
  // PQ fast scan: m 4-bit sub-quantizers (m / 2 bytes), even, at most one per real column.
  const int m = std::min(dim, static_cast<int>(2 * bytes)) & ~1;
  const int width = m * ((dim + m - 1) / m);
  std::vector<int> columns;
  if (width != dim) columns = SpreadColumns(dim, m);
  for (bool refine : {false, true}) {
    const std::string pq = absl::StrCat("IVF", lists, ",PQ", m, "x4fs", refine ? ",RFlat" : "");
    const std::string rabitq =
        absl::StrCat("IVF", lists, ",RaBitQfs", bits, refine ? ",RFlat" : "");
    for (const auto& [description, padded] : {std::pair{pq, true}, std::pair{rabitq, false}}) {
      std::unique_ptr<faiss::Index> index = FromFactory(padded ? width : dim, description);
      if (index == nullptr) continue;
      if (auto* refined = dynamic_cast<faiss::IndexRefine*>(index.get())) {
        refined->k_factor = kRerankCandidates / 10.0f;  // 100 candidates at k = 10
      }
      const faiss::IndexIVF* ivf = faiss::ivflib::extract_index_ivf(index.get());
      // PQ: m / 2 bytes; RaBitQ: its code with its per-vector factors, as FAISS stores them.
      const double row_bytes = padded ? m / 2.0 : static_cast<double>(ivf->code_size);
      methods.push_back(std::make_unique<FaissIvf>(
          description, row_bytes, dim, padded ? columns : std::vector<int>(), std::move(index)));
    }
  }
  return methods;
}

}  // namespace tqdb::bench
