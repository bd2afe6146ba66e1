#include "db/rerank_vectors.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

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
    for (uint32_t h = 0; h < 65536; ++h) {
      const uint32_t exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
      float v;
      if (exponent == 0) {
        v = std::ldexp(static_cast<float>(mantissa), -24);  // subnormal or zero
      } else if (exponent == 31) {
        v = mantissa == 0 ? __builtin_huge_valf() : __builtin_nanf("");
      } else {
        v = std::ldexp(static_cast<float>(mantissa | 0x400), static_cast<int>(exponent) - 25);
      }
      (*t)[h] = (h & 0x8000) != 0 ? -v : v;
    }
    return t;
  }();
  return *table;
}

}  // namespace

uint16_t FloatToHalf(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof(bits));
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000);
  const int exponent = static_cast<int>((bits >> 23) & 0xff) - 127 + 15;
  uint32_t mantissa = bits & 0x7fffff;
  auto round = [](uint32_t value, uint32_t rest, uint32_t half) {
    return rest > half || (rest == half && (value & 1)) ? value + 1 : value;
  };
  if (exponent <= 0) {  // a half subnormal (or zero)
    if (exponent < -10) return sign;
    mantissa |= 0x800000;
    const uint32_t shift = static_cast<uint32_t>(14 - exponent);
    return static_cast<uint16_t>(
        sign | round(mantissa >> shift, mantissa & ((1u << shift) - 1), 1u << (shift - 1)));
  }
  // A carry out of the mantissa moves into the exponent, as it should.
  const uint32_t half = (static_cast<uint32_t>(exponent) << 10) | (mantissa >> 13);
  return static_cast<uint16_t>(sign | round(half, mantissa & 0x1fff, 0x1000));
}

float HalfToFloat(uint16_t h) { return HalfTable()[h]; }

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

const float* RerankVectors::Find(uint64_t id, float* buffer) const {
  const std::optional<Location> at = ids_.Find(id);
  if (!at.has_value()) return nullptr;
  const uint8_t* row = Row(at->slot);
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
