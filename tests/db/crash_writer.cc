// The process crash_recovery_test kills: opens a data directory, then performs crash_model steps
// from a given one on, writing each step's number to stdout once the call has acknowledged it.
//
// Usage: crash_writer DATA_DIR FIRST_STEP sync|group-commit [repartition|ingest]
// With "repartition", a second thread re-partitions the collection over and over meanwhile, so
// the kill usually lands inside one. With "ingest", every upsert of only new ids writes its
// vectors as an ingested table file (DatabaseOptions::ingest_min_bytes), so the kill lands
// between a bulk write's ingestion and its commit too.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "crash_model.h"
#include "tqdb/database.h"

int main(int argc, char** argv) {
  const bool repartition = argc == 5 && std::strcmp(argv[4], "repartition") == 0;
  const bool ingest = argc == 5 && std::strcmp(argv[4], "ingest") == 0;
  if (argc != 4 && !repartition && !ingest) {
    std::fprintf(stderr, "usage: %s DATA_DIR FIRST_STEP sync|group-commit [repartition|ingest]\n",
                 argv[0]);
    return 2;
  }
  tqdb::Durability durability;
  if (!tqdb::ParseDurability(argv[3], &durability).ok()) return 2;
  tqdb::DatabaseOptions options;
  options.segment_target_bytes = 8 << 10;  // small segments: merges happen during the run
  if (ingest) options.ingest_min_bytes = 1;
  auto db = tqdb::Database::Open(argv[1], options);
  if (!db.ok()) {
    std::fprintf(stderr, "open: %s\n", db.status().ToString().c_str());
    return 1;
  }
  tqdb::CollectionConfig config =
      tqdb::MakeCollectionConfig(tqdb::crash::kCollection, tqdb::crash::kDim, tqdb::crash::kBits);
  auto collection = (*db)->CreateCollection(config, /*if_not_exists=*/true);
  if (!collection.ok()) {
    std::fprintf(stderr, "create: %s\n", collection.status().ToString().c_str());
    return 1;
  }
  if (repartition) {
    // Runs until the kill; too few vectors for the lists is the only expected refusal.
    std::thread([c = *collection] {
      for (;;) {
        if (absl::Status s = c->Repartition(0);
            !s.ok() && s.code() != absl::StatusCode::kFailedPrecondition) {
          std::fprintf(stderr, "repartition: %s\n", s.ToString().c_str());
          std::_Exit(1);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }).detach();
  }
  tqdb::WriteOptions write_options;
  write_options.durability = durability;
  for (uint64_t s = std::strtoull(argv[2], nullptr, 10);; ++s) {
    const tqdb::crash::Step step = tqdb::crash::MakeStep(s);
    absl::Status status;
    if (!step.upsert_ids.empty()) {
      std::vector<float> vectors;
      std::vector<std::string> payloads;
      for (uint64_t id : step.upsert_ids) {
        const std::vector<float> v = tqdb::crash::VectorFor(id, s);
        vectors.insert(vectors.end(), v.begin(), v.end());
        payloads.push_back(tqdb::crash::PayloadFor(id, s));
      }
      status = (*collection)->Upsert(step.upsert_ids, vectors, payloads, write_options).status();
    } else {
      status = (*collection)->Delete(step.delete_ids, write_options).status();
    }
    if (!status.ok()) {
      std::fprintf(stderr, "step %lu: %s\n", static_cast<unsigned long>(s),
                   status.ToString().c_str());
      return 1;
    }
    const std::string ack = std::to_string(s) + "\n";
    if (write(STDOUT_FILENO, ack.data(), ack.size()) != static_cast<ssize_t>(ack.size())) return 1;
  }
}
