// A RocksDB table file written beside a database for a bulk write (Store::WriteTable) and not
// yet ingested: removed when dropped, so a write that fails or is not made leaves nothing.
#pragma once

#include <string>
#include <utility>

namespace tqdb::storage {

class TableFile {
 public:
  explicit TableFile(std::string path) : path_(std::move(path)) {}
  TableFile(TableFile&& other) noexcept : path_(std::exchange(other.path_, "")) {}
  TableFile& operator=(TableFile&&) = delete;
  ~TableFile();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace tqdb::storage
