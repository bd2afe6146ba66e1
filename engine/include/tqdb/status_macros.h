// Small helpers for propagating absl::Status, in the style of Abseil's internal macros.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace tqdb {

// `status` with "context: " before its message and the same code; OK stays OK.
inline absl::Status WithContext(const absl::Status& status, absl::string_view context) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(context, ": ", status.message()));
}

}  // namespace tqdb

#define TQDB_STATUS_CONCAT_INNER(a, b) a##b
#define TQDB_STATUS_CONCAT(a, b) TQDB_STATUS_CONCAT_INNER(a, b)

// Returns from the enclosing function if `expr` (an absl::Status) is not OK.
#define TQDB_RETURN_IF_ERROR(expr)               \
  do {                                           \
    absl::Status tqdb_status_ = (expr);          \
    if (!tqdb_status_.ok()) return tqdb_status_; \
  } while (false)

// The same, with `context` (evaluated only on error) before the error's message: the caller says
// what it was doing, the callee what went wrong.
#define TQDB_RETURN_IF_ERROR_WITH_CONTEXT(expr, context)                       \
  do {                                                                         \
    absl::Status tqdb_status_ = (expr);                                        \
    if (!tqdb_status_.ok()) return ::tqdb::WithContext(tqdb_status_, context); \
  } while (false)

// `lhs = value of expr` (an absl::StatusOr<T>), or returns its error status.
#define TQDB_ASSIGN_OR_RETURN(lhs, expr) \
  TQDB_ASSIGN_OR_RETURN_IMPL(TQDB_STATUS_CONCAT(tqdb_statusor_, __LINE__), lhs, expr)
#define TQDB_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(tmp).value()

// The same, with `context` (evaluated only on error) before the error's message.
#define TQDB_ASSIGN_OR_RETURN_WITH_CONTEXT(lhs, expr, context)                                     \
  TQDB_ASSIGN_OR_RETURN_WITH_CONTEXT_IMPL(TQDB_STATUS_CONCAT(tqdb_statusor_, __LINE__), lhs, expr, \
                                          context)
#define TQDB_ASSIGN_OR_RETURN_WITH_CONTEXT_IMPL(tmp, lhs, expr, context) \
  auto tmp = (expr);                                                     \
  if (!tmp.ok()) return ::tqdb::WithContext(tmp.status(), context);      \
  lhs = std::move(tmp).value()
