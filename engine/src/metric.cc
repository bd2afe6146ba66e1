#include "tqdb/metric.h"

namespace tqdb {

const char* MetricName(Metric metric) {
  switch (metric) {
    case Metric::kInnerProduct:
      return "ip";
    case Metric::kCosine:
      return "cosine";
    case Metric::kL2:
      return "l2";
  }
  return "unknown";
}

}  // namespace tqdb
