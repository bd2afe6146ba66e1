#include "index_time.h"

#include <omp.h>

#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "bench_set.h"
#include "faiss_methods.h"
#include "quant/bit_packing.h"
#include "random_vectors.h"
#include "tqdb_method.h"

namespace tqdb::bench {
namespace {

constexpr int kBits = 4;  // the paper's table is at 4 bits per coordinate

// The column of the table a method's time goes to.
int ColumnOf(const Method& method) {
  const std::string name = method.name();
  if (method.family() == "tqdb") return 0;
  if (IsPqFastScan(name)) return 2;
  if (name.rfind("PQ", 0) == 0) return 1;
  if (name == "SQ4") return 3;
  if (name == "SQ4 uniform") return 4;
  if (name.rfind("RaBitQfs", 0) == 0) return 5;
  if (absl::StrContains(name, "SQtqmse")) return 6;
  return -1;
}

// One Markdown row: every method built on `base`, seconds to train + add.
std::string TimeRow(const std::string& source, const std::vector<float>& base, size_t n, int dim,
                    const IndexTimeOptions& options) {
  std::vector<std::unique_ptr<Method>> methods = MakeTqdbMethods(
      TqdbDefaultVariant(dim, kBits, BenchMetric::kCosine), dim, kBits, BenchMetric::kCosine, 0);
  for (auto& m :
       MakeFaissMethods(dim, static_cast<int>(PackedBytes(dim, kBits)), BenchMetric::kCosine, "")) {
    methods.push_back(std::move(m));
  }
  for (auto& m : MakeFaissBitMethods(dim, kBits, BenchMetric::kCosine)) {
    methods.push_back(std::move(m));
  }
  std::vector<std::string> cells(7, "-");
  double tqdb_seconds = 0;
  for (auto& method : methods) {
    const int column = ColumnOf(*method);
    if (column < 0) continue;
    if (column == 1 && dim > options.pq8_max_dim) {
      cells[column] = "not run";
      continue;
    }
    if (options.progress) {
      options.progress(
          absl::StrCat("index time d=", dim, " ", method->family(), " ", method->name()));
    }
    BuildTimes times;
    if (!method->Build(base.data(), n, &times).ok()) {
      cells[column] = "failed";
      continue;
    }
    const double seconds = times.train_s + times.add_s;
    if (column == 0) tqdb_seconds = seconds;
    const double ratio = tqdb_seconds > 0 ? seconds / tqdb_seconds : 0;
    cells[column] = column == 0   ? absl::StrFormat("%.2f", seconds)
                    : ratio >= 10 ? absl::StrFormat("%.2f (%.0fx)", seconds, ratio)
                                  : absl::StrFormat("%.2f (%.2gx)", seconds, ratio);
    method.reset();
  }
  return absl::StrFormat("| %d | %s | %d | %s |\n", dim, source, n, absl::StrJoin(cells, " | "));
}

}  // namespace

std::string IndexTimeTable(const IndexTimeOptions& options) {
  std::string table = absl::StrFormat(
      "## Indexing time, %d bits per coordinate, %d threads\n\n"
      "Seconds to index the vectors (FAISS: training + encoding; tqdb: encoding, nothing to "
      "train), in brackets relative to tqdb. %s\n\n"
      "| d | data | vectors | tqdb default | FAISS PQ d/2 x 8 | FAISS PQ fast scan d x 4fs | "
      "FAISS SQ4 | FAISS SQ4 uniform | FAISS RaBitQfs4 | FAISS RR,SQtqmse4 |\n"
      "|---|---|---|---|---|---|---|---|---|---|\n",
      kBits, omp_get_max_threads(), BaselineHeader());
  for (const std::string& file : options.real_files) {
    absl::StatusOr<BenchSet> set = LoadBenchSet(file, 1, options.vectors);
    if (!set.ok()) continue;
    const std::string name = std::filesystem::path(file).filename().string();
    table += TimeRow(name, set->base, set->n, set->dim, options);
  }
  for (int dim : options.synthetic_dims) {
    if (dim <= 0) continue;
    table += TimeRow("random (Gaussian, normalized)", RandomUnitVectors(options.vectors, dim, dim),
                     options.vectors, dim, options);
  }
  return table;
}

}  // namespace tqdb::bench
