// tqdb rows: a FlatIndex with one variant (mse-plain, mse-ratio, mse-unitnorm, prod) at b bits,
// searched with or without exact re-rank over stored float vectors.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "method.h"

namespace tqdb::bench {

// The variant names the table uses; "default" is resolved per bit width to what it picks.
std::vector<std::string> TqdbVariantNames();
// What a collection uses by default at `bits`: "prod" at 1 bit, "mse-ratio" above, centered
// ("c-") for cosine and L2, as Centering::kAuto does once 1,000 vectors are stored.
std::string TqdbDefaultVariant(int dim, int bits, BenchMetric metric, int eighths = 0);

// Two rows over one index (built once): without re-rank and with re-rank of `rerank_candidates`
// (only the first when that is 0: then no float vectors are kept). `eighths` of a bit are added
// to `bits` (fractional widths; tq-mse variants only).
std::vector<std::unique_ptr<Method>> MakeTqdbMethods(const std::string& variant, int dim, int bits,
                                                     BenchMetric metric, int rerank_candidates,
                                                     int eighths = 0);

}  // namespace tqdb::bench
