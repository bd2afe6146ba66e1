// An upsert stream's messages applied two at a time (server/stream_upserts.h), against a
// stand-in that records what runs when: disjoint messages overlap, messages sharing an id never
// do and keep their order, and a failure stops the stream and names what was applied.
#include "stream_upserts.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace tqdb::server {
namespace {

using std::chrono::milliseconds;

v1::UpsertRequest Message(uint64_t first_id, int count) {
  v1::UpsertRequest request;
  request.set_collection("c");
  for (int i = 0; i < count; ++i) request.add_ids(first_id + i);
  return request;
}

// Applies messages by recording them; each waits (up to `wait`) until another message runs
// beside it, so that messages that may overlap do.
struct Recorder {
  explicit Recorder(milliseconds wait) : wait(wait) {}
  const milliseconds wait;
  std::mutex mu;
  std::condition_variable changed;
  int running = 0, most_at_once = 0;
  std::vector<uint64_t> order;  // first id of each message, as they began
  std::vector<uint64_t> fail_first_ids;

  absl::Status Apply(const v1::UpsertRequest& request, v1::UpsertResponse* response) {
    std::unique_lock lock(mu);
    order.push_back(request.ids(0));
    const size_t begun = order.size();
    ++running;
    most_at_once = std::max(most_at_once, running);
    changed.notify_all();
    // Another is running, or began while this one did (and may have ended already).
    changed.wait_for(lock, wait, [&] { return running > 1 || order.size() > begun; });
    --running;
    changed.notify_all();
    for (uint64_t id : fail_first_ids) {
      if (request.ids(0) == id) return absl::InvalidArgumentError("refused");
    }
    response->set_inserted(request.ids_size());
    return absl::OkStatus();
  }
  StreamUpserts::Apply Function() {
    return [this](const v1::UpsertRequest& r, v1::UpsertResponse* out) { return Apply(r, out); };
  }
};

TEST(StreamUpsertsTest, MessagesOfDifferentIdsAreAppliedTwoAtATime) {
  Recorder recorder(milliseconds(3000));
  StreamUpserts upserts(recorder.Function());
  for (int m = 0; m < 6; ++m) ASSERT_TRUE(upserts.Add(Message(m * 100, 100)));
  v1::UpsertResponse total;
  ASSERT_TRUE(upserts.Finish(&total).ok());
  EXPECT_EQ(total.inserted(), 600u);
  EXPECT_EQ(recorder.most_at_once, 2);
  EXPECT_EQ(recorder.order.size(), 6u);
}

TEST(StreamUpsertsTest, MessagesSharingAnIdWaitForEachOtherInOrder) {
  Recorder recorder(milliseconds(200));  // long enough for a wrong overlap to show
  StreamUpserts upserts(recorder.Function());
  // Each message shares one id with the one before it.
  for (int m = 0; m < 4; ++m) ASSERT_TRUE(upserts.Add(Message(m * 99, 100)));
  v1::UpsertResponse total;
  ASSERT_TRUE(upserts.Finish(&total).ok());
  EXPECT_EQ(recorder.most_at_once, 1);
  EXPECT_EQ(recorder.order, (std::vector<uint64_t>{0, 99, 198, 297}));
}

TEST(StreamUpsertsTest, AFailureStopsTheStreamAndSaysWhatWasApplied) {
  Recorder recorder(milliseconds(3000));
  recorder.fail_first_ids = {200};  // the third message
  StreamUpserts upserts(recorder.Function());
  int added = 0;
  for (int m = 0; m < 10; ++m) {
    if (!upserts.Add(Message(m * 100, 100))) break;
    ++added;
  }
  v1::UpsertResponse total;
  const absl::Status status = upserts.Finish(&total);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  // The fourth ran beside the third and was applied; nothing after it was started.
  EXPECT_NE(status.message().find("stream message 2 (the 2 before it are applied, and so is "
                                  "message 3, applied beside it)"),
            std::string::npos)
      << status;
  EXPECT_NE(status.message().find("refused"), std::string::npos) << status;
  EXPECT_EQ(total.inserted(), 300u);
  EXPECT_LE(added, 5);
  EXPECT_LE(recorder.order.size(), 5u);
}

TEST(StreamUpsertsTest, RetiredMessagesComeBackEmptyWithTheirBuffers) {
  Recorder recorder(milliseconds(0));
  StreamUpserts upserts(recorder.Function());
  EXPECT_EQ(upserts.Recycled().ByteSizeLong(), 0u);  // none retired yet: a new one
  const std::string floats(1 << 20, 'x');
  for (int m = 0; m < 4; ++m) {
    v1::UpsertRequest message = upserts.Recycled();
    EXPECT_EQ(message.ByteSizeLong(), 0u) << "message " << m << " kept an earlier one's fields";
    if (m >= 3) {  // two retired by the third Add: their vectors' capacity came back
      EXPECT_GE(message.vectors_f32().capacity(), floats.size());
    }
    message.set_collection("c");
    for (int i = 0; i < 10; ++i) message.add_ids(m * 10 + i);
    message.set_vectors_f32(floats);
    ASSERT_TRUE(upserts.Add(std::move(message)));
  }
  v1::UpsertResponse total;
  ASSERT_TRUE(upserts.Finish(&total).ok());
  EXPECT_EQ(total.inserted(), 40u);
  std::sort(recorder.order.begin(), recorder.order.end());  // two at a time: either may begin
  EXPECT_EQ(recorder.order, (std::vector<uint64_t>{0, 10, 20, 30}));
}

}  // namespace
}  // namespace tqdb::server
