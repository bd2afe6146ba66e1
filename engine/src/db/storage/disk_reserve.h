// The disk reserve: a file of MemtableBytes kept in the data directory and given back only to
// open the database on a full disk.
//
// Why: opening replays the write-ahead log into memtables, and RocksDB flushes a memtable that
// fills during the replay (even with avoid_flush_during_recovery). A log written up to a full
// disk can hold more than one memtable of a column family (a full one whose flush failed and its
// successor), so the restart needs room for one table file exactly when the disk has none, and
// the open fails: acknowledged writes would be out of reach until someone freed space by hand.
// With the reserve, Store::Open deletes it and opens again; it is taken back once the disk has
// room for it and for writes to go on.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace tqdb::storage {

inline constexpr const char* kDiskReserveFile = "TQDB_DISK_RESERVE";

// Whether `dir` holds a complete reserve.
bool HasDiskReserve(const std::string& dir);

// Allocates a reserve of `bytes` in `dir` (allocated blocks, not a sparse file), durably and
// atomically: a temporary file, fsync, rename. ResourceExhausted when the disk lacks the room
// (nothing is left behind).
absl::Status TakeDiskReserve(const std::string& dir, uint64_t bytes);

// Deletes the reserve (and any half-made one); true when there was a reserve to give back.
bool ReleaseDiskReserve(const std::string& dir);

}  // namespace tqdb::storage
