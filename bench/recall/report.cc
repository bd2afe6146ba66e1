#include "report.h"

#include <fstream>
#include <functional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "faiss_methods.h"

namespace tqdb::bench {
namespace {

double EncodeRate(const ResultRow& row) {
  return row.build.add_s > 0 ? row.base_vectors / row.build.add_s : 0;
}

std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

const ResultRow* FindRow(const std::vector<ResultRow>& rows, int bits,
                         const std::function<bool(const ResultRow&)>& match) {
  for (const ResultRow& row : rows) {
    if (row.bits == bits && match(row)) return &row;
  }
  return nullptr;
}

std::string Cell(const ResultRow* row) {
  if (row == nullptr) return "- | - | -";
  return absl::StrFormat(
      "%s (%g B) | %.3f | %s", row->method, row->bytes_per_vector, row->recall.at10,
      row->qps_one_thread > 0 ? absl::StrFormat("%.0f", row->qps_one_thread) : std::string("-"));
}

std::string Ratio(const ResultRow* ours, const ResultRow* theirs) {
  if (ours == nullptr || theirs == nullptr || theirs->qps_one_thread <= 0) return "-";
  return absl::StrFormat("%.2f", ours->qps_one_thread / theirs->qps_one_thread);
}

}  // namespace

std::string SummaryTable(const std::vector<ResultRow>& rows,
                         const std::vector<std::pair<int, std::string>>& default_method) {
  std::string table =
      "| bits | tqdb default | R@10@10 | QPS | FAISS PQ fast scan, tqdb's total bytes | R@10@10 | "
      "QPS | FAISS RaBitQ fast scan | R@10@10 | QPS | QPS tqdb/PQfs | QPS tqdb/RaBitQfs |\n"
      "|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& [bits, name] : default_method) {
    const ResultRow* ours = FindRow(
        rows, bits, [&](const ResultRow& r) { return r.family == "tqdb" && r.method == name; });
    // The fast-scan row with the most bytes that are at most tqdb's total: equal where FAISS
    // can store that many (m = 2 x bytes <= d), else its largest.
    const ResultRow* pqfs = nullptr;
    for (const ResultRow& r : rows) {
      if (r.bits != bits || r.family != "faiss" || !IsPqFastScan(r.method)) continue;
      if (ours != nullptr && r.bytes_per_vector > ours->bytes_per_vector) continue;
      if (pqfs == nullptr || r.bytes_per_vector > pqfs->bytes_per_vector) pqfs = &r;
    }
    const std::string rabitq_name = absl::StrCat("RaBitQfs", bits);
    const ResultRow* rabitq = FindRow(rows, bits, [&](const ResultRow& r) {
      return r.family == "faiss" && r.method == rabitq_name;
    });
    absl::StrAppend(&table, "| ", bits, " | ", Cell(ours), " | ", Cell(pqfs), " | ", Cell(rabitq),
                    " | ", Ratio(ours, pqfs), " | ", Ratio(ours, rabitq), " |\n");
  }
  return table;
}

std::string MarkdownHeader() {
  std::string header = "| bits | method | bytes/vec | ";
  for (int k : kRecallAt1Ks) absl::StrAppend(&header, "R@1@", k, " | ");
  absl::StrAppend(&header,
                  "R@10@10 | train s | index s | encode vec/s | QPS 1 thread |\n|---|---|---|");
  for (size_t i = 0; i < kRecallAt1Ks.size() + 5; ++i) header += "---|";
  return header + "\n";
}

std::string MarkdownRow(const ResultRow& row) {
  std::string line = absl::StrFormat("| %d | %s %s | %g%s |", row.bits, row.family, row.method,
                                     row.bytes_per_vector,
                                     row.extra_memory.empty() ? "" : " + " + row.extra_memory);
  for (double r : row.recall.at1) absl::StrAppendFormat(&line, " %.3f |", r);
  absl::StrAppendFormat(
      &line, " %.3f | %.2f | %.2f | %.0f | %s |\n", row.recall.at10, row.build.train_s,
      row.build.train_s + row.build.add_s, EncodeRate(row),
      row.qps_one_thread > 0 ? absl::StrFormat("%.0f", row.qps_one_thread) : std::string("-"));
  return line;
}

absl::Status WriteTables(const std::string& path_stem, const std::string& title,
                         const std::vector<ResultRow>& rows, const std::string& summary) {
  std::ofstream md(path_stem + ".md");
  md << title << "\n\n" << MarkdownHeader();
  for (const ResultRow& row : rows) md << MarkdownRow(row);
  md << "\n" << summary;
  std::ofstream csv(path_stem + ".csv");
  std::vector<std::string> header = {"bits",       "family",      "method", "bytes_per_vector",
                                     "code_bytes", "extra_memory"};
  for (int k : kRecallAt1Ks) header.push_back(absl::StrCat("recall_1_at_", k));
  for (const char* name : {"recall_10_at_10", "train_s", "add_s", "encode_vectors_per_s",
                           "qps_one_thread", "base_vectors"}) {
    header.push_back(name);
  }
  csv << absl::StrJoin(header, ",") << "\n";
  for (const ResultRow& row : rows) {
    std::vector<std::string> fields = {
        absl::StrCat(row.bits),       CsvField(row.family),
        CsvField(row.method),         absl::StrCat(row.bytes_per_vector),
        absl::StrCat(row.code_bytes), CsvField(row.extra_memory)};
    for (double r : row.recall.at1) fields.push_back(absl::StrFormat("%.4f", r));
    fields.push_back(absl::StrFormat("%.4f", row.recall.at10));
    fields.push_back(absl::StrFormat("%.4f", row.build.train_s));
    fields.push_back(absl::StrFormat("%.4f", row.build.add_s));
    fields.push_back(absl::StrFormat("%.0f", EncodeRate(row)));
    fields.push_back(absl::StrFormat("%.1f", row.qps_one_thread));
    fields.push_back(absl::StrCat(row.base_vectors));
    csv << absl::StrJoin(fields, ",") << "\n";
  }
  md.close();
  csv.close();
  if (!md || !csv) return absl::PermissionDeniedError("cannot write " + path_stem + ".md/.csv");
  return absl::OkStatus();
}

}  // namespace tqdb::bench
