// The messages of one upsert stream (UpsertStream), applied in order, and two at a time when
// neither names an id of the other: the second's validation, encoding and table file then
// overlap the first's commit under the collection's write lock, which a d = 1536 load's
// messages had taken by turns with nothing else running. Messages that share an id wait for
// each other, so the last message to name an id wins, as when applied one by one.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "tqdb/v1/tqdb.pb.h"

namespace tqdb::server {

class StreamUpserts {
 public:
  using Apply = std::function<absl::Status(const v1::UpsertRequest&, v1::UpsertResponse*)>;

  explicit StreamUpserts(Apply apply) : apply_(std::move(apply)) {}
  StreamUpserts(const StreamUpserts&) = delete;
  StreamUpserts& operator=(const StreamUpserts&) = delete;
  ~StreamUpserts();  // waits for the messages in flight

  // Starts applying the stream's next message once the earlier ones it must follow are done.
  // False once a message has failed: nothing more is started, Finish says why.
  bool Add(v1::UpsertRequest message);
  // An empty message to read the next one into: a retired one, cleared, which keeps the
  // capacity of its fields (its vectors' ~8 MiB), so the next read does not touch new memory.
  v1::UpsertRequest Recycled();
  // Waits for every message. OK with the sums of their responses in `total`, or the first
  // failure, naming the message and the ones applied.
  absl::Status Finish(v1::UpsertResponse* total);

 private:
  struct InFlight {
    size_t number = 0;  // in the stream, from 0
    v1::UpsertRequest request;
    absl::flat_hash_set<uint64_t> ids;
    v1::UpsertResponse response;
    std::future<absl::Status> done;
  };
  // Waits for the oldest message in flight and takes its outcome.
  void Retire();

  static constexpr size_t kInFlight = 2;
  const Apply apply_;
  std::deque<std::unique_ptr<InFlight>> in_flight_;
  std::vector<v1::UpsertRequest> retired_;  // applied, to be read into again
  size_t next_number_ = 0;
  uint64_t inserted_ = 0, replaced_ = 0;
  std::optional<size_t> failed_number_;  // the first message that failed, its status
  absl::Status failure_;
  bool applied_after_failure_ = false;  // a later message, in flight beside it, was applied
};

}  // namespace tqdb::server
