#include "db/store_options.h"

namespace tqdb {

storage::StoreOptions MakeStoreOptions(const DatabaseOptions& options) {
  storage::StoreOptions store_options;
  store_options.create_if_missing = options.create_if_missing;
  store_options.group_commit_interval_ms = options.group_commit_interval_ms;
  store_options.block_cache_bytes = options.block_cache_bytes;
  store_options.write_buffer_bytes = options.write_buffer_bytes;
  store_options.shared_budget = options.shared_budget;
  store_options.verify_checksums_on_open = options.verify_checksums_on_open;
  store_options.accept_log_loss = options.accept_log_loss;
  // A database that keeps its log for replicas ingests nothing: an ingested table file's records
  // are not in the log (and, entering below every other file, take no sequence number a replica
  // could miss), so a replica would lack them without a trace.
  const bool keeps_log = options.log_retention_seconds > 0 || options.log_retention_mb > 0;
  store_options.ingest_min_bytes = keeps_log ? 0 : options.ingest_min_bytes;
  store_options.log_retention_seconds = options.log_retention_seconds;
  store_options.log_retention_mb = options.log_retention_mb;
  return store_options;
}

}  // namespace tqdb
