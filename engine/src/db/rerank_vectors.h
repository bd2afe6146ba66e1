// A collection's float vectors in memory, for the re-rank (CollectionConfig::rerank_store): the
// candidates' rows are read from here instead of one RocksDB point read each. RocksDB keeps the
// durable copy: this one is filled from it at open and follows every committed write, so it
// never holds anything RocksDB does not. Rows are dense by slot (removal moves the last row
// into the hole); the id map is the indexes' (index/id_map.h).
//
// Row formats: f32 and mmap are the vector (mmap's rows in a file mapped into memory,
// db/mapped_rows.h); f16 and int8 hold x / s with s = max_j |x_j| (one float per
// row), so any vector the engine accepts fits (f16's range ends at 65504): f16 keeps 11
// significant bits of each x_j / s, int8 rounds x_j / s to a multiple of 1/127.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "db/mapped_rows.h"
#include "index/chunked_array.h"
#include "index/id_map.h"
#include "tqdb/collection_config.h"

namespace tqdb {

class RerankVectors {
 public:
  // `store` is a memory store (f32, f16, int8).
  RerankVectors(RerankStore store, int dim);
  // Any store but kDisk; mmap's file is made in `directory`, leaving `keep_free` bytes of its
  // disk free (MappedRows).
  static absl::StatusOr<std::unique_ptr<RerankVectors>> Create(RerankStore store, int dim,
                                                               const std::string& directory,
                                                               uint64_t keep_free);

  RerankStore store() const { return store_; }
  size_t size() const { return ids_.size(); }
  // Inserts or replaces the rows of `ids` (`vectors` row-major, finite).
  void Put(absl::Span<const uint64_t> ids, absl::Span<const float> vectors);
  void Remove(absl::Span<const uint64_t> ids);
  // The row of `id` as floats: where it is kept (f32), or decoded into `buffer` (dim floats);
  // null when absent.
  const float* Find(uint64_t id, float* buffer) const;
  // Whether Find decodes rows into its buffer (f16, int8); f32 and mmap rows are read in place,
  // and their callers need no buffer.
  bool decodes() const { return store_ == RerankStore::kFloat16 || store_ == RerankStore::kInt8; }
  // The row of `id`, or nullopt when absent.
  std::optional<size_t> RowOf(uint64_t id) const;

  void ShrinkToFit();
  // Anonymous memory held (all of a memory store; an mmap store's id map and any chunk its
  // disk had no room for), and the bytes of rows in a mapped file.
  size_t MemoryBytes() const;
  size_t MappedBytes() const { return mapped_ != nullptr ? mapped_->MappedBytes() : 0; }

 private:
  void Encode(const float* x, uint8_t* row) const;
  // Row `to` := row `from`.
  void CopyRow(size_t from, size_t to);
  const uint8_t* Row(size_t slot) const {
    return mapped_ != nullptr ? mapped_->slot(slot) : rows_.slot(slot);
  }
  size_t RowCount() const { return mapped_ != nullptr ? mapped_->size() : rows_.size(); }
  // New rows are written by the caller right after (rows_ zeroes them anyway: cheap in memory).
  void ResizeRows(size_t n) {
    if (mapped_ != nullptr) {
      mapped_->Resize(n, /*zero_new_rows=*/false);
    } else {
      rows_.Resize(n);
    }
  }

  RerankStore store_;
  int dim_;
  IdMap ids_{1};
  ChunkedArray<uint8_t> rows_;          // one row per slot (memory stores)
  std::unique_ptr<MappedRows> mapped_;  // one row per slot (mmap)
};

}  // namespace tqdb
