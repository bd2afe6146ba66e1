// Readers for the embedding file formats users bring: GloVe text ("word v1 v2 ..."), CSV and
// JSON lines with an embedding column (the shape of OpenAI embedding exports), NumPy .npy
// (float32/float64, 2-D, C order), and .fvecs (fvecs.h). LoadEmbeddings picks by extension.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "fvecs.h"

namespace tqdb {

struct EmbeddingFile {
  DenseDataset data;
  // One label per row where the format has them (GloVe words, an "id" column); else empty.
  std::vector<std::string> labels;
};

struct LoadOptions {
  size_t max_vectors = 0;              // 0: all
  std::string column = "embedding";    // CSV / JSON lines: the column holding the vector
  std::string hdf5_dataset = "train";  // HDF5: the 2-D dataset to read
};

// .fvecs, .bvecs, .npy, .hdf5/.h5, .csv, .jsonl/.json (one object per line), anything else as
// GloVe text.
absl::StatusOr<EmbeddingFile> LoadEmbeddings(const std::string& path,
                                             const LoadOptions& options = {});

// Whether LoadEmbeddings reads `path` as GloVe text (by extension: none of the others).
bool IsGloveTextPath(const std::string& path);

absl::StatusOr<EmbeddingFile> ReadGloveText(const std::string& path, size_t max_vectors = 0);
absl::StatusOr<EmbeddingFile> ReadNpy(const std::string& path, size_t max_vectors = 0);
absl::StatusOr<EmbeddingFile> ReadCsv(const std::string& path, const LoadOptions& options);
absl::StatusOr<EmbeddingFile> ReadJsonLines(const std::string& path, const LoadOptions& options);

// Splits one CSV line into cells, honouring double quotes ("" inside quotes is a quote).
std::vector<std::string> SplitCsvLine(const std::string& line);

// Parses "[0.1, 0.2]" or "0.1,0.2" or "0.1 0.2" into floats; InvalidArgument on anything else.
absl::StatusOr<std::vector<float>> ParseVectorText(std::string_view text);

}  // namespace tqdb
