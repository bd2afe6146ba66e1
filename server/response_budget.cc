#include "response_budget.h"

#include "absl/strings/str_cat.h"

namespace tqdb::server {
namespace {

// Wire bytes of one Record beyond its vector and payload: tags, lengths, id, score, found flag
// and the message header, rounded up.
constexpr size_t kRecordOverhead = 32;

size_t RecordBytes(const Record& record) {
  return kRecordOverhead + record.vector.size() * sizeof(float) + record.payload.size();
}

}  // namespace

absl::Status ResponseBudget::Check(size_t bytes, size_t records) const {
  if (bytes <= max_bytes_) return absl::OkStatus();
  return absl::ResourceExhaustedError(absl::StrCat(
      "the response would hold ", records, " records in about ", bytes >> 20,
      " MiB, over the limit of ", max_bytes_ >> 20,
      " MiB (tqdb-server --max_response_bytes): ask for fewer ids or queries, a smaller k, or "
      "leave out vectors and payloads"));
}

absl::Status ResponseBudget::CheckPlanned(size_t records, int dim, bool with_vectors) const {
  const size_t per_record = kRecordOverhead + (with_vectors ? dim * sizeof(float) : 0);
  return Check(records * per_record, records);
}

absl::Status ResponseBudget::CheckRecords(absl::Span<const Record> records) const {
  size_t bytes = 0;
  for (const Record& record : records) bytes += RecordBytes(record);
  return Check(bytes, records.size());
}

absl::Status ResponseBudget::CheckRecords(absl::Span<const std::vector<Record>> results) const {
  size_t bytes = 0;
  size_t count = 0;
  for (const std::vector<Record>& records : results) {
    for (const Record& record : records) bytes += RecordBytes(record);
    count += records.size();
  }
  return Check(bytes, count);
}

}  // namespace tqdb::server
