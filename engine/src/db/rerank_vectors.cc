#include "db/rerank_vectors.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include "quant/half_float.h"

namespace tqdb {
namespace {

size_t RowBytes(RerankStore store, int dim) {
  switch (store) {
    case RerankStore::kFloat16:
      return sizeof(float) + 2 * size_t{1} * dim;
    case RerankStore::kInt8:
      return sizeof(float) + size_t{1} * dim;
    case RerankStore::kDisk:
    case RerankStore::kFloat32:
    case RerankStore::kMapped:
      break;
  }
  return sizeof(float) * size_t{1} * dim;
}

// Every half's float, built once: decoding is one load per coordinate.
const std::array<float, 65536>& HalfTable() {
  static const std::array<float, 65536>* table = [] {
    auto* t = new std::array<float, 65536>;
    for (uint32_t h = 0; h < 65536; ++h) (*t)[h] = HalfToFloat(static_cast<uint16_t>(h));
    return t;
  }();
  return *table;
}

}  // namespace

RerankVectors::RerankVectors(RerankStore store, int dim)
    : store_(store), dim_(dim), rows_(RowBytes(store, dim)) {}

absl::StatusOr<std::unique_ptr<RerankVectors>> RerankVectors::Create(RerankStore store, int dim,
                                                                     const std::string& directory,
                                                                     uint64_t keep_free) {
  auto vectors = std::make_unique<RerankVectors>(store, dim);
  if (store == RerankStore::kMapped) {
    absl::StatusOr<std::unique_ptr<MappedRows>> mapped =
        MappedRows::Create(directory, RowBytes(store, dim), keep_free);
    if (!mapped.ok()) return mapped.status();
    vectors->mapped_ = *std::move(mapped);
  }
  return vectors;
}

void RerankVectors::Encode(const float* x, uint8_t* row) const {
  // mmap's rows are the floats too (kept in rows_ only when constructed without its file).
  if (store_ == RerankStore::kFloat32 || store_ == RerankStore::kMapped) {
    std::memcpy(row, x, dim_ * sizeof(float));
    return;
  }
  float scale = 0;
  for (int j = 0; j < dim_; ++j) scale = std::max(scale, std::abs(x[j]));
  std::memcpy(row, &scale, sizeof(scale));
  uint8_t* values = row + sizeof(scale);
  const float inverse = scale > 0 ? 1 / scale : 0;
  for (int j = 0; j < dim_; ++j) {
    const float unit = std::clamp(x[j] * inverse, -1.0f, 1.0f);
    if (store_ == RerankStore::kFloat16) {
      const uint16_t h = FloatToHalf(unit);
      std::memcpy(values + 2 * j, &h, sizeof(h));
    } else {
      values[j] = static_cast<uint8_t>(static_cast<int8_t>(std::lround(unit * 127)));
    }
  }
}

void RerankVectors::CopyRow(size_t from, size_t to) {
  if (mapped_ != nullptr) {
    mapped_->Copy(from, to);
    return;
  }
  std::memcpy(rows_.slot(to), rows_.slot(from), rows_.width());
}

void RerankVectors::Put(absl::Span<const uint64_t> ids, absl::Span<const float> vectors) {
  size_t run_first = 0, run_slot = 0, run_length = 0;  // rows going to consecutive slots
  const auto write_run = [&] {
    if (run_length > 0) {
      mapped_->WriteRows(run_slot, run_length,
                         reinterpret_cast<const uint8_t*>(&vectors[run_first * dim_]));
    }
    run_length = 0;
  };
  for (size_t i = 0; i < ids.size(); ++i) {
    std::optional<Location> at = ids_.Find(ids[i]);
    if (!at.has_value()) {
      at = ids_.Insert(ids[i], 0);
      ResizeRows(at->slot + 1);
    }
    if (mapped_ == nullptr) {
      Encode(&vectors[i * dim_], rows_.slot(at->slot));
      continue;
    }
    // The file takes the floats as they are: new ids take consecutive slots, one write a run.
    if (run_length > 0 && at->slot == run_slot + run_length) {
      ++run_length;
      continue;
    }
    write_run();
    run_first = i;
    run_slot = at->slot;
    run_length = 1;
  }
  if (mapped_ != nullptr) write_run();
}

void RerankVectors::Remove(absl::Span<const uint64_t> ids) {
  for (uint64_t id : ids) {
    const std::optional<Location> hole = ids_.Remove(id);
    if (!hole.has_value()) continue;
    // The id map moved the last slot into the hole: so do the rows.
    const size_t last = RowCount() - 1;
    if (hole->slot != last) CopyRow(last, hole->slot);
    ResizeRows(last);
  }
}

std::optional<size_t> RerankVectors::RowOf(uint64_t id) const {
  // Rows keep their insertion order until a removal moves the last one, and loads insert runs of
  // consecutive ids: the row that order predicts is checked first, one read where the hash set
  // takes two dependent ones (its slot, then the id stored for it); a server's re-rank lookups
  // were 6% of its time.
  const size_t rows = ids_.size();
  if (rows > 0) {
    const uint64_t guess = id - ids_.id({0, 0});
    if (guess < rows && ids_.id({0, static_cast<uint32_t>(guess)}) == id) return guess;
  }
  const std::optional<Location> at = ids_.Find(id);
  if (!at.has_value()) return std::nullopt;
  return at->slot;
}

const float* RerankVectors::Find(uint64_t id, float* buffer) const {
  const std::optional<size_t> slot = RowOf(id);
  if (!slot.has_value()) return nullptr;
  const uint8_t* row = Row(*slot);
  if (store_ == RerankStore::kFloat32 || store_ == RerankStore::kMapped) {
    return reinterpret_cast<const float*>(row);
  }
  float scale;
  std::memcpy(&scale, row, sizeof(scale));
  const uint8_t* values = row + sizeof(scale);
  if (store_ == RerankStore::kFloat16) {
    const std::array<float, 65536>& table = HalfTable();
    for (int j = 0; j < dim_; ++j) {
      uint16_t h;
      std::memcpy(&h, values + 2 * j, sizeof(h));
      buffer[j] = scale * table[h];
    }
  } else {
    const float step = scale / 127;
    for (int j = 0; j < dim_; ++j) buffer[j] = step * static_cast<int8_t>(values[j]);
  }
  return buffer;
}

void RerankVectors::ShrinkToFit() {
  ids_.ShrinkToFit();
  rows_.ShrinkToFit();
}

size_t RerankVectors::MemoryBytes() const {
  return ids_.MemoryBytes() + (mapped_ != nullptr ? mapped_->MemoryBytes() : rows_.MemoryBytes());
}

}  // namespace tqdb
