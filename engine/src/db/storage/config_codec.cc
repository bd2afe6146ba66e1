#include "db/storage/config_codec.h"

#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "db/storage/keys.h"
#include "tqdb/status_macros.h"

namespace tqdb::storage {
namespace {

absl::Status Malformed(absl::string_view what) {
  return absl::DataLossError(absl::StrCat("collection record is damaged: ", what));
}

// Parses the integer field `key` into `out` within [lo, hi].
template <typename Int>
absl::Status ReadInt(const std::map<std::string, std::string>& fields, const char* key, Int lo,
                     Int hi, Int* out) {
  auto it = fields.find(key);
  if (it == fields.end()) return Malformed(absl::StrCat("no field '", key, "'"));
  if (!absl::SimpleAtoi(it->second, out) || *out < lo || *out > hi) {
    return Malformed(absl::StrCat("field '", key, "' has value '", it->second, "'"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadString(const std::map<std::string, std::string>& fields,
                                       const char* key) {
  auto it = fields.find(key);
  if (it == fields.end()) return Malformed(absl::StrCat("no field '", key, "'"));
  return it->second;
}

}  // namespace

std::string EncodeCollectionRecord(const StoredCollection& stored) {
  const CollectionConfig& c = stored.config;
  const QuantizerConfig& q = c.quantizer;
  return absl::StrCat(
      "format=", kFormatVersion, "\n", "id=", stored.id, "\n", "name=", c.name, "\n", "dim=", q.dim,
      "\n", "metric=", static_cast<int>(c.metric), "\n", "bits=", q.bits, "\n",
      // Only for fractional widths: whole-bit records stay as they were.
      q.eighths > 0 ? absl::StrCat("eighths=", q.eighths, "\n") : "",
      q.factor_bits != 32 ? absl::StrCat("factor_bits=", q.factor_bits, "\n") : "",
      "kind=", static_cast<int>(q.kind), "\n", "estimator=", static_cast<int>(q.estimator), "\n",
      "rotation=", static_cast<int>(q.rotation), "\n",
      "projection=", static_cast<int>(q.projection), "\n", "seed=", q.seed, "\n",
      "store_vectors=", c.store_vectors ? 1 : 0, "\n",
      "durability=", static_cast<int>(c.durability), "\n",
      "centering=", static_cast<int>(c.centering), "\n", "center=",
      absl::StrJoin(c.center, ",",
                    [](std::string* out, float v) {
                      // 9 significant digits give back the same float.
                      absl::StrAppend(out, absl::StrFormat("%.9g", v));
                    }),
      "\n", "partition_at=", c.partition_at, "\n", "nprobe=", c.nprobe, "\n",
      "rerank_store=", static_cast<int>(c.rerank_store), "\n");
}

absl::StatusOr<StoredCollection> DecodeCollectionRecord(std::string_view record) {
  std::map<std::string, std::string> fields;
  for (absl::string_view line :
       absl::StrSplit(absl::string_view(record.data(), record.size()), '\n', absl::SkipEmpty())) {
    const size_t eq = line.find('=');
    if (eq == absl::string_view::npos) return Malformed(absl::StrCat("line '", line, "'"));
    fields[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
  }
  int format = 0;
  TQDB_RETURN_IF_ERROR(ReadInt(fields, "format", 1, 1 << 20, &format));
  if (format != kFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat("collection was written in format version ",
                                                      format, "; this build reads version ",
                                                      kFormatVersion));
  }
  StoredCollection stored;
  CollectionConfig& c = stored.config;
  QuantizerConfig& q = c.quantizer;
  int metric = 0, kind = 0, estimator = 0, rotation = 0, projection = 0, store = 0, durability = 0;
  TQDB_RETURN_IF_ERROR(ReadInt<uint32_t>(fields, "id", 0, UINT32_MAX - 1, &stored.id));
  TQDB_ASSIGN_OR_RETURN(c.name, ReadString(fields, "name"));
  TQDB_RETURN_IF_ERROR(ReadInt(fields, "dim", 1, 1 << 24, &q.dim));
  TQDB_RETURN_IF_ERROR(ReadInt(fields, "metric", 0, 2, &metric));
  TQDB_RETURN_IF_ERROR(ReadInt(fields, "bits", 1, 9, &q.bits));
  // Records written before fractional widths have no eighths: whole bits.
  if (fields.contains("eighths"))
    TQDB_RETURN_IF_ERROR(ReadInt(fields, "eighths", 0, 7, &q.eighths));
  // And before compact factors: 32-bit factors.
  if (fields.contains("factor_bits")) {
    TQDB_RETURN_IF_ERROR(ReadInt(fields, "factor_bits", 16, 32, &q.factor_bits));
  }
  TQDB_RETURN_IF_ERROR(ReadInt(fields, "kind", 0, 1, &kind));
  TQDB_RETURN_IF_ERROR(ReadInt(fields, "estimator", 0, 2, &estimator));
  TQDB_RETURN_IF_ERROR(ReadInt(fields, "rotation", 0, 1, &rotation));
  TQDB_RETURN_IF_ERROR(ReadInt(fields, "projection", 0, 1, &projection));
  TQDB_RETURN_IF_ERROR(ReadInt<uint64_t>(fields, "seed", 0, UINT64_MAX, &q.seed));
  TQDB_RETURN_IF_ERROR(ReadInt(fields, "store_vectors", 0, 1, &store));
  TQDB_RETURN_IF_ERROR(ReadInt(fields, "durability", 0, 1, &durability));
  c.metric = static_cast<Metric>(metric);
  q.kind = static_cast<QuantizerKind>(kind);
  q.estimator = static_cast<MseEstimator>(estimator);
  q.rotation = static_cast<RotationKind>(rotation);
  q.projection = static_cast<QjlProjectionKind>(projection);
  c.store_vectors = store == 1;
  c.durability = static_cast<Durability>(durability);
  // Records written before centering existed have neither field: they are uncentered.
  int centering = 0;
  if (fields.contains("centering")) {
    TQDB_RETURN_IF_ERROR(ReadInt(fields, "centering", 0, 2, &centering));
    TQDB_ASSIGN_OR_RETURN(const std::string center, ReadString(fields, "center"));
    for (absl::string_view part : absl::StrSplit(center, ',', absl::SkipEmpty())) {
      float v = 0;
      if (!absl::SimpleAtof(part, &v)) return Malformed(absl::StrCat("center value '", part, "'"));
      c.center.push_back(v);
    }
  }
  c.centering = static_cast<Centering>(centering);
  // Records written before partitioning existed have neither field: they take the defaults, so
  // collections made then partition too once they grow.
  if (fields.contains("partition_at")) {
    TQDB_RETURN_IF_ERROR(ReadInt<uint64_t>(fields, "partition_at", 0, UINT64_MAX, &c.partition_at));
    TQDB_RETURN_IF_ERROR(ReadInt(fields, "nprobe", 0, kMaxNprobe, &c.nprobe));
  }
  // Records written before the memory re-rank stores existed re-rank from disk.
  int rerank_store = 0;
  if (fields.contains("rerank_store")) {
    TQDB_RETURN_IF_ERROR(ReadInt(fields, "rerank_store", 0, 4, &rerank_store));
  }
  c.rerank_store = static_cast<RerankStore>(rerank_store);
  if (absl::Status valid = ValidateCollectionConfig(c); !valid.ok()) {
    return Malformed(valid.message());
  }
  return stored;
}

}  // namespace tqdb::storage
