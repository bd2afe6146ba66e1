// The durable-sequence record: a small file beside the database naming the last RocksDB sequence
// number known to be on disk (fsynced), written at close and about once a second while writes
// arrive.
//
// Why: RocksDB cannot tell a log that lost its tail to a crash mid-write (a torn final record,
// never acknowledged) from a log cut short later (acknowledged writes gone). Both look like an
// incomplete record at the end of the file. With this record, opening a database whose log
// recovers to an earlier sequence than one already known durable is refused with DataLoss,
// instead of silently dropping acknowledged writes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace tqdb::storage {

inline constexpr const char* kDurableSequenceFile = "TQDB_DURABLE_SEQUENCE";

// The recorded sequence; nullopt when the directory has none (new, or written by an older
// tqdb). DataLoss when the file is damaged.
absl::StatusOr<std::optional<uint64_t>> ReadDurableSequence(const std::string& dir);

// Replaces the record atomically and durably (temporary file, fsync, rename, fsync of the
// directory).
absl::Status WriteDurableSequence(const std::string& dir, uint64_t sequence);

}  // namespace tqdb::storage
