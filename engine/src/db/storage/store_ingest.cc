// Bulk writes through table files: Store::WriteTable and Store::IngestTable (store.h).
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "db/storage/store.h"
#include "rocksdb/options.h"
#include "tqdb/status_macros.h"

namespace tqdb::storage {

std::string IngestDirectory(const std::string& path) {
  return (std::filesystem::path(path) / kIngestDirectory).string();
}

absl::Status RemoveUningestedTables(const std::string& path) {
  std::error_code error;
  std::filesystem::remove_all(IngestDirectory(path), error);
  if (error) {
    return absl::UnavailableError(absl::StrCat("removing the table files a bulk write left in ",
                                               IngestDirectory(path), ": ", error.message()));
  }
  return absl::OkStatus();
}

TableFile::~TableFile() {
  std::error_code error;  // already moved into the database, or never written
  if (!path_.empty()) std::filesystem::remove(path_, error);
}

absl::StatusOr<TableFile> Store::WriteTable(
    Cf which, const std::function<rocksdb::Status(rocksdb::SstFileWriter&)>& fill) {
  const std::string dir = IngestDirectory(path_);
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    return absl::UnavailableError(absl::StrCat("creating ", dir, ": ", error.message()));
  }
  TableFile file(absl::StrCat(dir, "/", next_table_file_.fetch_add(1), ".sst"));
  // The column family's table format (Bloom filter, hash index) so reads find the records as
  // in a flushed file. Uncompressed: float vectors do not compress, and trying costs time.
  rocksdb::Options options(db_->GetDBOptions(), db_->GetOptions(cf(which)));
  options.compression = rocksdb::kNoCompression;
  // Keep the file in the page cache: re-rank and get read these records next.
  rocksdb::SstFileWriter writer(rocksdb::EnvOptions(options), options, cf(which),
                                /*invalidate_page_cache=*/false);
  const std::string context = absl::StrCat("writing table file ", file.path());
  TQDB_RETURN_IF_ERROR(FromRocks(writer.Open(file.path()), context));
  TQDB_RETURN_IF_ERROR(FromRocks(fill(writer), context));
  TQDB_RETURN_IF_ERROR(FromRocks(writer.Finish(), context));
  return file;
}

absl::Status Store::IngestTable(Cf which, TableFile file) {
  rocksdb::IngestExternalFileOptions options;
  options.move_files = true;  // a hard link: the file is not copied
  // Newer than every write before it, so it replaces what it overlaps.
  options.allow_global_seqno = true;
  options.allow_blocking_flush = true;
  // Bulk writes ingest new ids only. With snapshot consistency, every ingestion while a read
  // view is open (a collection always holds one) got a sequence number, and RocksDB then
  // rewrote each ingested file once more to zero it (a "bottommost files" compaction: the
  // floats of a load written twice, a sixth of the server's CPU at d = 1536). Without it a
  // file that overlaps nothing goes in with sequence number 0, visible also to views opened
  // before it, which read only ids they already hold; a file that overlaps anything (a
  // deleted id's tombstone) still gets a number above it, as before.
  options.snapshot_consistency = false;
  absl::Status status = FromRocks(db_->IngestExternalFile(cf(which), {file.path()}, options),
                                  absl::StrCat("ingesting table file ", file.path()));
  if (!status.ok()) return status;
  MutexLock lock(sync_mu_);
  written_since_record_ = true;
  return absl::OkStatus();
}

}  // namespace tqdb::storage
