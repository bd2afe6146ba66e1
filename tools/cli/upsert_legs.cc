#include "upsert_legs.h"

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "progress.h"

namespace tqdb::cli {

absl::Status SendUpsertLegs(const UpsertLegs& legs, const FillRows& fill, UpsertTotals* totals) {
  // Messages per leg: each leg is a stream of its own, answered before the next starts.
  constexpr size_t kLegMessages = 32;
  const size_t resumed = legs.checkpoint->rows_done();
  Progress progress("rows sent", legs.rows, resumed);
  v1::UpsertRequest request;
  for (size_t leg = resumed; leg < legs.rows; leg += legs.batch * kLegMessages) {
    const size_t leg_end = std::min(legs.rows, leg + legs.batch * kLegMessages);
    grpc::ClientContext context;
    legs.authorize(&context);
    v1::UpsertResponse response;
    auto writer = legs.stub->UpsertStream(&context, &response);
    absl::Status filled;
    for (size_t begin = leg; begin < leg_end; begin += legs.batch) {
      const size_t end = std::min(leg_end, begin + legs.batch);
      // Cleared, not made anew: its fields keep their buffers (megabytes of floats) from one
      // message to the next instead of allocating and page-faulting them in again.
      request.Clear();
      request.set_collection(legs.collection);
      filled = fill(begin, end, &request);
      if (!filled.ok()) break;
      if (!writer->Write(request)) break;  // the server ended the stream; Finish says why
      progress.Update(end);
    }
    if (!filled.ok()) context.TryCancel();  // nothing of this leg counts
    writer->WritesDone();
    const grpc::Status status = writer->Finish();
    if (!filled.ok() || !status.ok()) {
      progress.Finish();
      const std::string resume =
          legs.checkpoint->rows_done() > 0 && !legs.checkpoint_path.empty()
              ? absl::StrCat("; the server acknowledged ", legs.checkpoint->rows_done(),
                             " rows: run again with --checkpoint=", legs.checkpoint_path,
                             " to resume after them")
              : "";
      if (!filled.ok()) return absl::Status(filled.code(), absl::StrCat(filled.message(), resume));
      return absl::Status(
          static_cast<absl::StatusCode>(status.error_code()),
          absl::StrCat("the server refused rows: ", status.error_message(), resume));
    }
    totals->inserted += response.inserted();
    totals->replaced += response.replaced();
    if (absl::Status saved = legs.checkpoint->Save(leg_end); !saved.ok()) return saved;
  }
  progress.Finish();
  legs.checkpoint->Finish();
  return absl::OkStatus();
}

}  // namespace tqdb::cli
