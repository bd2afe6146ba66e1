// What Quantizer::PrepareQuery computes once per query and every scored code reads.
#pragma once

#include <vector>

#include "quant/code_scorer.h"

namespace tqdb {

// Query state shared by every code scored against one query.
struct PreparedQuery {
  std::vector<float> rotated;    // Pi q
  CodeScorer mse;                // over the (b-1) or b MSE bits
  CodeScorer sign;               // tq-prod: over the QJL sign bits of S Pi q
  std::vector<float> projected;  // tq-prod: S Pi q
  float qjl_scale = 0;           // tq-prod: the QJL estimator constant
};

}  // namespace tqdb
