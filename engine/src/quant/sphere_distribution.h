// The distribution of one coordinate of a uniformly random unit vector in R^d.
//
// After a random rotation every coordinate of a unit vector follows
//   f_d(t) = Gamma(d/2) / (sqrt(pi) Gamma((d-1)/2)) * (1 - t^2)^((d-3)/2),  t in [-1, 1]
// (TurboQuant [Zandieh et al., arXiv:2504.19874], Lemma 1). Codebooks, goodness-of-fit tests and
// the QJL constant all need integrals of f_d over intervals; this class computes them by
// Gauss-Legendre quadrature in the angle phi = acos(t), where the density becomes sin^(d-2)(phi):
// smooth for every d >= 2, with no endpoint singularity (d = 2 is the arcsine law in t but uniform
// in phi).
#pragma once

#include <vector>

namespace tqdb {

class SphereCoordinateDistribution {
 public:
  // `dim` must be >= 2.
  explicit SphereCoordinateDistribution(int dim);

  int dim() const { return dim_; }

  // Normalized density f_d(t); 0 outside (-1, 1).
  double Density(double t) const;
  // P(T <= t).
  double Cdf(double t) const;
  // P(a <= T <= b) and E[T; a <= T <= b] (the unnormalized first moment), for a <= b.
  double Mass(double a, double b) const;
  double FirstMoment(double a, double b) const;
  // E|T| = Gamma(d/2) / (sqrt(pi) Gamma((d+1)/2)), from the closed form.
  static double MeanAbsolute(int dim);
  // The t beyond which (on either side) the probability mass is negligible (< 1e-19).
  double EffectiveSupport() const { return support_; }

 private:
  // Integral of sin^(d-2)(phi) * cos(phi)^power over [phi_lo_, phi], power in {0, 1}.
  double CumulativeInPhi(double phi, int power) const;
  double PartialPanel(double from, double to, int power) const;
  double Weight(double phi) const;

  int dim_;
  double phi_lo_;
  double phi_hi_;
  double panel_width_;
  double support_;
  double log_normalizer_;     // log of the integral of the weight over the whole range
  std::vector<double> cum0_;  // cumulative mass at panel edges (unnormalized)
  std::vector<double> cum1_;  // cumulative first moment at panel edges (unnormalized)
};

}  // namespace tqdb
