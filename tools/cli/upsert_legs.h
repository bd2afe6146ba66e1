// The sending half of `tqdb load` and `tqdb import`: rows go to the server as upsert messages of
// `batch` rows, in legs of a few messages on a stream of their own. A leg counts once the server
// has answered it, and the checkpoint moves past it, so an interrupted run resumes after the last
// acknowledged leg. Progress is drawn as messages go out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "grpcpp/grpcpp.h"
#include "load_checkpoint.h"
#include "tqdb/v1/tqdb.grpc.pb.h"

namespace tqdb::cli {

struct UpsertTotals {
  uint64_t inserted = 0;
  uint64_t replaced = 0;
};

// Sets the ids, vectors and payloads of rows [begin, end) in `request` (called with ascending,
// adjoining ranges, so a reader can stream).
using FillRows = std::function<absl::Status(size_t begin, size_t end, v1::UpsertRequest* request)>;

struct UpsertLegs {
  v1::Tqdb::Stub* stub = nullptr;
  std::function<void(grpc::ClientContext*)> authorize;  // adds the API key, if any
  std::string collection;
  size_t rows = 0;   // all of the input's rows
  size_t batch = 0;  // rows per message
  LoadCheckpoint* checkpoint = nullptr;
  std::string checkpoint_path;  // for the message that says how to resume
};

// Sends rows [checkpoint->rows_done(), rows). On a refusal the message names what the server
// said and, when some legs were acknowledged, how to resume.
absl::Status SendUpsertLegs(const UpsertLegs& legs, const FillRows& fill, UpsertTotals* totals);

}  // namespace tqdb::cli
