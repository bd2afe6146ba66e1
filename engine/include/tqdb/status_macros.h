// Small helpers for propagating absl::Status, in the style of Abseil's internal macros.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define TQDB_STATUS_CONCAT_INNER(a, b) a##b
#define TQDB_STATUS_CONCAT(a, b) TQDB_STATUS_CONCAT_INNER(a, b)

// Returns from the enclosing function if `expr` (an absl::Status) is not OK.
#define TQDB_RETURN_IF_ERROR(expr)               \
  do {                                           \
    absl::Status tqdb_status_ = (expr);          \
    if (!tqdb_status_.ok()) return tqdb_status_; \
  } while (false)

// `lhs = value of expr` (an absl::StatusOr<T>), or returns its error status.
#define TQDB_ASSIGN_OR_RETURN(lhs, expr) \
  TQDB_ASSIGN_OR_RETURN_IMPL(TQDB_STATUS_CONCAT(tqdb_statusor_, __LINE__), lhs, expr)
#define TQDB_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(tmp).value()
