#include "index/ivf/ivf_encoder.h"

namespace tqdb::ivf {
namespace {

class IvfEncoder final : public IndexEncoder {
 public:
  IvfEncoder(Metric metric, std::shared_ptr<const CoarseQuantizer> coarse,
             std::vector<std::shared_ptr<const VectorCoder>> list_coders)
      : metric_(metric), coarse_(std::move(coarse)), list_coders_(std::move(list_coders)) {}
  size_t code_bytes() const override { return list_coders_[0]->quantizer().code_bytes(); }
  const std::vector<float>& center() const override { return no_center_; }

  void Encode(const float* x, size_t n, EncodedVectors* out) const override {
    const int d = coarse_->dim();
    const size_t first = out->size(), bytes = code_bytes();
    out->codes.resize((first + n) * bytes);
    out->factors.resize(first + n);
    out->lists.resize(first + n);
    uint32_t* lists = &out->lists[first];
    coarse_->Assign(CoarseRows(metric_, d, absl::MakeConstSpan(x, n * d)).data(), n, lists);
    // Each row with its list's coder; rows of one list need not be adjacent.
#pragma omp parallel for schedule(static) if (n > 64)
    for (size_t i = 0; i < n; ++i) {
      list_coders_[lists[i]]->Encode(x + i * d, &out->codes[(first + i) * bytes],
                                     &out->factors[first + i]);
    }
  }

 private:
  const Metric metric_;
  const std::shared_ptr<const CoarseQuantizer> coarse_;
  const std::vector<std::shared_ptr<const VectorCoder>> list_coders_;
  const std::vector<float> no_center_;
};

}  // namespace

std::shared_ptr<const IndexEncoder> MakeIvfEncoder(
    Metric metric, std::shared_ptr<const CoarseQuantizer> coarse,
    std::vector<std::shared_ptr<const VectorCoder>> list_coders) {
  return std::make_shared<IvfEncoder>(metric, std::move(coarse), std::move(list_coders));
}

}  // namespace tqdb::ivf
