// Storage benchmark: upsert throughput into a durable collection (fsync per batch and group
// commit), start-up time of a large collection, and bytes on disk per vector.
//
// Baselines in the same run: encoding alone (the floor for an upsert) and a raw RocksDB write of
// the same float bytes with the same fsync policy (what storing without tqdb would cost).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "bench_util.h"
#include "fvecs.h"
#include "rocksdb/db.h"
#include "tqdb/database.h"

ABSL_FLAG(std::string, datasets_dir, "", "folder with glove-100.fvecs (default: shared datasets)");
ABSL_FLAG(std::string, work_dir, "", "where to create data directories (default: $TMPDIR)");
ABSL_FLAG(size_t, batch, 1000, "vectors per upsert");
ABSL_FLAG(size_t, upsert_vectors_d100, 100000, "vectors upserted for the d = 100 rows");
ABSL_FLAG(size_t, upsert_vectors_d1536, 20000, "vectors upserted for the d = 1536 rows");
ABSL_FLAG(size_t, startup_vectors, 1000000, "size of the collection whose start-up is timed");

namespace tqdb {
namespace {

namespace fs = std::filesystem;
using bench::Clock;
using bench::SecondsSince;

std::string FreshDir(const std::string& name) {
  std::string root = absl::GetFlag(FLAGS_work_dir);
  if (root.empty()) root = fs::temp_directory_path().string();
  const fs::path dir = fs::path(root) / ("tqdb-bench-" + name);
  fs::remove_all(dir);
  return dir.string();
}

// `count` vectors of dimension `dim`: GloVe rows (repeated as needed) when dim = 100, else
// Gaussian. Either way encoding cost depends only on the dimension.
std::vector<float> Vectors(size_t count, int dim) {
  std::vector<float> out(count * dim);
  if (dim == 100) {
    std::string dir = absl::GetFlag(FLAGS_datasets_dir);
    if (dir.empty()) dir = DatasetsDir();
    absl::StatusOr<DenseDataset> glove = ReadFvecs(dir + "/glove-100.fvecs");
    if (glove.ok()) {
      for (size_t i = 0; i < count; ++i) {
        std::copy_n(glove->row(i % glove->count), dim, out.begin() + i * dim);
      }
      return out;
    }
    std::printf("(GloVe not found: %s; using Gaussian vectors)\n",
                glove.status().ToString().c_str());
  }
  std::mt19937_64 gen(7);
  std::normal_distribution<float> normal;
  for (float& x : out) x = normal(gen);
  return out;
}

// Vectors per second of upserting `vectors` in batches into a fresh collection.
double UpsertRate(const std::vector<float>& vectors, int dim, int bits, Durability durability,
                  uint64_t* bytes_on_disk) {
  const std::string path = FreshDir("upsert");
  auto db = *Database::Open(path);
  CollectionConfig config = MakeCollectionConfig("bench", dim, bits);
  config.durability = durability;
  auto collection = *db->CreateCollection(config);
  const size_t n = vectors.size() / dim, batch = absl::GetFlag(FLAGS_batch);
  std::vector<uint64_t> ids(batch);
  const auto start = Clock::now();
  for (size_t begin = 0; begin < n; begin += batch) {
    const size_t count = std::min(batch, n - begin);
    for (size_t i = 0; i < count; ++i) ids[i] = begin + i;
    absl::Status status =
        collection
            ->Upsert(absl::MakeConstSpan(ids).first(count),
                     absl::MakeConstSpan(vectors).subspan(begin * dim, count * dim))
            .status();
    if (!status.ok()) {
      std::printf("upsert failed: %s\n", status.ToString().c_str());
      std::exit(1);
    }
  }
  const double rate = n / SecondsSince(start);
  if (bytes_on_disk != nullptr) {
    if (!collection->Compact().ok()) std::exit(1);
    *bytes_on_disk = collection->Describe().bytes_on_disk;
  }
  // Closed first: RocksDB's background jobs delete files of an open database, which raced with
  // remove_all (the bench aborted on a file that vanished under it).
  collection.reset();
  db.reset();
  fs::remove_all(path);
  return rate;
}

// Vectors per second of writing only the float bytes, one key per vector, one batch per upsert.
double RawRocksDbRate(const std::vector<float>& vectors, int dim, bool sync) {
  const std::string path = FreshDir("raw");
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* db = nullptr;
  if (!rocksdb::DB::Open(options, path, &db).ok()) std::exit(1);
  rocksdb::WriteOptions write;
  write.sync = sync;
  const size_t n = vectors.size() / dim, batch = absl::GetFlag(FLAGS_batch);
  const auto start = Clock::now();
  for (size_t begin = 0; begin < n; begin += batch) {
    rocksdb::WriteBatch wb;
    for (size_t i = begin; i < std::min(n, begin + batch); ++i) {
      const uint64_t key = __builtin_bswap64(i);
      wb.Put(rocksdb::Slice(reinterpret_cast<const char*>(&key), 8),
             rocksdb::Slice(reinterpret_cast<const char*>(&vectors[i * dim]), dim * 4));
    }
    if (!db->Write(write, &wb).ok()) std::exit(1);
  }
  const double rate = n / SecondsSince(start);
  delete db;
  fs::remove_all(path);
  return rate;
}

double EncodeRate(const std::vector<float>& vectors, int dim, int bits) {
  auto quantizer = *Quantizer::Create(DefaultQuantizerConfig(dim, bits));
  const size_t n = vectors.size() / dim;
  std::vector<uint8_t> codes(n * quantizer->code_bytes());
  std::vector<VectorFactors> factors(n);
  const auto start = Clock::now();
  quantizer->EncodeBatch(vectors.data(), n, codes.data(), factors.data());
  return n / SecondsSince(start);
}

void UpsertTable() {
  std::printf("## Upsert throughput (batch %zu, 4 bits, one writer, vectors/s)\n\n",
              absl::GetFlag(FLAGS_batch));
  std::printf(
      "| d | vectors | encode only | tqdb sync | raw RocksDB sync | tqdb group commit "
      "| raw RocksDB no sync | disk bytes/vector |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  for (int dim : {100, 1536}) {
    const size_t n = dim == 100 ? absl::GetFlag(FLAGS_upsert_vectors_d100)
                                : absl::GetFlag(FLAGS_upsert_vectors_d1536);
    const std::vector<float> vectors = Vectors(n, dim);
    uint64_t bytes = 0;
    const double encode = EncodeRate(vectors, dim, 4);
    const double sync = UpsertRate(vectors, dim, 4, Durability::kSync, nullptr);
    const double raw_sync = RawRocksDbRate(vectors, dim, true);
    const double group = UpsertRate(vectors, dim, 4, Durability::kGroupCommit, &bytes);
    const double raw = RawRocksDbRate(vectors, dim, false);
    std::printf("| %d | %zu | %.0f | %.0f | %.0f | %.0f | %.0f | %.1f |\n", dim, n, encode, sync,
                raw_sync, group, raw, static_cast<double>(bytes) / n);
    std::fflush(stdout);
  }
}

void StartupTable() {
  const size_t n = absl::GetFlag(FLAGS_startup_vectors);
  const int dim = 100;
  std::printf("\n## Start-up of a collection of %zu vectors, d = %d, 4 bits\n\n", n, dim);
  const std::string path = FreshDir("startup");
  const std::vector<float> source = Vectors(150000, dim);
  {
    auto db = *Database::Open(path);
    CollectionConfig config = MakeCollectionConfig("big", dim, 4);
    config.durability = Durability::kGroupCommit;
    auto collection = *db->CreateCollection(config);
    const size_t batch = 10000;
    std::vector<uint64_t> ids(batch);
    const auto start = Clock::now();
    for (size_t begin = 0; begin < n; begin += batch) {
      const size_t count = std::min(batch, n - begin);
      for (size_t i = 0; i < count; ++i) ids[i] = begin + i;
      const size_t row = begin % (150000 - batch + 1);
      if (!collection
               ->Upsert(absl::MakeConstSpan(ids).first(count),
                        absl::MakeConstSpan(source).subspan(row * dim, count * dim))
               .ok()) {
        std::exit(1);
      }
    }
    std::printf("loaded in %.1f s (batches of %zu, group commit)\n", SecondsSince(start), batch);
    if (!collection->Compact().ok()) std::exit(1);
    const CollectionInfo info = collection->Describe();
    std::printf(
        "%zu vectors in %zu segments; %.1f bytes/vector on disk (codes, factors, ids and "
        "float vectors), %.1f bytes/vector in memory\n\n",
        info.count, info.segments, static_cast<double>(info.bytes_on_disk) / info.count,
        static_cast<double>(info.memory.total()) / info.count);
  }
  std::printf("| open with | seconds | vectors/s |\n|---|---|---|\n");
  for (bool verify : {true, false}) {
    DatabaseOptions options;
    options.verify_checksums_on_open = verify;
    const auto start = Clock::now();
    auto db = *Database::Open(path, options);
    const double seconds = SecondsSince(start);
    const size_t count = (*db->GetCollection("big"))->Describe().count;
    std::printf("| %s | %.2f | %.0f |\n",
                verify ? "checksum verification of every table file (default)"
                       : "no verification (segments only)",
                seconds, count / seconds);
  }
  fs::remove_all(path);
}

}  // namespace
}  // namespace tqdb

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  tqdb::UpsertTable();
  tqdb::StartupTable();
  return 0;
}
