// Whether a collection stores each vector's code as that vector encoded relative to the center
// the collection uses now (the auto center re-encodes earlier vectors when it is taken).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "index/vector_coder.h"
#include "tqdb/collection.h"

namespace tqdb::testing {

class StoredCodeCheck {
 public:
  // Reads the collection's config and current center once.
  explicit StoredCodeCheck(const Collection& collection) : collection_(collection) {
    const CollectionInfo info = collection.Describe();
    absl::StatusOr<std::unique_ptr<VectorCoder>> coder =
        VectorCoder::Create(info.config.metric, info.config.quantizer, info.center);
    if (coder.ok()) {
      coder_ = *std::move(coder);
    } else {
      ADD_FAILURE() << coder.status();
    }
  }

  // The stored code and both factors of `id` equal the encoding of `vector`.
  ::testing::AssertionResult Matches(uint64_t id, const float* vector) const {
    if (coder_ == nullptr) return ::testing::AssertionFailure() << "no coder";
    std::vector<uint8_t> code(coder_->quantizer().code_bytes());
    VectorFactors factors;
    coder_->EncodeBatch(vector, 1, code.data(), &factors);
    absl::StatusOr<StoredCode> stored = collection_.GetStoredCode(id);
    if (!stored.ok())
      return ::testing::AssertionFailure() << "id " << id << ": " << stored.status();
    if (stored->code != code || stored->factors.norm != factors.norm ||
        stored->factors.aux != factors.aux) {
      return ::testing::AssertionFailure() << "id " << id << " has the wrong stored code";
    }
    return ::testing::AssertionSuccess();
  }

 private:
  const Collection& collection_;
  std::unique_ptr<VectorCoder> coder_;
};

}  // namespace tqdb::testing
