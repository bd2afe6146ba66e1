// tqdb-convert: rewrites any embedding file tqdb reads (.fvecs, .bvecs, .npy, .hdf5, CSV/JSON
// lines with an embedding column, GloVe text) as .fvecs, the format the benchmarks scan for.
//
//   tqdb-convert IN OUT.fvecs [--max=N] [--column=embedding] [--hdf5_dataset=train]
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "embedding_files.h"
#include "fvecs.h"

ABSL_FLAG(size_t, max, 0, "convert at most this many vectors (0: all)");
ABSL_FLAG(std::string, column, "embedding", "CSV / JSON lines: the column with the vector");
ABSL_FLAG(std::string, hdf5_dataset, "train", "HDF5: the 2-D dataset to convert");

int main(int argc, char** argv) {
  // --help lists the flags defined in this file (absl's default looks for the program's name
  // in the file name, which matches none here; absl hands over the path without its leading /).
  absl::FlagsUsageConfig usage;
  usage.contains_help_flags = [](absl::string_view file) {
    return !file.empty() && absl::EndsWith(__FILE__, file);
  };
  absl::SetFlagsUsageConfig(usage);
  absl::SetProgramUsageMessage(
      "converts an embedding file to .fvecs.\n  tqdb-convert IN OUT.fvecs [--max=N] "
      "[--column=embedding] [--hdf5_dataset=train]");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() != 3) {
    std::fprintf(stderr, "usage: tqdb-convert IN OUT.fvecs (see --help)\n");
    return 2;
  }
  tqdb::LoadOptions options;
  options.max_vectors = absl::GetFlag(FLAGS_max);
  options.column = absl::GetFlag(FLAGS_column);
  options.hdf5_dataset = absl::GetFlag(FLAGS_hdf5_dataset);
  absl::StatusOr<tqdb::EmbeddingFile> file = tqdb::LoadEmbeddings(args[1], options);
  if (!file.ok()) {
    std::fprintf(stderr, "%s\n", file.status().ToString().c_str());
    return 1;
  }
  const tqdb::DenseDataset& data = file->data;
  if (absl::Status s = tqdb::WriteFvecs(args[2], data.values.data(), data.count, data.dim);
      !s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  std::printf("%s: %zu vectors of dimension %d\n", args[2], data.count, data.dim);
  return 0;
}
