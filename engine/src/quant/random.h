// Seeded, reproducible random numbers for rotations and projections.
//
// std::mt19937_64's output sequence is fixed by the C++ standard, but the std:: distributions are
// not, so the conversions to uniform, Gaussian and sign values are written here: a rotation seed
// stored on disk must give the same rotation with any standard library.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>

namespace tqdb {

class SeededRandom {
 public:
  explicit SeededRandom(uint64_t seed) : engine_(seed) {}

  // Uniform in (0, 1): 53 random bits, never exactly 0.
  double Uniform() { return ((engine_() >> 11) + 0.5) * 0x1.0p-53; }

  // Standard normal, by the Box-Muller transform.
  double Normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double radius = std::sqrt(-2.0 * std::log(Uniform()));
    const double angle = 2.0 * std::numbers::pi * Uniform();
    spare_ = radius * std::sin(angle);
    has_spare_ = true;
    return radius * std::cos(angle);
  }

  // +1 or -1 with probability 1/2.
  float Sign() { return (engine_() >> 63) ? 1.0f : -1.0f; }

 private:
  std::mt19937_64 engine_;
  bool has_spare_ = false;
  double spare_ = 0;
};

// Derives an independent seed for a second random object (e.g. the QJL projection) from a
// collection's seed, so one stored seed reproduces everything (splitmix64 finalizer).
inline uint64_t DeriveSeed(uint64_t seed, uint64_t stream) {
  uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (stream + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace tqdb
