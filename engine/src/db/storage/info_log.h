// RocksDB's diagnostic log (the LOG file in the data directory), written so that a full disk
// cannot take the database down with it.
//
// RocksDB's own file logger keeps using its file writer after a failed write, which trips an
// assertion in Debian's build (writable_file_writer.h, "sync_without_flush_called_") and aborts
// the process once the disk fills. This logger writes through stdio and drops lines it cannot
// write: the LOG is for diagnosis, never for data.
#pragma once

#include <memory>
#include <string>

#include "rocksdb/env.h"

namespace tqdb::storage {

// Opens DIR/LOG for appending (the previous run's LOG becomes LOG.old). Returns null when the
// file cannot be opened; RocksDB then logs nothing.
std::shared_ptr<rocksdb::Logger> OpenInfoLog(const std::string& dir);

}  // namespace tqdb::storage
