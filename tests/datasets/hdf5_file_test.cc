// The HDF5 reader on files written here with the HDF5 C API in the ann-benchmarks layout
// (float train/test, int neighbors, a string "distance" attribute), and on damaged ones.
#include "hdf5_file.h"

#include <hdf5.h>

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "embedding_files.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace tqdb {
namespace {

void WriteDataset(hid_t file, const char* name, hid_t file_type, hid_t memory_type, hsize_t rows,
                  hsize_t cols, const void* data) {
  const hsize_t dims[2] = {rows, cols};
  const hid_t space = H5Screate_simple(2, dims, nullptr);
  const hid_t dataset =
      H5Dcreate2(file, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(dataset, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
  H5Dclose(dataset);
  H5Sclose(space);
}

// Variable-length strings are written in UTF-8, as h5py writes Python strings.
void WriteStringAttribute(hid_t file, const char* name, const char* value, bool variable) {
  const hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, variable ? H5T_VARIABLE : std::strlen(value));
  if (variable) H5Tset_cset(type, H5T_CSET_UTF8);
  const hid_t space = H5Screate(H5S_SCALAR);
  const hid_t attribute = H5Acreate2(file, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
  if (variable) {
    H5Awrite(attribute, type, &value);
  } else {
    H5Awrite(attribute, type, value);
  }
  H5Aclose(attribute);
  H5Sclose(space);
  H5Tclose(type);
}

// train: 3 x 2 doubles (the reader converts), test: 2 x 2 floats, neighbors: 2 x 3 ints.
std::string WriteAnnBenchmarksFile(const testing::ScopedTempDir& dir, bool variable_string) {
  const std::string path = dir.path() + "/set.hdf5";
  const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  const double train[] = {1, 2, 3, 4, 5, 6};
  const float test[] = {0.5f, -0.5f, 7, 8};
  const int32_t neighbors[] = {2, 1, 0, 0, 1, 2};
  WriteDataset(file, "train", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 3, 2, train);
  WriteDataset(file, "test", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, 2, test);
  WriteDataset(file, "neighbors", H5T_STD_I32LE, H5T_NATIVE_INT32, 2, 3, neighbors);
  WriteStringAttribute(file, "distance", "angular", variable_string);
  H5Fclose(file);
  return path;
}

TEST(Hdf5FileTest, ReadsAnnBenchmarksLayout) {
  for (bool variable_string : {false, true}) {
    testing::ScopedTempDir dir;
    const std::string path = WriteAnnBenchmarksFile(dir, variable_string);
    absl::StatusOr<AnnBenchmarksSet> set = ReadAnnBenchmarksHdf5(path);
    ASSERT_TRUE(set.ok()) << set.status();
    EXPECT_EQ(set->train.dim, 2);
    EXPECT_EQ(set->train.values, (std::vector<float>{1, 2, 3, 4, 5, 6}));
    EXPECT_EQ(set->test.values, (std::vector<float>{0.5f, -0.5f, 7, 8}));
    EXPECT_EQ(set->neighbors.dim, 3);
    EXPECT_EQ(set->neighbors.values, (std::vector<int32_t>{2, 1, 0, 0, 1, 2}));
    EXPECT_EQ(set->distance, "angular");

    absl::StatusOr<AnnBenchmarksSet> limited = ReadAnnBenchmarksHdf5(path, 2, 1);
    ASSERT_TRUE(limited.ok());
    EXPECT_EQ(limited->train.count, 2);
    EXPECT_EQ(limited->test.count, 1);
    EXPECT_EQ(limited->neighbors.count, 1);

    // LoadEmbeddings reads "train" unless told otherwise.
    absl::StatusOr<EmbeddingFile> loaded = LoadEmbeddings(path);
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    EXPECT_EQ(loaded->data.count, 3);
    LoadOptions options;
    options.hdf5_dataset = "test";
    EXPECT_EQ(LoadEmbeddings(path, options)->data.count, 2);
  }
}

TEST(Hdf5FileTest, WrongShapesTypesAndDamagedFilesAreErrors) {
  testing::ScopedTempDir dir;
  const std::string path = WriteAnnBenchmarksFile(dir, true);
  EXPECT_EQ(ReadHdf5Matrix(path, "missing").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ReadHdf5Matrix(path, "neighbors").status().code(),
            absl::StatusCode::kInvalidArgument);  // integers are not embeddings
  EXPECT_EQ(ReadHdf5IntMatrix(path, "train").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadHdf5Matrix(dir.path() + "/none.hdf5", "train").status().code(),
            absl::StatusCode::kNotFound);

  const std::string one_d = dir.path() + "/oned.h5";
  const hid_t file = H5Fcreate(one_d.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  const hsize_t n = 4;
  const hid_t space = H5Screate_simple(1, &n, nullptr);
  const hid_t dataset =
      H5Dcreate2(file, "train", H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  const float values[4] = {1, 2, 3, 4};
  H5Dwrite(dataset, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values);
  H5Dclose(dataset);
  H5Sclose(space);
  H5Fclose(file);
  EXPECT_EQ(ReadHdf5Matrix(one_d, "train").status().code(), absl::StatusCode::kInvalidArgument);

  // Not HDF5 at all, and an HDF5 file cut short.
  const std::string text = dir.path() + "/text.hdf5";
  std::ofstream(text) << "not hdf5\n";
  EXPECT_EQ(ReadHdf5Matrix(text, "train").status().code(), absl::StatusCode::kDataLoss);
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string cut = dir.path() + "/cut.hdf5";
  std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  EXPECT_FALSE(ReadAnnBenchmarksHdf5(cut).ok());
}

}  // namespace
}  // namespace tqdb
