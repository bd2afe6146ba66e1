// One query's scan state in a flat index (flat_index.h): the query as scored (normalized for
// cosine, shifted by the center), its prepared form and, for the fast path, its 8-bit tables.
// A partitioned index (ivf_index.h) reuses one for all its lists.
#pragma once

#include "index/scan/lookup_tables.h"
#include "index/vector_coder.h"
#include "quant/prepared_query.h"
#include "tqdb/flat_index.h"

namespace tqdb {

struct FlatIndex::QueryScan {
  QueryTerms terms;  // terms.shifted is what `prepared` was built from
  PreparedQuery prepared;
  bool fast = false;  // fast-scan kernels, else the reference scorer
  // Re-rank follows, so a survivor of the refined bound is keyed by its refined table estimate
  // (off by at most the refined error, about 1/254 of the byte tables') instead of being scored
  // from its code: the candidates are scored exactly with their floats anyway.
  bool table_keys = false;
  scan::QuantizedTables mse_tables, sign_tables;
};

}  // namespace tqdb
