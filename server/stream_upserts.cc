#include "stream_upserts.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tqdb/status_macros.h"

namespace tqdb::server {

StreamUpserts::~StreamUpserts() {
  while (!in_flight_.empty()) Retire();
}

bool StreamUpserts::Add(v1::UpsertRequest message) {
  auto part = std::make_unique<InFlight>();
  part->ids.insert(message.ids().begin(), message.ids().end());
  while (in_flight_.size() >= kInFlight) Retire();
  // One left in flight: this one goes beside it only if they share no id.
  if (!in_flight_.empty() && std::any_of(part->ids.begin(), part->ids.end(), [&](uint64_t id) {
        return in_flight_.back()->ids.contains(id);
      })) {
    Retire();
  }
  if (failed_number_.has_value()) return false;
  part->number = next_number_++;
  part->request = std::move(message);
  InFlight* raw = part.get();
  raw->done =
      std::async(std::launch::async, [this, raw] { return apply_(raw->request, &raw->response); });
  in_flight_.push_back(std::move(part));
  return true;
}

void StreamUpserts::Retire() {
  std::unique_ptr<InFlight> part = std::move(in_flight_.front());
  in_flight_.pop_front();
  const absl::Status status = part->done.get();
  if (retired_.size() < kInFlight) retired_.push_back(std::move(part->request));
  if (status.ok()) {
    inserted_ += part->response.inserted();
    replaced_ += part->response.replaced();
    if (failed_number_.has_value()) applied_after_failure_ = true;
  } else if (!failed_number_.has_value()) {
    failed_number_ = part->number;
    failure_ = status;
  }
}

v1::UpsertRequest StreamUpserts::Recycled() {
  if (retired_.empty()) return v1::UpsertRequest();
  v1::UpsertRequest message = std::move(retired_.back());
  retired_.pop_back();
  message.Clear();
  return message;
}

absl::Status StreamUpserts::Finish(v1::UpsertResponse* total) {
  while (!in_flight_.empty()) Retire();
  total->set_inserted(inserted_);
  total->set_replaced(replaced_);
  if (!failed_number_.has_value()) return absl::OkStatus();
  const size_t n = *failed_number_;
  return WithContext(
      failure_, absl::StrCat("stream message ", n, " (the ", n, " before it are applied",
                             applied_after_failure_ ? absl::StrCat(", and so is message ", n + 1,
                                                                   ", applied beside it")
                                                    : "",
                             ")"));
}

}  // namespace tqdb::server
