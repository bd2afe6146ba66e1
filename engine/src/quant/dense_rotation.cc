#include "quant/dense_rotation.h"

#include <cmath>
#include <vector>

#include "quant/random.h"

namespace tqdb {

DenseRotation::DenseRotation(int dim, uint64_t seed) : dim_(dim), matrix_(size_t{1} * dim * dim) {
  // Gram-Schmidt on the rows of a Gaussian matrix is its QR factorization with a positive
  // diagonal in R, which makes the resulting orthogonal matrix exactly Haar distributed.
  // Modified Gram-Schmidt, done twice per row, keeps orthogonality at double round-off.
  SeededRandom random(seed);
  std::vector<double> q(size_t{1} * dim * dim);
  for (double& v : q) v = random.Normal();
  for (int i = 0; i < dim; ++i) {
    double* row = &q[size_t{1} * i * dim];
    for (int pass = 0; pass < 2; ++pass) {
      for (int j = 0; j < i; ++j) {
        const double* prev = &q[size_t{1} * j * dim];
        double dot = 0;
        for (int k = 0; k < dim; ++k) dot += row[k] * prev[k];
        for (int k = 0; k < dim; ++k) row[k] -= dot * prev[k];
      }
    }
    double norm = 0;
    for (int k = 0; k < dim; ++k) norm += row[k] * row[k];
    norm = std::sqrt(norm);
    for (int k = 0; k < dim; ++k) row[k] /= norm;
  }
  for (size_t i = 0; i < q.size(); ++i) matrix_[i] = static_cast<float>(q[i]);
}

void DenseRotation::Apply(const float* in, float* out) const {
  std::vector<double> result(dim_);
  for (int i = 0; i < dim_; ++i) {
    const float* row = &matrix_[size_t{1} * i * dim_];
    double dot = 0;
    for (int k = 0; k < dim_; ++k) dot += static_cast<double>(row[k]) * in[k];
    result[i] = dot;
  }
  for (int i = 0; i < dim_; ++i) out[i] = static_cast<float>(result[i]);
}

void DenseRotation::ApplyInverse(const float* in, float* out) const {
  std::vector<double> result(dim_, 0.0);
  for (int i = 0; i < dim_; ++i) {
    const float* row = &matrix_[size_t{1} * i * dim_];
    const double x = in[i];
    for (int k = 0; k < dim_; ++k) result[k] += x * row[k];
  }
  for (int i = 0; i < dim_; ++i) out[i] = static_cast<float>(result[i]);
}

}  // namespace tqdb
