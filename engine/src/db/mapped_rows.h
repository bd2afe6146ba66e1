// Rows of a fixed width in a file mapped into memory: the re-rank store "mmap" keeps a
// collection's float vectors here rather than in RocksDB (a point read per candidate) or in
// anonymous memory. The page cache holds the rows searches read; under memory pressure the
// kernel writes pages back to the file and drops them, as it would RocksDB's table files.
//
// The file has no name (O_TMPFILE, or unlinked as soon as it is made) and is rebuilt from
// RocksDB at every open, as the memory stores are: a crash leaves nothing behind to reconcile.
// It grows a chunk at a time (at most 1 MiB), each chunk's disk space reserved first
// (fallocate), so a write to a mapped row never meets a full disk (which would be SIGBUS). A
// chunk that would leave less than `keep_free` bytes free on the disk is kept in anonymous
// memory instead: the database beside it needs that room to flush, and to take writes again
// after a full disk. Rows are written with pwrite, not through the
// mapping: the process maps (and counts in its RSS) only the pages searches read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace tqdb {

class MappedRows {
 public:
  // A nameless file in `directory` for rows of `width` bytes, `chunk_rows` (a power of two; 0:
  // as many as fit 1 MiB, at least one) a chunk.
  static absl::StatusOr<std::unique_ptr<MappedRows>> Create(const std::string& directory,
                                                            size_t width, uint64_t keep_free,
                                                            size_t chunk_rows = 0);
  ~MappedRows();
  MappedRows(const MappedRows&) = delete;
  MappedRows& operator=(const MappedRows&) = delete;

  size_t size() const { return size_; }
  size_t width() const { return width_; }
  const uint8_t* slot(size_t i) const { return chunks_[i >> chunk_shift_].data + Offset(i); }
  // Row i := `row` (width bytes); rows [first, first + count) := `rows`; row `to` := row `from`.
  void Write(size_t i, const uint8_t* row) { WriteRows(i, 1, row); }
  void WriteRows(size_t first, size_t count, const uint8_t* rows);
  void Copy(size_t from, size_t to);

  // Grows or shrinks to `n` rows; chunks past the last row are freed. New rows read as zero,
  // unless `zero_new_rows` is false (the caller writes them before anyone reads them: one write
  // a row instead of two).
  void Resize(size_t n, bool zero_new_rows = true);

  // Bytes of rows in the mapped file, and in anonymous memory (chunks the disk had no room for).
  size_t MappedBytes() const;
  size_t MemoryBytes() const;

 private:
  struct Chunk {
    uint8_t* data = nullptr;
    bool mapped = false;  // else anonymous memory
  };

  MappedRows(int fd, size_t width, uint64_t keep_free, size_t chunk_rows);
  size_t Offset(size_t i) const { return (i & (chunk_rows_ - 1)) * width_; }
  size_t ChunkBytes() const { return chunk_rows_ * width_; }
  size_t ChunkStride() const;  // a chunk's bytes in the file, whole pages
  off_t FileOffset(size_t i) const;
  Chunk NewChunk(size_t index);
  void FreeChunk(size_t index, Chunk chunk);

  int fd_;
  size_t width_;
  uint64_t keep_free_;
  size_t chunk_rows_;
  size_t chunk_shift_ = 0;
  size_t size_ = 0;
  std::vector<Chunk> chunks_;
};

}  // namespace tqdb
