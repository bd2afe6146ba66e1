#include "db/mapped_rows.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace tqdb {
namespace {

// Runs of rows written at once from this size on have their write-back started at once.
constexpr size_t kStartWritebackBytes = size_t{256} << 10;

// A file in `directory` that no path names: O_TMPFILE where the file system has it, else a
// temporary name unlinked at once. -1 with errno set when neither works.
int OpenNamelessFile(const std::string& directory) {
  const int fd = open(directory.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0) return fd;
  std::string path = directory + "/.rerank-rows-XXXXXX";
  const int named = mkostemp(path.data(), O_CLOEXEC);
  if (named < 0) return -1;
  unlink(path.c_str());
  return named;
}

}  // namespace

absl::StatusOr<std::unique_ptr<MappedRows>> MappedRows::Create(const std::string& directory,
                                                               size_t width, uint64_t keep_free,
                                                               size_t chunk_rows) {
  if (chunk_rows == 0) {
    chunk_rows = 1;
    while (2 * chunk_rows * width <= (size_t{1} << 20)) chunk_rows *= 2;
  }
  const int fd = OpenNamelessFile(directory);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("cannot make the re-rank store's file in ", directory,
                                            ": ", std::strerror(errno)));
  }
  return std::unique_ptr<MappedRows>(new MappedRows(fd, width, keep_free, chunk_rows));
}

MappedRows::MappedRows(int fd, size_t width, uint64_t keep_free, size_t chunk_rows)
    : fd_(fd), width_(width), keep_free_(keep_free), chunk_rows_(chunk_rows) {
  while ((size_t{1} << chunk_shift_) < chunk_rows_) ++chunk_shift_;
}

MappedRows::~MappedRows() {
  for (size_t c = 0; c < chunks_.size(); ++c) FreeChunk(c, chunks_[c]);
  close(fd_);  // the file had no name: its space goes with it
}

size_t MappedRows::ChunkStride() const {
  // Chunks sit at page-aligned offsets (mmap's rule): a chunk's bytes rounded up to pages.
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return (ChunkBytes() + page - 1) / page * page;
}

off_t MappedRows::FileOffset(size_t i) const {
  return static_cast<off_t>((i >> chunk_shift_) * ChunkStride() + Offset(i));
}

void MappedRows::WriteRows(size_t first, size_t count, const uint8_t* rows) {
  // One pwrite per chunk the rows fall in (a bulk load or a rebuild writes runs of rows).
  while (count > 0) {
    const size_t in_chunk = std::min(count, chunk_rows_ - (first & (chunk_rows_ - 1)));
    Chunk& chunk = chunks_[first >> chunk_shift_];
    const size_t bytes = in_chunk * width_;
    // The file's space is reserved, so a failed pwrite is an I/O error: the rows still go to
    // the page cache through the mapping (the error shows at write-back, not as wrong scores).
    if (!chunk.mapped ||
        pwrite(fd_, rows, bytes, FileOffset(first)) != static_cast<ssize_t>(bytes)) {
      std::memcpy(chunk.data + Offset(first), rows, bytes);
    } else if (bytes >= kStartWritebackBytes) {
      // A bulk run goes to the disk now, in the background, as RocksDB's bytes_per_sync does:
      // left to the kernel, a 1M-vector load of d = 1536 held 2.2 GB of dirty pages from its
      // 15th second on (66 MB with this; the load's rate the same within noise).
      sync_file_range(fd_, FileOffset(first), static_cast<off_t>(bytes), SYNC_FILE_RANGE_WRITE);
    }
    first += in_chunk;
    count -= in_chunk;
    rows += bytes;
  }
}

void MappedRows::Copy(size_t from, size_t to) {
  std::vector<uint8_t> row(width_);
  const Chunk& source = chunks_[from >> chunk_shift_];
  if (!source.mapped ||
      pread(fd_, row.data(), width_, FileOffset(from)) != static_cast<ssize_t>(width_)) {
    std::memcpy(row.data(), slot(from), width_);
  }
  Write(to, row.data());
}

MappedRows::Chunk MappedRows::NewChunk(size_t index) {
  Chunk chunk;
  const size_t stride = ChunkStride();
  const off_t offset = static_cast<off_t>(index * stride);
  // Space first: a store into a mapped page the disk cannot hold would kill the process. And
  // never the database's room (keep_free_).
  struct statvfs disk;
  const bool room = fstatvfs(fd_, &disk) == 0 &&
                    static_cast<uint64_t>(disk.f_bavail) * disk.f_frsize >= stride + keep_free_;
  if (room && posix_fallocate(fd_, offset, static_cast<off_t>(stride)) == 0) {
    void* data = mmap(nullptr, ChunkBytes(), PROT_READ | PROT_WRITE, MAP_SHARED, fd_, offset);
    if (data != MAP_FAILED) {
      // Candidates are read in no order: read-ahead would fetch rows no search asked for.
      madvise(data, ChunkBytes(), MADV_RANDOM);
      chunk.data = static_cast<uint8_t*>(data);
      chunk.mapped = true;
      return chunk;
    }
  }
  chunk.data = new uint8_t[ChunkBytes()]();
  return chunk;
}

void MappedRows::FreeChunk(size_t index, Chunk chunk) {
  if (!chunk.mapped) {
    delete[] chunk.data;
    return;
  }
  munmap(chunk.data, ChunkBytes());
  const size_t stride = ChunkStride();
  // Give the disk space back; the range reads as zeros if it is mapped again.
  fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(index * stride),
            static_cast<off_t>(stride));
}

void MappedRows::Resize(size_t n, bool zero_new_rows) {
  const size_t needed = (n + chunk_rows_ - 1) >> chunk_shift_;
  while (chunks_.size() > needed) {
    FreeChunk(chunks_.size() - 1, chunks_.back());
    chunks_.pop_back();
  }
  // Rows this call adds inside chunks already held may hold old rows: zeroed. New chunks read
  // as zero already (fresh file space, or value-initialized memory).
  const size_t held_rows = chunks_.size() << chunk_shift_;
  if (zero_new_rows && size_ < std::min(n, held_rows)) {
    const std::vector<uint8_t> zeros((std::min(n, held_rows) - size_) * width_);
    WriteRows(size_, std::min(n, held_rows) - size_, zeros.data());
  }
  while (chunks_.size() < needed) chunks_.push_back(NewChunk(chunks_.size()));
  size_ = n;
}

size_t MappedRows::MappedBytes() const {
  size_t bytes = 0;
  for (const Chunk& chunk : chunks_) bytes += chunk.mapped ? ChunkBytes() : 0;
  return bytes;
}

size_t MappedRows::MemoryBytes() const {
  size_t bytes = chunks_.capacity() * sizeof(Chunk);
  for (const Chunk& chunk : chunks_) bytes += chunk.mapped ? 0 : ChunkBytes();
  return bytes;
}

}  // namespace tqdb
