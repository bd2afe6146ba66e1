// The recall tables: one row per (bit width, method), printed as Markdown and written as
// Markdown and CSV files for the plots.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "method.h"
#include "recall_metrics.h"

namespace tqdb::bench {

struct ResultRow {
  int bits = 0;
  std::string family;
  std::string method;
  double bytes_per_vector = 0;
  double code_bytes = 0;
  std::string extra_memory;
  Recall recall;
  BuildTimes build;
  size_t base_vectors = 0;
  double qps_one_thread = 0;  // 0 when not measured
};

std::string MarkdownHeader();
std::string MarkdownRow(const ResultRow& row);

// Where tqdb stands per bit width: its default variant (`default_method` of that width, no
// re-rank) against FAISS PQ fast scan at tqdb's total bytes (code + factors) and RaBitQ fast scan
// at the same bits, with recall@10@10, single-thread QPS and the ratios tqdb/PQfs, tqdb/RaBitQfs.
std::string SummaryTable(const std::vector<ResultRow>& rows,
                         const std::vector<std::pair<int, std::string>>& default_method);

// Writes `<path_stem>.md` (`title`, then the table) and `<path_stem>.csv`.
absl::Status WriteTables(const std::string& path_stem, const std::string& title,
                         const std::vector<ResultRow>& rows, const std::string& summary);

}  // namespace tqdb::bench
