#include "embedding_files.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "glove_text_stream.h"
#include "hdf5_file.h"
#include "row_stream.h"

namespace tqdb {
namespace {

bool EndsWith(const std::string& s, const char* suffix) {
  const size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

// Parses the vector in `text` (line `line` of `path`) and appends it to `file`, checking that
// every row has the first row's dimension. Errors name the file and line.
absl::Status AppendRow(const std::string& path, size_t line, std::string_view text,
                       EmbeddingFile* file) {
  absl::StatusOr<std::vector<float>> row = ParseVectorText(text);
  if (!row.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ":", line, ": ", row.status().message()));
  }
  if (row->empty()) return absl::InvalidArgumentError(absl::StrCat(path, ":", line, ": no values"));
  if (file->data.dim == 0) file->data.dim = static_cast<int>(row->size());
  if (static_cast<int>(row->size()) != file->data.dim) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ":", line, ": ", row->size(), " values, but earlier rows have ", file->data.dim));
  }
  file->data.values.insert(file->data.values.end(), row->begin(), row->end());
  ++file->data.count;
  return absl::OkStatus();
}

// A text reader's result, or InvalidArgument when it read no row.
absl::StatusOr<EmbeddingFile> NonEmpty(const std::string& path, EmbeddingFile file) {
  if (file.data.count == 0) return absl::InvalidArgumentError(absl::StrCat(path, ": no vectors"));
  return file;
}

// The value of a top-level string or number field `key` in one JSON object line, if present.
std::string JsonScalar(const std::string& line, const std::string& key) {
  const size_t at = line.find("\"" + key + "\"");
  if (at == std::string::npos) return "";
  size_t p = line.find(':', at);
  if (p == std::string::npos) return "";
  ++p;
  while (p < line.size() && line[p] == ' ') ++p;
  if (p < line.size() && line[p] == '"') {
    const size_t end = line.find('"', p + 1);
    return end == std::string::npos ? "" : line.substr(p + 1, end - p - 1);
  }
  size_t end = p;
  while (end < line.size() && line[end] != ',' && line[end] != '}') ++end;
  return line.substr(p, end - p);
}

}  // namespace

std::vector<std::string> SplitCsvLine(const std::string& line) {
  // Whole runs between quotes and commas are appended at once: a vector cell is most of a row.
  std::vector<std::string> cells(1);
  bool quoted = false;
  size_t i = 0;
  while (i < line.size()) {
    const size_t stop = quoted ? line.find('"', i) : line.find_first_of("\",\r", i);
    const size_t end = stop == std::string::npos ? line.size() : stop;
    cells.back().append(line, i, end - i);
    if (end == line.size()) break;
    const char c = line[end];
    i = end + 1;
    if (quoted) {
      if (i < line.size() && line[i] == '"') {  // "" inside quotes is one quote
        cells.back() += '"';
        ++i;
      } else {
        quoted = false;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      cells.emplace_back();
    }  // a '\r' outside quotes is dropped
  }
  return cells;
}

namespace {

bool IsVectorSeparator(char c) {
  return c == ' ' || c == '[' || c == ']' || c == ',' || c == '\t' || c == '\n' || c == '\r';
}

}  // namespace

absl::StatusOr<std::vector<float>> ParseVectorText(std::string_view text) {
  std::vector<float> values;
  const char* p = text.data();
  const char* const end = text.data() + text.size();
  while (true) {
    while (p < end && IsVectorSeparator(*p)) ++p;
    if (p == end) break;
    const char* token_end = p;
    while (token_end < end && !IsVectorSeparator(*token_end)) ++token_end;
    // from_chars reads the common forms exactly and fast; strtof the rest as before (a leading
    // '+', hex, values past float's range, which it takes to infinity or zero).
    float v;
    const auto [stop, error] = std::from_chars(p, token_end, v);
    if (error != std::errc() || stop != token_end) {
      const std::string token(p, token_end);
      char* parsed = nullptr;
      v = std::strtof(token.c_str(), &parsed);
      if (parsed != token.c_str() + token.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("not a number at '", std::string(p, std::min<size_t>(20, end - p)), "'"));
      }
    }
    values.push_back(v);
    p = token_end;
  }
  return values;
}

absl::StatusOr<EmbeddingFile> ReadGloveText(const std::string& path, size_t max_vectors) {
  absl::StatusOr<std::unique_ptr<GloveTextStream>> stream =
      GloveTextStream::Open(path, max_vectors);
  if (!stream.ok()) return stream.status();
  EmbeddingFile file;
  file.data.dim = (*stream)->dim();
  file.data.count = (*stream)->rows();
  file.data.values.resize(file.data.count * file.data.dim);
  if (absl::Status s = (*stream)->Read(file.data.count, file.data.values.data(), &file.labels);
      !s.ok()) {
    return s;
  }
  return file;
}

absl::StatusOr<EmbeddingFile> ReadCsv(const std::string& path, const LoadOptions& options) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::string line;
  if (!std::getline(in, line)) return absl::InvalidArgumentError(absl::StrCat(path, ": empty"));
  const std::vector<std::string> header = SplitCsvLine(line);
  int column = -1, id_column = -1;
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == options.column) column = static_cast<int>(i);
    if (header[i] == "id") id_column = static_cast<int>(i);
  }
  if (column < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": no column named '", options.column, "' in the header"));
  }
  EmbeddingFile file;
  for (size_t n = 2; std::getline(in, line); ++n) {
    if (line.empty()) continue;
    const std::vector<std::string> cells = SplitCsvLine(line);
    if (static_cast<int>(cells.size()) <= column) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", n, ": too few columns"));
    }
    if (absl::Status s = AppendRow(path, n, cells[column], &file); !s.ok()) return s;
    if (id_column >= 0 && id_column < static_cast<int>(cells.size())) {
      file.labels.push_back(cells[id_column]);
    }
    if (options.max_vectors != 0 && file.data.count == options.max_vectors) break;
  }
  return NonEmpty(path, std::move(file));
}

absl::StatusOr<EmbeddingFile> ReadJsonLines(const std::string& path, const LoadOptions& options) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  EmbeddingFile file;
  std::string line;
  const std::string key = "\"" + options.column + "\"";
  for (size_t n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const size_t at = line.find(key);
    const size_t open = at == std::string::npos ? at : line.find('[', at);
    const size_t close = open == std::string::npos ? open : line.find(']', open);
    if (close == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", n, ": no array field ", key));
    }
    const std::string_view array = std::string_view(line).substr(open, close - open + 1);
    if (absl::Status s = AppendRow(path, n, array, &file); !s.ok()) return s;
    if (std::string id = JsonScalar(line, "id"); !id.empty()) file.labels.push_back(id);
    if (options.max_vectors != 0 && file.data.count == options.max_vectors) break;
  }
  if (file.labels.size() != file.data.count) file.labels.clear();
  return NonEmpty(path, std::move(file));
}

absl::StatusOr<EmbeddingFile> ReadNpy(const std::string& path, size_t max_vectors) {
  absl::StatusOr<std::unique_ptr<RowStream>> stream = RowStream::Open(path, max_vectors);
  if (!stream.ok()) return stream.status();
  EmbeddingFile file;
  file.data.dim = (*stream)->dim();
  file.data.count = (*stream)->rows();
  file.data.values.resize(file.data.count * file.data.dim);
  if (absl::Status read = (*stream)->Read(file.data.count, file.data.values.data()); !read.ok()) {
    return read;
  }
  return file;
}

absl::StatusOr<EmbeddingFile> LoadEmbeddings(const std::string& path, const LoadOptions& options) {
  if (EndsWith(path, ".fvecs") || EndsWith(path, ".bvecs") || EndsWith(path, ".hdf5") ||
      EndsWith(path, ".h5")) {
    absl::StatusOr<DenseDataset> data =
        EndsWith(path, ".fvecs") ? ReadFvecs(path, options.max_vectors)
        : EndsWith(path, ".bvecs")
            ? ReadBvecs(path, options.max_vectors)
            : ReadHdf5Matrix(path, options.hdf5_dataset, options.max_vectors);
    if (!data.ok()) return data.status();
    return EmbeddingFile{*std::move(data), {}};
  }
  if (EndsWith(path, ".npy")) return ReadNpy(path, options.max_vectors);
  if (EndsWith(path, ".csv")) return ReadCsv(path, options);
  if (EndsWith(path, ".jsonl") || EndsWith(path, ".json")) return ReadJsonLines(path, options);
  return ReadGloveText(path, options.max_vectors);
}

bool IsGloveTextPath(const std::string& path) {
  for (const char* other :
       {".fvecs", ".bvecs", ".hdf5", ".h5", ".npy", ".csv", ".jsonl", ".json"}) {
    if (EndsWith(path, other)) return false;
  }
  return true;
}

}  // namespace tqdb
