#include "index/flat_encoder.h"

namespace tqdb {
namespace {

class FlatEncoder final : public IndexEncoder {
 public:
  explicit FlatEncoder(std::shared_ptr<const VectorCoder> coder) : coder_(std::move(coder)) {}
  size_t code_bytes() const override { return coder_->quantizer().code_bytes(); }
  const std::vector<float>& center() const override { return coder_->center(); }
  void Encode(const float* x, size_t n, EncodedVectors* out) const override {
    const size_t first = out->size(), bytes = code_bytes();
    out->codes.resize((first + n) * bytes);
    out->factors.resize(first + n);
    coder_->EncodeBatch(x, n, &out->codes[first * bytes], &out->factors[first]);
  }

 private:
  std::shared_ptr<const VectorCoder> coder_;
};

}  // namespace

std::shared_ptr<const IndexEncoder> MakeFlatEncoder(std::shared_ptr<const VectorCoder> coder) {
  return std::make_shared<FlatEncoder>(std::move(coder));
}

}  // namespace tqdb
