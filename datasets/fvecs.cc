#include "fvecs.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace tqdb {
namespace {

// Reads the records of a TEXMEX file whose elements are `Element`, converted to `Out`.
template <typename Element, typename Out>
absl::Status ReadTexmex(const std::string& path, size_t max_vectors, int* dim_out,
                        size_t* count_out, std::vector<Out>* values) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  in.seekg(0, std::ios::end);
  const size_t file_size = static_cast<size_t>(in.tellg());
  in.seekg(0);

  int32_t dim = 0;
  if (file_size < sizeof(dim) || !in.read(reinterpret_cast<char*>(&dim), sizeof(dim))) {
    return absl::DataLossError(absl::StrCat(path, ": empty or truncated header"));
  }
  if (dim <= 0 || dim > (1 << 20)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": bad dimension ", dim));
  }
  const size_t record = sizeof(int32_t) + sizeof(Element) * dim;
  if (file_size % record != 0) {
    return absl::DataLossError(
        absl::StrCat(path, ": size ", file_size, " is not a multiple of the record size ", record));
  }
  size_t count = file_size / record;
  if (max_vectors > 0 && max_vectors < count) count = max_vectors;
  values->resize(count * dim);
  in.seekg(0);
  std::vector<char> buffer(record);
  std::vector<Element> elements(dim);
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
    std::memcpy(elements.data(), buffer.data() + sizeof(d), sizeof(Element) * dim);
    for (int j = 0; j < dim; ++j) (*values)[i * dim + j] = static_cast<Out>(elements[j]);
  }
  *dim_out = dim;
  *count_out = count;
  return absl::OkStatus();
}

template <typename Element>
absl::Status WriteTexmex(const std::string& path, const Element* values, size_t count, int dim) {
  if (dim <= 0) return absl::InvalidArgumentError(absl::StrCat("bad dimension ", dim));
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) return absl::PermissionDeniedError(absl::StrCat("cannot write ", temporary));
    const int32_t d = dim;
    for (size_t i = 0; i < count; ++i) {
      out.write(reinterpret_cast<const char*>(&d), sizeof(d));
      out.write(reinterpret_cast<const char*>(values + i * dim), sizeof(Element) * dim);
    }
    if (!out.flush()) return absl::DataLossError(absl::StrCat("write failed: ", temporary));
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    std::remove(temporary.c_str());
    return absl::PermissionDeniedError(absl::StrCat("cannot rename ", temporary, " to ", path));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<DenseDataset> ReadFvecs(const std::string& path, size_t max_vectors) {
  DenseDataset data;
  if (absl::Status s = ReadTexmex<float>(path, max_vectors, &data.dim, &data.count, &data.values);
      !s.ok()) {
    return s;
  }
  return data;
}

absl::StatusOr<DenseDataset> ReadBvecs(const std::string& path, size_t max_vectors) {
  DenseDataset data;
  if (absl::Status s = ReadTexmex<uint8_t>(path, max_vectors, &data.dim, &data.count, &data.values);
      !s.ok()) {
    return s;
  }
  return data;
}

absl::StatusOr<IntRows> ReadIvecs(const std::string& path, size_t max_vectors) {
  IntRows rows;
  if (absl::Status s = ReadTexmex<int32_t>(path, max_vectors, &rows.dim, &rows.count, &rows.values);
      !s.ok()) {
    return s;
  }
  return rows;
}

absl::Status WriteFvecs(const std::string& path, const float* values, size_t count, int dim) {
  return WriteTexmex(path, values, count, dim);
}

absl::Status WriteIvecs(const std::string& path, const int32_t* values, size_t count, int dim) {
  return WriteTexmex(path, values, count, dim);
}

std::string DatasetsDir() {
  if (const char* env = std::getenv("TQDB_DATASETS_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
  return TQDB_DEFAULT_DATASETS_DIR;
}

}  // namespace tqdb
