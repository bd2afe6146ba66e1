#include "quant/sphere_distribution.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace tqdb {
namespace {

constexpr int kPanels = 1 << 14;
// 4-point Gauss-Legendre on [-1, 1]: exact for polynomials of degree 7, so with 16K panels the
// smooth integrand is integrated to round-off.
constexpr double kNodes[4] = {-0.8611363115940526, -0.3399810435848563, 0.3399810435848563,
                              0.8611363115940526};
constexpr double kWeights[4] = {0.3478548451374538, 0.6521451548625461, 0.6521451548625461,
                                0.3478548451374538};
// sin^(d-2)(pi/2 + psi) <= exp(-(d-2) psi^2 / 2): beyond psi^2 = 2 * 45 / (d-2) the mass is
// below e^-45, so the grid only covers the part of the circle that carries probability.
constexpr double kTailExponent = 45.0;

}  // namespace

SphereCoordinateDistribution::SphereCoordinateDistribution(int dim) : dim_(dim) {
  const double half_pi = std::numbers::pi / 2;
  double half_width = half_pi;
  if (dim > 2) half_width = std::min(half_pi, std::sqrt(2 * kTailExponent / (dim - 2)));
  phi_lo_ = half_pi - half_width;
  phi_hi_ = half_pi + half_width;
  support_ = std::sin(half_width);
  panel_width_ = (phi_hi_ - phi_lo_) / kPanels;

  cum0_.assign(kPanels + 1, 0.0);
  cum1_.assign(kPanels + 1, 0.0);
  for (int p = 0; p < kPanels; ++p) {
    const double a = phi_lo_ + p * panel_width_;
    cum0_[p + 1] = cum0_[p] + PartialPanel(a, a + panel_width_, 0);
    cum1_[p + 1] = cum1_[p] + PartialPanel(a, a + panel_width_, 1);
  }
  log_normalizer_ = std::log(cum0_[kPanels]);
}

double SphereCoordinateDistribution::Weight(double phi) const {
  if (dim_ == 2) return 1.0;
  const double s = std::sin(phi);
  if (s <= 0) return 0.0;
  return std::exp((dim_ - 2) * std::log(s));
}

double SphereCoordinateDistribution::PartialPanel(double from, double to, int power) const {
  const double mid = 0.5 * (from + to);
  const double half = 0.5 * (to - from);
  double sum = 0;
  for (int i = 0; i < 4; ++i) {
    const double phi = mid + half * kNodes[i];
    const double w = Weight(phi);
    sum += kWeights[i] * (power == 0 ? w : w * std::cos(phi));
  }
  return sum * half;
}

double SphereCoordinateDistribution::CumulativeInPhi(double phi, int power) const {
  const std::vector<double>& cum = power == 0 ? cum0_ : cum1_;
  if (phi <= phi_lo_) return 0.0;
  if (phi >= phi_hi_) return cum[kPanels];
  const int panel = std::min(kPanels - 1, static_cast<int>((phi - phi_lo_) / panel_width_));
  const double start = phi_lo_ + panel * panel_width_;
  return cum[panel] + PartialPanel(start, phi, power);
}

double SphereCoordinateDistribution::Density(double t) const {
  if (t <= -1 || t >= 1) return 0.0;
  // In phi the density is w(phi) / Z; the Jacobian dphi/dt = 1 / sin(phi).
  const double phi = std::acos(t);
  return Weight(phi) / std::sin(phi) / std::exp(log_normalizer_);
}

double SphereCoordinateDistribution::Cdf(double t) const {
  if (t <= -1) return 0.0;
  if (t >= 1) return 1.0;
  // T <= t  <=>  phi >= acos(t).
  const double total = cum0_[kPanels];
  return (total - CumulativeInPhi(std::acos(t), 0)) / total;
}

double SphereCoordinateDistribution::Mass(double a, double b) const {
  a = std::clamp(a, -1.0, 1.0);
  b = std::clamp(b, -1.0, 1.0);
  return (CumulativeInPhi(std::acos(a), 0) - CumulativeInPhi(std::acos(b), 0)) / cum0_[kPanels];
}

double SphereCoordinateDistribution::FirstMoment(double a, double b) const {
  a = std::clamp(a, -1.0, 1.0);
  b = std::clamp(b, -1.0, 1.0);
  return (CumulativeInPhi(std::acos(a), 1) - CumulativeInPhi(std::acos(b), 1)) / cum0_[kPanels];
}

double SphereCoordinateDistribution::MeanAbsolute(int dim) {
  return std::exp(std::lgamma(dim / 2.0) - std::lgamma((dim + 1) / 2.0)) /
         std::sqrt(std::numbers::pi);
}

}  // namespace tqdb
