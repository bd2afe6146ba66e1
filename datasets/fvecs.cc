#include "fvecs.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace tqdb {

absl::StatusOr<DenseDataset> ReadFvecs(const std::string& path, size_t max_vectors) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  in.seekg(0, std::ios::end);
  const size_t file_size = static_cast<size_t>(in.tellg());
  in.seekg(0);

  DenseDataset data;
  int32_t dim = 0;
  if (file_size < sizeof(dim) || !in.read(reinterpret_cast<char*>(&dim), sizeof(dim))) {
    return absl::DataLossError(absl::StrCat(path, ": empty or truncated header"));
  }
  if (dim <= 0 || dim > (1 << 20)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": bad dimension ", dim));
  }
  const size_t record = sizeof(int32_t) + sizeof(float) * dim;
  if (file_size % record != 0) {
    return absl::DataLossError(
        absl::StrCat(path, ": size ", file_size, " is not a multiple of the record size ", record));
  }
  size_t count = file_size / record;
  if (max_vectors > 0 && max_vectors < count) count = max_vectors;
  data.dim = dim;
  data.count = count;
  data.values.resize(count * dim);
  in.seekg(0);
  std::vector<char> buffer(record);
  for (size_t i = 0; i < count; ++i) {
    if (!in.read(buffer.data(), record)) {
      return absl::DataLossError(absl::StrCat(path, ": truncated at vector ", i));
    }
    int32_t d;
    std::memcpy(&d, buffer.data(), sizeof(d));
    if (d != dim) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": vector ", i, " has dimension ", d, ", expected ", dim));
    }
    std::memcpy(&data.values[i * dim], buffer.data() + sizeof(d), sizeof(float) * dim);
  }
  return data;
}

std::string DatasetsDir() {
  if (const char* env = std::getenv("TQDB_DATASETS_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
  return TQDB_DEFAULT_DATASETS_DIR;
}

}  // namespace tqdb
