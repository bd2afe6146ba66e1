#include "glove_text_stream.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "embedding_files.h"

namespace tqdb {
namespace {

// A row's word and values, or InvalidArgument naming `where`.
absl::Status ParseRow(const std::string& text, const std::string& where, std::string* word,
                      std::vector<float>* values) {
  const size_t space = text.find(' ');
  if (space == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": expected 'word v1 v2 ...'"));
  }
  absl::StatusOr<std::vector<float>> parsed =
      ParseVectorText(std::string_view(text).substr(space + 1));
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", parsed.status().message()));
  }
  if (parsed->empty()) return absl::InvalidArgumentError(absl::StrCat(where, ": no values"));
  *word = text.substr(0, space);
  *values = *std::move(parsed);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<GloveTextStream>> GloveTextStream::Open(const std::string& path,
                                                                       size_t max_rows) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  size_t rows = 0, first_line = 0;
  std::string line, first;
  for (size_t n = 1; (max_rows == 0 || rows < max_rows) && std::getline(in, line); ++n) {
    if (line.empty()) continue;
    if (rows++ == 0) {
      first = line;
      first_line = n;
    }
  }
  if (rows == 0) return absl::InvalidArgumentError(absl::StrCat(path, ": no vectors"));
  std::string word;
  std::vector<float> values;
  if (absl::Status parsed = ParseRow(first, absl::StrCat(path, ":", first_line), &word, &values);
      !parsed.ok()) {
    return parsed;
  }
  auto stream = std::unique_ptr<GloveTextStream>(
      new GloveTextStream(path, rows, static_cast<int>(values.size())));
  if (!stream->in_) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  return stream;
}

GloveTextStream::GloveTextStream(std::string path, size_t rows, int dim)
    : path_(std::move(path)), rows_(rows), dim_(dim), in_(path_) {}

absl::Status GloveTextStream::NextRow(std::string* word, float* values) {
  do {
    if (!std::getline(in_, text_)) {
      return absl::DataLossError(absl::StrCat(path_, " ended before its ", rows_, " rows"));
    }
    ++line_;
  } while (text_.empty());
  std::vector<float> parsed;
  const std::string where = absl::StrCat(path_, ":", line_);
  if (absl::Status s = ParseRow(text_, where, word, &parsed); !s.ok()) return s;
  if (static_cast<int>(parsed.size()) != dim_) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": ", parsed.size(), " values, but earlier rows have ", dim_));
  }
  std::copy(parsed.begin(), parsed.end(), values);
  return absl::OkStatus();
}

absl::Status GloveTextStream::Read(size_t count, float* out, std::vector<std::string>* words) {
  if (count > rows_ - position_) {
    return absl::InvalidArgumentError(
        absl::StrCat(path_, ": ", count, " rows asked for, ", rows_ - position_, " left"));
  }
  if (words != nullptr) words->resize(count);
  std::string word;
  for (size_t i = 0; i < count; ++i) {
    if (absl::Status s = NextRow(&word, out + i * dim_); !s.ok()) return s;
    if (words != nullptr) (*words)[i] = std::move(word);
    ++position_;
  }
  return absl::OkStatus();
}

absl::Status GloveTextStream::Skip(size_t count) {
  std::vector<float> row(dim_);
  std::string word;
  if (count > rows_ - position_) {
    return absl::InvalidArgumentError(
        absl::StrCat(path_, ": ", count, " rows to skip, ", rows_ - position_, " left"));
  }
  for (size_t i = 0; i < count; ++i, ++position_) {
    if (absl::Status s = NextRow(&word, row.data()); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace tqdb
