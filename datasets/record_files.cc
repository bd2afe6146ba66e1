#include "record_files.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "embedding_files.h"
#include "json_vector_field.h"
#include "nlohmann/json.hpp"

namespace tqdb {
namespace {

using nlohmann::json;

bool IsJsonLines(const std::string& path) {
  return absl::EndsWith(path, ".jsonl") || absl::EndsWith(path, ".json");
}

bool Blank(const std::string& line) { return line.find_first_not_of(" \t\r") == std::string::npos; }

bool Keeps(const RecordColumns& columns, const std::string& field) {
  if (field == columns.vector || field == columns.id) return false;
  for (const std::string& kept : columns.payload) {
    if (kept == "*" || kept == field) return true;
  }
  return false;
}

// A CSV cell as a payload value: a number, true, false or null as JSON has them, else the text.
json CellValue(const std::string& cell) {
  if (cell.empty()) return nullptr;
  json value = json::parse(cell, nullptr, /*allow_exceptions=*/false);
  if (!value.is_discarded() && (value.is_number() || value.is_boolean() || value.is_null())) {
    return value;
  }
  return cell;
}

class JsonLinesReader final : public RecordReader {
 public:
  JsonLinesReader(const std::string& path, const RecordColumns& columns)
      : RecordReader(path, columns) {}

  absl::Status Next(size_t rows, RecordBatch* batch) override {
    *batch = RecordBatch();
    std::string line;
    while (batch->rows < rows && std::getline(in_, line)) {
      ++line_;
      if (Blank(line)) continue;
      // The vector by the fast scanner when the row is plain; the DOM parse sees only the rest.
      std::optional<SplitJsonRow> split = SplitJsonVectorField(line, columns_.vector);
      json row = json::parse(split.has_value() ? split->rest : line, nullptr,
                             /*allow_exceptions=*/false);
      if (row.is_discarded() || !row.is_object()) {
        return absl::InvalidArgumentError(absl::StrCat(Where(), ": not a JSON object"));
      }
      std::vector<float> values;
      if (split.has_value()) {
        values = std::move(split->vector);
      } else {
        absl::Status read = ReadVectorField(row, &values);
        if (!read.ok()) return read;
      }
      uint64_t id = 0;
      const uint64_t* has_id = nullptr;
      if (const auto field = row.find(columns_.id); field != row.end()) {
        if (field->is_number_unsigned()) {
          id = field->get<uint64_t>();
        } else if (!field->is_string() || !absl::SimpleAtoi(field->get<std::string>(), &id)) {
          return absl::InvalidArgumentError(absl::StrCat(
              Where(), ": \"", columns_.id, "\" is ", field->dump(),
              "; ids are unsigned 64-bit integers (name another field with --id_column)"));
        }
        has_id = &id;
      }
      json payload = json::object();
      for (auto& [key, value] : row.items()) {
        if (Keeps(columns_, key)) payload[key] = std::move(value);
      }
      absl::Status appended =
          Append(std::move(values), has_id, payload.empty() ? "" : payload.dump(), batch);
      if (!appended.ok()) return appended;
    }
    return absl::OkStatus();
  }

 private:
  // The vector field of a row the fast scanner passed over, or why it is not one.
  absl::Status ReadVectorField(const json& row, std::vector<float>* values) const {
    const auto vector = row.find(columns_.vector);
    if (vector == row.end() || !vector->is_array()) {
      return absl::InvalidArgumentError(
          absl::StrCat(Where(), ": no array field \"", columns_.vector, "\""));
    }
    values->reserve(vector->size());
    for (const json& v : *vector) {
      if (!v.is_number()) {
        return absl::InvalidArgumentError(
            absl::StrCat(Where(), ": \"", columns_.vector, "\" holds a non-number"));
      }
      values->push_back(v.get<float>());
    }
    return absl::OkStatus();
  }
};

class CsvReader final : public RecordReader {
 public:
  CsvReader(const std::string& path, const RecordColumns& columns) : RecordReader(path, columns) {}

  absl::Status ReadHeader() {
    std::string line;
    if (!std::getline(in_, line)) return absl::InvalidArgumentError(absl::StrCat(path_, ": empty"));
    ++line_;
    header_ = SplitCsvLine(line);
    for (size_t i = 0; i < header_.size(); ++i) {
      if (header_[i] == columns_.vector) vector_column_ = static_cast<int>(i);
      if (header_[i] == columns_.id) id_column_ = static_cast<int>(i);
    }
    if (vector_column_ < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(path_, ": no column named '", columns_.vector, "' in the header"));
    }
    return absl::OkStatus();
  }

  absl::Status Next(size_t rows, RecordBatch* batch) override {
    *batch = RecordBatch();
    std::string line;
    while (batch->rows < rows && std::getline(in_, line)) {
      ++line_;
      if (Blank(line)) continue;
      const std::vector<std::string> cells = SplitCsvLine(line);
      if (cells.size() != header_.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat(Where(), ": ", cells.size(), " cells, the header has ", header_.size()));
      }
      absl::StatusOr<std::vector<float>> values = ParseVectorText(cells[vector_column_]);
      if (!values.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(Where(), ": ", values.status().message()));
      }
      uint64_t id = 0;
      if (id_column_ >= 0 && !absl::SimpleAtoi(cells[id_column_], &id)) {
        return absl::InvalidArgumentError(
            absl::StrCat(Where(), ": id '", cells[id_column_],
                         "' is not an unsigned 64-bit integer (name another column with "
                         "--id_column)"));
      }
      json payload = json::object();
      for (size_t i = 0; i < cells.size(); ++i) {
        if (Keeps(columns_, header_[i])) payload[header_[i]] = CellValue(cells[i]);
      }
      absl::Status appended = Append(*std::move(values), id_column_ >= 0 ? &id : nullptr,
                                     payload.empty() ? "" : payload.dump(), batch);
      if (!appended.ok()) return appended;
    }
    return absl::OkStatus();
  }

 private:
  std::vector<std::string> header_;
  int vector_column_ = -1, id_column_ = -1;
};

}  // namespace

RecordReader::RecordReader(const std::string& path, const RecordColumns& columns)
    : path_(path), columns_(columns), in_(path) {}

std::string RecordReader::Where() const { return absl::StrCat(path_, ":", line_); }

absl::Status RecordReader::Append(std::vector<float> vector, const uint64_t* id,
                                  std::string payload, RecordBatch* batch) {
  if (vector.empty()) return absl::InvalidArgumentError(absl::StrCat(Where(), ": no values"));
  if (dim_ == 0) dim_ = static_cast<int>(vector.size());
  if (static_cast<int>(vector.size()) != dim_) {
    return absl::InvalidArgumentError(
        absl::StrCat(Where(), ": ", vector.size(), " values, but earlier rows have ", dim_));
  }
  if (has_ids_ < 0) has_ids_ = id != nullptr ? 1 : 0;
  if ((id != nullptr) != (has_ids_ == 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        Where(), id != nullptr ? ": has an id where earlier rows have none"
                               : ": has no \"" + columns_.id + "\" where earlier rows have one"));
  }
  batch->vectors.insert(batch->vectors.end(), vector.begin(), vector.end());
  if (id != nullptr) batch->ids.push_back(*id);
  // Either every row of a batch has a payload string or none: an empty one stands for "none".
  if (!payload.empty() && batch->payloads.size() < batch->rows) {
    batch->payloads.resize(batch->rows);
  }
  if (!payload.empty() || !batch->payloads.empty()) batch->payloads.push_back(std::move(payload));
  ++batch->rows;
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<RecordReader>> RecordReader::Open(const std::string& path,
                                                                 const RecordColumns& columns) {
  const bool json_lines = IsJsonLines(path);
  if (!json_lines && !absl::EndsWith(path, ".csv")) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": records are read from .csv, .jsonl or .json (JSON lines) files"));
  }
  std::unique_ptr<RecordReader> reader;
  if (json_lines) {
    reader = std::make_unique<JsonLinesReader>(path, columns);
  } else {
    reader = std::make_unique<CsvReader>(path, columns);
  }
  if (!reader->in_) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  if (!json_lines) {
    if (absl::Status status = static_cast<CsvReader*>(reader.get())->ReadHeader(); !status.ok()) {
      return status;
    }
  }
  return reader;
}

absl::StatusOr<size_t> CountRecords(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  size_t rows = 0;
  std::string line;
  while (std::getline(in, line)) rows += Blank(line) ? 0 : 1;
  if (!IsJsonLines(path) && rows > 0) --rows;  // the header
  return rows;
}

}  // namespace tqdb
