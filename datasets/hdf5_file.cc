#include "hdf5_file.h"

#include <hdf5.h>

#include <filesystem>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace tqdb {
namespace {

// Owns one HDF5 identifier and closes it with `close` (H5Fclose, H5Dclose, ...).
class Handle {
 public:
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  Handle(Handle&& other) : id_(std::exchange(other.id_, -1)), close_(other.close_) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() {
    if (id_ >= 0) close_(id_);
  }
  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

// HDF5 prints its error stack to stderr by default; errors are returned as statuses instead.
void SilenceHdf5Errors() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

absl::StatusOr<Handle> OpenFile(const std::string& path) {
  SilenceHdf5Errors();
  if (!std::filesystem::exists(path))
    return absl::NotFoundError(absl::StrCat("cannot open ", path));
  Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file.ok()) return absl::DataLossError(absl::StrCat(path, ": not a readable HDF5 file"));
  return file;
}

// Reads rows [0, max_rows) of a 2-D dataset of class `expected_class` as `memory_type`.
template <typename T>
absl::Status ReadMatrix(const std::string& path, const std::string& name, size_t max_rows,
                        H5T_class_t expected_class, hid_t memory_type, int* dim, size_t* count,
                        std::vector<T>* values) {
  absl::StatusOr<Handle> file = OpenFile(path);
  if (!file.ok()) return file.status();
  if (H5Lexists(file->get(), name.c_str(), H5P_DEFAULT) <= 0) {
    return absl::NotFoundError(absl::StrCat(path, ": no dataset '", name, "'"));
  }
  Handle dataset(H5Dopen2(file->get(), name.c_str(), H5P_DEFAULT), H5Dclose);
  if (!dataset.ok()) return absl::DataLossError(absl::StrCat(path, ": cannot open '", name, "'"));
  Handle type(H5Dget_type(dataset.get()), H5Tclose);
  if (H5Tget_class(type.get()) != expected_class) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": dataset '", name, "' has the wrong element type (expected ",
                     expected_class == H5T_FLOAT ? "float" : "integer", ")"));
  }
  Handle space(H5Dget_space(dataset.get()), H5Sclose);
  hsize_t dims[2] = {0, 0};
  if (H5Sget_simple_extent_ndims(space.get()) != 2 ||
      H5Sget_simple_extent_dims(space.get(), dims, nullptr) != 2) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": dataset '", name, "' is not a 2-D matrix"));
  }
  if (dims[1] == 0 || dims[1] > (1u << 20)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": dataset '", name, "' has bad width ", dims[1]));
  }
  hsize_t rows = dims[0];
  if (max_rows > 0 && max_rows < rows) rows = max_rows;
  values->resize(rows * dims[1]);
  if (rows > 0) {
    const hsize_t start[2] = {0, 0};
    const hsize_t extent[2] = {rows, dims[1]};
    H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start, nullptr, extent, nullptr);
    Handle memory(H5Screate_simple(2, extent, nullptr), H5Sclose);
    if (H5Dread(dataset.get(), memory_type, memory.get(), space.get(), H5P_DEFAULT,
                values->data()) < 0) {
      return absl::DataLossError(absl::StrCat(path, ": cannot read dataset '", name, "'"));
    }
  }
  *dim = static_cast<int>(dims[1]);
  *count = rows;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<DenseDataset> ReadHdf5Matrix(const std::string& path, const std::string& name,
                                            size_t max_rows) {
  DenseDataset data;
  if (absl::Status s = ReadMatrix(path, name, max_rows, H5T_FLOAT, H5T_NATIVE_FLOAT, &data.dim,
                                  &data.count, &data.values);
      !s.ok()) {
    return s;
  }
  return data;
}

absl::StatusOr<IntRows> ReadHdf5IntMatrix(const std::string& path, const std::string& name,
                                          size_t max_rows) {
  IntRows rows;
  if (absl::Status s = ReadMatrix(path, name, max_rows, H5T_INTEGER, H5T_NATIVE_INT32, &rows.dim,
                                  &rows.count, &rows.values);
      !s.ok()) {
    return s;
  }
  return rows;
}

absl::StatusOr<std::string> ReadHdf5RootAttribute(const std::string& path,
                                                  const std::string& name) {
  absl::StatusOr<Handle> file = OpenFile(path);
  if (!file.ok()) return file.status();
  if (H5Aexists(file->get(), name.c_str()) <= 0) {
    return absl::NotFoundError(absl::StrCat(path, ": no attribute '", name, "'"));
  }
  Handle attribute(H5Aopen(file->get(), name.c_str(), H5P_DEFAULT), H5Aclose);
  Handle type(H5Aget_type(attribute.get()), H5Tclose);
  if (!attribute.ok() || H5Tget_class(type.get()) != H5T_STRING) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": attribute '", name, "' is not a string"));
  }
  // h5py writes Python strings as variable-length strings; other writers use fixed length.
  if (H5Tis_variable_str(type.get()) > 0) {
    Handle memory_type(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(memory_type.get(), H5T_VARIABLE);
    // h5py writes UTF-8; HDF5 converts no character sets, so read in the file's own.
    H5Tset_cset(memory_type.get(), H5Tget_cset(type.get()));
    char* text = nullptr;
    if (H5Aread(attribute.get(), memory_type.get(), &text) < 0 || text == nullptr) {
      return absl::DataLossError(absl::StrCat(path, ": cannot read attribute '", name, "'"));
    }
    std::string value(text);
    H5free_memory(text);
    return value;
  }
  const size_t size = H5Tget_size(type.get());
  std::string value(size, '\0');
  if (H5Aread(attribute.get(), type.get(), value.data()) < 0) {
    return absl::DataLossError(absl::StrCat(path, ": cannot read attribute '", name, "'"));
  }
  value.resize(value.find('\0') == std::string::npos ? size : value.find('\0'));
  return value;
}

absl::StatusOr<AnnBenchmarksSet> ReadAnnBenchmarksHdf5(const std::string& path, size_t max_train,
                                                       size_t max_test) {
  AnnBenchmarksSet set;
  absl::StatusOr<DenseDataset> train = ReadHdf5Matrix(path, "train", max_train);
  if (!train.ok()) return train.status();
  absl::StatusOr<DenseDataset> test = ReadHdf5Matrix(path, "test", max_test);
  if (!test.ok()) return test.status();
  if (test->dim != train->dim) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": 'test' has dimension ", test->dim, " but 'train' has ", train->dim));
  }
  set.train = *std::move(train);
  set.test = *std::move(test);
  if (absl::StatusOr<IntRows> neighbors = ReadHdf5IntMatrix(path, "neighbors", max_test);
      neighbors.ok()) {
    set.neighbors = *std::move(neighbors);
  } else if (!absl::IsNotFound(neighbors.status())) {
    return neighbors.status();
  }
  if (absl::StatusOr<std::string> distance = ReadHdf5RootAttribute(path, "distance");
      distance.ok()) {
    set.distance = *std::move(distance);
  } else if (!absl::IsNotFound(distance.status())) {
    return distance.status();
  }
  return set;
}

}  // namespace tqdb
