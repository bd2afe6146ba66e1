// What defines a collection: its dimension, metric, quantizer and storage choices. Stored with the
// data at creation and read back from disk on every open, never taken from flags.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tqdb/metric.h"
#include "tqdb/quantizer_config.h"

namespace tqdb {

// When an upsert or delete is acknowledged.
enum class Durability {
  // After the write-ahead log is fsynced: survives process crashes, OS crashes and power loss.
  // Concurrent writers share one fsync (RocksDB write groups).
  kSync,
  // After the write-ahead log reaches the OS; a background thread fsyncs it every
  // DatabaseOptions::group_commit_interval_ms. Survives process crashes (SIGKILL included); a
  // power loss or OS crash can lose the last interval. Much faster for small batches.
  kGroupCommit,
};

const char* DurabilityName(Durability durability);
// "sync" or "group-commit".
absl::Status ParseDurability(std::string_view name, Durability* durability);

// The largest dimension a collection accepts (a float vector of it is 256 KiB). Checked by
// ValidateCollectionConfig, so in-process and gRPC callers get the same limit.
inline constexpr int kMaxDimension = 65536;

// What the codes are taken relative to (docs/DESIGN.md, "Centering"): embeddings share a common
// direction, and quantizing x - m instead of x shrinks the estimate's error.
enum class Centering {
  kNone,  // m = 0: the codes of x itself
  // m = the mean (cosine: of unit vectors) of the collection's vectors when an upsert first
  // brings it to kAutoCenterVectors; the vectors stored before are re-encoded once from their
  // stored floats (without store_vectors, only a first batch that large is centered).
  kAuto,
  kFixed,  // m given at creation
};
inline constexpr size_t kAutoCenterVectors = 1000;

// A collection is scanned whole until it holds this many vectors, then partitioned into about
// sqrt(n) lists in the background (ivf_index.h; bench/README.md, "ivf_bench", for where it pays).
inline constexpr uint64_t kDefaultPartitionAt = 50000;
// The largest default nprobe a collection accepts (searches clamp to the lists there are).
inline constexpr int kMaxNprobe = 1 << 20;

// Where a search's re-rank reads the float vectors (store_vectors): from RocksDB, exact but a
// point read per candidate, or from a copy in memory or in a mapped file, rebuilt from RocksDB
// at open (RocksDB stays the one durable copy, and Get and with_vectors always return its exact
// floats).
enum class RerankStore {
  kDisk,     // RocksDB reads (the block and row caches help)
  kFloat32,  // 4 bytes a coordinate in memory: exact scores
  kFloat16,  // 2 bytes: scores within about 1e-3 relative
  kInt8,     // 1 byte and one float scale per vector (x / s rounded, s = max |x_j| / 127)
  kMapped,   // 4 bytes a coordinate in a file mapped into memory (db/mapped_rows.h): exact
             // scores; the page cache holds the rows read, and gives them back under pressure
};
const char* RerankStoreName(RerankStore store);
// "disk", "f32", "f16", "int8" or "mmap".
absl::Status ParseRerankStore(std::string_view name, RerankStore* store);

const char* CenteringName(Centering centering);
// "none", "auto" or "fixed".
absl::Status ParseCentering(std::string_view name, Centering* centering);

struct CollectionConfig {
  std::string name;  // 1..128 of [A-Za-z0-9_.-], not starting with '.'
  Metric metric = Metric::kCosine;
  QuantizerConfig quantizer;  // quantizer.dim is the collection's dimension
  // Inner product cannot be centered (its bias would need a third stored factor).
  Centering centering = Centering::kNone;
  std::vector<float> center;  // kFixed: dim values; otherwise empty (Describe shows the one in use)
  bool store_vectors = true;  // keep float vectors on disk: Get returns them; re-rank uses them
  // Every store but kDisk needs store_vectors. A collection created from a CollectionSpec (the
  // server, the CLI, the clients) takes kMapped when it stores vectors.
  RerankStore rerank_store = RerankStore::kDisk;
  Durability durability = Durability::kSync;  // default for writes that do not say
  // Partitioning: flat until this many vectors are stored (0: always flat); then lists of
  // k-means centroids, re-partitioned in the background each time the count quadruples. Their
  // codes are relative to the list's centroid unless centering is kNone (inner product's
  // default).
  uint64_t partition_at = kDefaultPartitionAt;
  int nprobe = 0;  // lists a search probes when it does not say; 0: DefaultNprobe(lists)
};

// What a caller asks for when creating a collection; fields left unset take the engine's
// defaults. ResolveCollectionConfig turns it into a CollectionConfig in one place, so every
// front end (gRPC, in-process) resolves defaults alike.
struct CollectionSpec {
  std::string name;
  int dim = 0;
  // Required unless bytes_per_vector is given: 1..8 (tq-prod: up to 9), plus `eighths` / 8.
  int bits = 0;
  int eighths = 0;
  // Instead of bits: the widest width (in eighths of a bit) whose code and per-vector factors
  // fit in this many bytes (BytesPerVector).
  std::optional<int> bytes_per_vector;
  // Bits of each per-vector factor, 16 or 32 (QuantizerConfig::factor_bits). Default: 32 with
  // bits, 16 with bytes_per_vector (4 more bytes of code; L2 and inner-product vectors then have
  // norms up to 32752).
  std::optional<int> factor_bits;
  Metric metric = Metric::kCosine;
  std::string variant;  // "", "default", "mse-plain", "mse-ratio", "mse-unitnorm" or "prod"
  std::optional<bool> store_vectors;  // default true
  // Default: kMapped with stored vectors (exact scores at memory speed while the page cache
  // holds the rows; bench/README.md, "rerank_latency"), else kDisk.
  std::optional<RerankStore> rerank_store;
  std::optional<uint64_t> seed;          // default QuantizerConfig::seed
  std::optional<Durability> durability;  // default kSync
  // Default: kAuto for cosine and L2, kNone for inner product; a center implies kFixed.
  std::optional<Centering> centering;
  std::vector<float> center;
  std::optional<uint64_t> partition_at;  // default kDefaultPartitionAt
  std::optional<int> nprobe;             // default 0 (the index's)
};

// The configuration `spec` asks for, defaults filled in; InvalidArgument when bits are missing or
// the variant is unknown. Ranges are checked once, by Database::CreateCollection.
absl::StatusOr<CollectionConfig> ResolveCollectionConfig(const CollectionSpec& spec);

// The default quantizer for `bits` (DefaultQuantizerConfig) in a collection of `dim`, and the
// default centering for the metric.
CollectionConfig MakeCollectionConfig(std::string name, int dim, int bits,
                                      Metric metric = Metric::kCosine, int eighths = 0);

// Bytes a vector takes in the index: its packed code and its two factors (2 or 4 bytes each).
size_t BytesPerVector(const QuantizerConfig& config);
// Code bits per coordinate (sign bits included): bits + eighths / 8 up to the split's rounding.
double CodeBitsPerCoordinate(const QuantizerConfig& config);
// The widest default quantizer of `dim` (bits in eighths, 1 to 8) within `budget` bytes per
// vector, factors of `factor_bits` included; InvalidArgument when even 1 bit does not fit.
absl::StatusOr<QuantizerConfig> QuantizerForBudget(int dim, int budget, int factor_bits = 16);

absl::Status ValidateCollectionName(std::string_view name);
absl::Status ValidateCollectionConfig(const CollectionConfig& config);

// True when both would decode the same stored codes identically (durability is a default, not
// part of the data's meaning).
bool SameDataLayout(const CollectionConfig& a, const CollectionConfig& b);
// One line for logs and errors: "dim=100 metric=cosine bits=4 variant=mse-ratio ...".
std::string DescribeConfig(const CollectionConfig& config);

absl::Status ParseMetric(std::string_view name, Metric* metric);

}  // namespace tqdb
