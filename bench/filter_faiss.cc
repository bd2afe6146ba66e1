#include "filter_faiss.h"

#include <chrono>
#include <cmath>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "faiss/IndexHNSW.h"
#include "faiss/IndexIVF.h"
#include "faiss/IndexRefine.h"
#include "faiss/impl/FaissException.h"
#include "faiss/impl/IDSelector.h"
#include "faiss/index_factory.h"

namespace tqdb::bench {
namespace {

std::vector<float> Normalized(const float* rows, size_t n, int d) {
  std::vector<float> out(rows, rows + n * d);
  for (size_t i = 0; i < n; ++i) {
    double norm = 0;
    for (int j = 0; j < d; ++j) norm += double(out[i * d + j]) * out[i * d + j];
    const float scale = norm > 0 ? static_cast<float>(1 / std::sqrt(norm)) : 0.0f;
    for (int j = 0; j < d; ++j) out[i * d + j] *= scale;
  }
  return out;
}

// One FAISS index searched one query at a time with its kind's parameters and the selector.
class FaissFiltered final : public FilteredFaissIndex {
 public:
  enum class Kind { kIvfRefine, kHnsw };
  // `knob`: nprobe (IVF) or efSearch (HNSW).
  FaissFiltered(std::string name, std::unique_ptr<faiss::Index> index, Kind kind, int knob)
      : name_(std::move(name)), index_(std::move(index)), kind_(kind), knob_(knob) {}
  const std::string& name() const override { return name_; }
  std::vector<int64_t> Search(const float* query, int k,
                              const std::vector<uint8_t>* bitmap) const override {
    std::unique_ptr<faiss::IDSelectorBitmap> selector;
    if (bitmap != nullptr) {
      selector = std::make_unique<faiss::IDSelectorBitmap>(bitmap->size(), bitmap->data());
    }
    faiss::SearchParametersIVF ivf;
    ivf.nprobe = knob_;
    ivf.sel = selector.get();
    faiss::IndexRefineSearchParameters refine;
    refine.k_factor = 10;  // 100 candidates re-ranked at k = 10
    refine.base_index_params = &ivf;
    refine.sel = selector.get();
    faiss::SearchParametersHNSW hnsw;
    hnsw.efSearch = knob_;
    hnsw.sel = selector.get();
    const faiss::SearchParameters* params =
        kind_ == Kind::kIvfRefine ? static_cast<const faiss::SearchParameters*>(&refine) : &hnsw;
    std::vector<float> distances(k);
    std::vector<faiss::idx_t> labels(k);
    try {
      index_->search(1, query, k, distances.data(), labels.data(), params);
    } catch (const faiss::FaissException& e) {
      return {};  // FAISS refused the selector with this index
    }
    return std::vector<int64_t>(labels.begin(), labels.end());
  }

 private:
  std::string name_;
  std::unique_ptr<faiss::Index> index_;
  Kind kind_;
  int knob_;
};

}  // namespace

std::vector<std::unique_ptr<FilteredFaissIndex>> MakeFilteredFaissIndexes(const float* rows,
                                                                          size_t n, int d,
                                                                          size_t lists, int nprobe,
                                                                          int bytes_per_vector,
                                                                          int ef_search) {
  const std::vector<float> data = Normalized(rows, n, d);
  std::vector<std::unique_ptr<FilteredFaissIndex>> out;
  int m = std::min(d, 2 * bytes_per_vector);
  while (m > 1 && d % m != 0) --m;  // PQ needs m | d
  const std::string ivf = absl::StrCat("IVF", lists, ",PQ", m, "x4fs,RFlat");
  for (const std::string& description : {ivf, std::string("HNSW32,Flat")}) {
    const auto start = std::chrono::steady_clock::now();
    std::unique_ptr<faiss::Index> index(
        faiss::index_factory(d, description.c_str(), faiss::METRIC_INNER_PRODUCT));
    index->train(n, data.data());
    index->add(n, data.data());
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("FAISS %s built in %.1f s\n", description.c_str(), seconds);
    const bool is_ivf = description == ivf;
    const std::string name = is_ivf ? absl::StrCat("FAISS ", description, " nprobe ", nprobe)
                                    : absl::StrCat("FAISS ", description, " efSearch ", ef_search);
    out.push_back(std::make_unique<FaissFiltered>(
        name, std::move(index),
        is_ivf ? FaissFiltered::Kind::kIvfRefine : FaissFiltered::Kind::kHnsw,
        is_ivf ? nprobe : ef_search));
  }
  return out;
}

}  // namespace tqdb::bench
