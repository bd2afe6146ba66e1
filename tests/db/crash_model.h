// The workload shared by crash_writer (the process that is killed) and crash_recovery_test (which
// checks what survived). Each step is one request; the state after n steps is a pure function of
// n, so the test knows exactly what every acknowledged prefix must look like.
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace tqdb::crash {

inline constexpr int kDim = 16;
inline constexpr int kBits = 4;
inline constexpr uint64_t kBlock = 64;
inline constexpr const char* kCollection = "crash";

enum class StepKind { kInsert, kInsertAndReplace, kDelete };

inline StepKind KindOf(uint64_t step) { return static_cast<StepKind>(step % 3); }

struct Step {
  std::vector<uint64_t> upsert_ids;
  std::vector<uint64_t> delete_ids;
};

// Step s inserts a new block of ids; every third step also replaces a quarter of the previous
// block, and the next one deletes another quarter of the block before.
inline Step MakeStep(uint64_t s) {
  Step step;
  switch (KindOf(s)) {
    case StepKind::kInsertAndReplace:
      for (uint64_t i = kBlock / 4; i < kBlock / 2; ++i)
        step.upsert_ids.push_back((s - 1) * kBlock + i);
      [[fallthrough]];
    case StepKind::kInsert:
      for (uint64_t i = 0; i < kBlock; ++i) step.upsert_ids.push_back(s * kBlock + i);
      break;
    case StepKind::kDelete:
      for (uint64_t i = 0; i < kBlock / 4; ++i) step.delete_ids.push_back((s - 2) * kBlock + i);
      break;
  }
  return step;
}

// The vector written for `id` by step `s`.
inline std::vector<float> VectorFor(uint64_t id, uint64_t s) {
  std::mt19937_64 gen(id * 1000003 + s);
  std::normal_distribution<float> normal;
  std::vector<float> v(kDim);
  for (float& x : v) x = normal(gen);
  return v;
}

inline std::string PayloadFor(uint64_t id, uint64_t s) {
  return std::to_string(id) + ":" + std::to_string(s);
}

// id -> the step that last wrote it, after steps [0, n).
inline std::map<uint64_t, uint64_t> StateAfter(uint64_t n) {
  std::map<uint64_t, uint64_t> state;
  for (uint64_t s = 0; s < n; ++s) {
    const Step step = MakeStep(s);
    for (uint64_t id : step.upsert_ids) state[id] = s;
    for (uint64_t id : step.delete_ids) state.erase(id);
  }
  return state;
}

}  // namespace tqdb::crash
