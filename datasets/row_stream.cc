#include "row_stream.h"

#include <cstdint>
#include <cstdio>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace tqdb {
namespace {

size_t FileSize(std::ifstream& in) {
  in.seekg(0, std::ios::end);
  const size_t size = static_cast<size_t>(in.tellg());
  in.seekg(0);
  return size;
}

}  // namespace

bool RowStream::Handles(const std::string& path) {
  return absl::EndsWith(path, ".fvecs") || absl::EndsWith(path, ".bvecs") ||
         absl::EndsWith(path, ".npy");
}

RowStream::RowStream(std::string path, Format format, int dim, size_t rows, size_t data_offset)
    : path_(std::move(path)),
      format_(format),
      dim_(dim),
      rows_(rows),
      data_offset_(data_offset),
      in_(path_, std::ios::binary) {
  in_.seekg(static_cast<std::streamoff>(data_offset_));
}

size_t RowStream::RowBytes() const {
  switch (format_) {
    case Format::kFvecs:
      return sizeof(int32_t) + sizeof(float) * dim_;
    case Format::kBvecs:
      return sizeof(int32_t) + dim_;
    case Format::kNpyFloat32:
      return sizeof(float) * dim_;
    case Format::kNpyFloat64:
      return sizeof(double) * dim_;
  }
  return 0;
}

absl::StatusOr<std::unique_ptr<RowStream>> RowStream::Open(const std::string& path,
                                                           size_t max_rows) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  const size_t file_size = FileSize(in);
  Format format;
  int dim = 0;
  size_t rows = 0, data_offset = 0;
  if (absl::EndsWith(path, ".npy")) {
    char magic[8];
    if (!in.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": not a .npy file"));
    }
    uint32_t header_len = 0;
    if (magic[6] == 1) {
      uint16_t len16 = 0;
      in.read(reinterpret_cast<char*>(&len16), 2);
      header_len = len16;
    } else {
      in.read(reinterpret_cast<char*>(&header_len), 4);
    }
    std::string header(header_len, '\0');
    if (!in.read(header.data(), header_len)) {
      return absl::DataLossError(absl::StrCat(path, ": truncated header"));
    }
    const bool f4 = absl::StrContains(header, "'<f4'"), f8 = absl::StrContains(header, "'<f8'");
    if (!f4 && !f8) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": only little-endian float32/float64 arrays are supported; header: ", header));
    }
    if (!absl::StrContains(header, "'fortran_order': False")) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": Fortran-order arrays are not supported"));
    }
    const size_t shape = header.find("'shape': (");
    size_t cols = 0;
    if (shape == std::string::npos ||
        std::sscanf(header.c_str() + shape, "'shape': (%zu, %zu)", &rows, &cols) != 2 ||
        cols == 0 || cols > (1 << 20)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": expected a 2-D array; header: ", header));
    }
    format = f4 ? Format::kNpyFloat32 : Format::kNpyFloat64;
    dim = static_cast<int>(cols);
    data_offset = static_cast<size_t>(in.tellg());
    const size_t needed = data_offset + rows * cols * (f4 ? sizeof(float) : sizeof(double));
    if (file_size < needed) {
      return absl::DataLossError(absl::StrCat(path, ": ", file_size, " bytes, fewer than the ",
                                              needed, " its shape says"));
    }
  } else {
    format = absl::EndsWith(path, ".bvecs") ? Format::kBvecs : Format::kFvecs;
    int32_t d = 0;
    if (file_size < sizeof(d) || !in.read(reinterpret_cast<char*>(&d), sizeof(d))) {
      return absl::DataLossError(absl::StrCat(path, ": empty or truncated header"));
    }
    if (d <= 0 || d > (1 << 20)) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": bad dimension ", d));
    }
    dim = d;
    const size_t record = sizeof(int32_t) + (format == Format::kBvecs ? 1 : sizeof(float)) * dim;
    if (file_size % record != 0) {
      return absl::DataLossError(absl::StrCat(path, ": size ", file_size,
                                              " is not a multiple of the record size ", record));
    }
    rows = file_size / record;
  }
  if (max_rows > 0) rows = std::min(rows, max_rows);
  std::unique_ptr<RowStream> stream(new RowStream(path, format, dim, rows, data_offset));
  if (!stream->in_) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  return stream;
}

absl::Status RowStream::Skip(size_t count) {
  if (count > rows_ - position_) {
    return absl::InvalidArgumentError(
        absl::StrCat(path_, ": skipping ", count, " rows from row ", position_, " of ", rows_));
  }
  position_ += count;
  in_.seekg(static_cast<std::streamoff>(data_offset_ + position_ * RowBytes()));
  return absl::OkStatus();
}

absl::Status RowStream::Read(size_t count, float* out) {
  if (count > rows_ - position_) {
    return absl::InvalidArgumentError(
        absl::StrCat(path_, ": reading ", count, " rows from row ", position_, " of ", rows_));
  }
  const size_t row_bytes = RowBytes();
  buffer_.resize(count * row_bytes);
  if (!in_.read(buffer_.data(), static_cast<std::streamsize>(buffer_.size()))) {
    return absl::DataLossError(absl::StrCat(path_, ": truncated at row ", position_));
  }
  const size_t d = static_cast<size_t>(dim_);
  for (size_t r = 0; r < count; ++r) {
    const char* row = buffer_.data() + r * row_bytes;
    float* to = out + r * d;
    switch (format_) {
      case Format::kFvecs:
      case Format::kBvecs: {
        int32_t header;
        std::memcpy(&header, row, sizeof(header));
        if (header != dim_) {
          return absl::DataLossError(absl::StrCat(path_, ": row ", position_ + r, " has dimension ",
                                                  header, ", expected ", dim_));
        }
        if (format_ == Format::kFvecs) {
          std::memcpy(to, row + sizeof(header), d * sizeof(float));
        } else {
          const auto* bytes = reinterpret_cast<const uint8_t*>(row + sizeof(header));
          for (size_t j = 0; j < d; ++j) to[j] = bytes[j];
        }
        break;
      }
      case Format::kNpyFloat32:
        std::memcpy(to, row, d * sizeof(float));
        break;
      case Format::kNpyFloat64:
        for (size_t j = 0; j < d; ++j) {
          double value;
          std::memcpy(&value, row + j * sizeof(double), sizeof(double));
          to[j] = static_cast<float>(value);
        }
        break;
    }
  }
  position_ += count;
  return absl::OkStatus();
}

}  // namespace tqdb
