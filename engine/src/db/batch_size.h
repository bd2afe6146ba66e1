// The batch-size rule of upsert, delete and get (kMaxBatchSize in tqdb/collection.h), in one place.
#pragma once

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tqdb/collection.h"

namespace tqdb {

// `n` ids for the operation `what` ("upsert", "delete", "get"): 1..kMaxBatchSize.
inline absl::Status CheckBatchSize(size_t n, const char* what) {
  if (n == 0) return absl::InvalidArgumentError(absl::StrCat("empty ", what, ": no ids"));
  if (n > kMaxBatchSize) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " of ", n, " ids exceeds the limit of ", kMaxBatchSize, "; split it"));
  }
  return absl::OkStatus();
}

}  // namespace tqdb
