// The response-size limit: a request whose answer would exceed it (a large SearchBatch with a
// huge k and vectors, say) gets RESOURCE_EXHAUSTED with the numbers, instead of a response
// hundreds of megabytes large that the server must build in memory first.
#pragma once

#include <cstddef>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "tqdb/collection.h"

namespace tqdb::server {

class ResponseBudget {
 public:
  explicit ResponseBudget(size_t max_bytes) : max_bytes_(max_bytes) {}

  // Checked before any work: `records` results of dimension `dim`, payloads not counted yet
  // (their sizes are unknown until they are read).
  absl::Status CheckPlanned(size_t records, int dim, bool with_vectors) const;
  // Checked on the results, payloads included, before the response message is built.
  absl::Status CheckRecords(absl::Span<const Record> records) const;
  absl::Status CheckRecords(absl::Span<const std::vector<Record>> results) const;

 private:
  absl::Status Check(size_t bytes, size_t records) const;
  const size_t max_bytes_;
};

}  // namespace tqdb::server
