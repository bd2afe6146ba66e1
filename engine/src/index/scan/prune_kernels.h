// Pruning kernels: after a block's fast-scan sums, which of its 32 vectors can still beat the
// k-th best key and must be scored exactly. One SIMD pass over the block replaces a scalar
// bound per vector (the scan's hot spot before; issue "fast scan v2").
//
// Every key is affine in its estimate (VectorCoder::Key), and the estimate lies within a known
// radius of a value affine in the block sums (lookup_tables.h), so with the vector's factors
// (norm n, aux a) the bound of vector i is
//   inner_i = (p0 + p1 P_i) + a_i (q0 + q1 Q_i) + |a_i| e
//   bound_i = (a_const + a_norm max(n_i, 0)) inner_i + c0 + c1 n_i^2
// P, Q: the block's two sum arrays (tq-prod: the MSE part's sums and the sign sums; tq-mse: no
// P (p0 = p1 = 0) and the MSE sums as Q). A vector is kept when bound_i + slack_i > threshold,
// where slack_i bounds the float rounding of both this bound and the exact key (2^-18 of the
// magnitudes summed), or when n_i < 0 (the zero vector of a centered cosine index, whose key is
// fixed at 0). All paths evaluate the same fused multiply-adds in the same order, so they keep
// exactly the same vectors as the scalar reference.
#pragma once

#include <cstdint>

#include "index/scan/scan_kernels.h"
#include "index/store/nibble_blocks.h"

namespace tqdb::scan {

struct PruneTerms {
  float p0 = 0, p1 = 0;  // affine map of P
  float q0 = 0, q1 = 0;  // affine map of Q
  float e = 0;           // radius per unit |a|, plus the P part's radius folded into p0
  float a_const = 1, a_norm = 0;
  float c0 = 0, c1 = 0;
};

// A mask of the vectors (bit i: vector i, i < count <= 32) to score exactly. `p_sums`,
// `q_sums` hold kBlockSize sums (unused lanes may hold anything); `norms` and `auxs` hold
// `count` values.
using PruneBlockFn = uint32_t (*)(const PruneTerms& terms, const uint32_t* p_sums,
                                  const uint32_t* q_sums, const float* norms, const float* auxs,
                                  int count, float threshold);

uint32_t PruneBlockScalar(const PruneTerms& terms, const uint32_t* p_sums, const uint32_t* q_sums,
                          const float* norms, const float* auxs, int count, float threshold);
uint32_t PruneBlockAvx2(const PruneTerms& terms, const uint32_t* p_sums, const uint32_t* q_sums,
                        const float* norms, const float* auxs, int count, float threshold);
uint32_t PruneBlockAvx512(const PruneTerms& terms, const uint32_t* p_sums, const uint32_t* q_sums,
                          const float* norms, const float* auxs, int count, float threshold);

PruneBlockFn ActivePruneBlock();  // for ActiveScanLevel()

// When a re-rank follows (ScanOptions::table_keys) a vector's key is that of its 8-bit table
// estimate: the bound's formula without its radius e and without slack,
//   key_i = (a_const + a_norm max(n_i, 0)) ((p0 + p1 P_i) + a_i (q0 + q1 Q_i)) + c0 + c1 n_i^2.
// Writes keys[0..count) (lanes past count: anything) and returns a mask of the vectors whose key
// is >= threshold (TopK decides a tie by slot), or whose n_i < 0 (the zero vector of a centered
// cosine index, whose key the coder gives). All paths give the same keys, bit for bit.
using KeyBlockFn = uint32_t (*)(const PruneTerms& terms, const uint32_t* p_sums,
                                const uint32_t* q_sums, const float* norms, const float* auxs,
                                int count, float threshold, float* keys);

uint32_t KeyBlockScalar(const PruneTerms& terms, const uint32_t* p_sums, const uint32_t* q_sums,
                        const float* norms, const float* auxs, int count, float threshold,
                        float* keys);
uint32_t KeyBlockAvx2(const PruneTerms& terms, const uint32_t* p_sums, const uint32_t* q_sums,
                      const float* norms, const float* auxs, int count, float threshold,
                      float* keys);
uint32_t KeyBlockAvx512(const PruneTerms& terms, const uint32_t* p_sums, const uint32_t* q_sums,
                        const float* norms, const float* auxs, int count, float threshold,
                        float* keys);

KeyBlockFn ActiveKeyBlock();  // for ActiveScanLevel()

// The same keys, bit for bit, from factors stored as IEEE halves (16-bit factors), widened in
// the kernel instead of into a buffer first: the widening was its own pass over every block.
using KeyHalvesFn = uint32_t (*)(const PruneTerms& terms, const uint32_t* p_sums,
                                 const uint32_t* q_sums, const uint16_t* norms,
                                 const uint16_t* auxs, int count, float threshold, float* keys);

uint32_t KeyHalvesScalar(const PruneTerms& terms, const uint32_t* p_sums, const uint32_t* q_sums,
                         const uint16_t* norms, const uint16_t* auxs, int count, float threshold,
                         float* keys);
uint32_t KeyHalvesAvx2(const PruneTerms& terms, const uint32_t* p_sums, const uint32_t* q_sums,
                       const uint16_t* norms, const uint16_t* auxs, int count, float threshold,
                       float* keys);
uint32_t KeyHalvesAvx512(const PruneTerms& terms, const uint32_t* p_sums, const uint32_t* q_sums,
                         const uint16_t* norms, const uint16_t* auxs, int count, float threshold,
                         float* keys);

KeyHalvesFn ActiveKeyHalves();  // for ActiveScanLevel()

// One vector's table key, as the kernels compute it (e is ignored).
float TableKey(const PruneTerms& t, uint32_t p_sum, uint32_t q_sum, float n, float a);

// One vector's bound, slack included, as the kernels compare it with the threshold (+infinity
// for a zero vector, n < 0): the reference formula, also used to order a block's survivors.
float PruneBound(const PruneTerms& t, uint32_t p_sum, uint32_t q_sum, float n, float a);

// 2^-18: the share of the terms' magnitudes allowed for rounding (a handful of float roundings
// of 2^-24 each, with a wide margin).
inline constexpr float kPruneSlack = 1.0f / (1 << 18);

}  // namespace tqdb::scan
