// API keys with roles, from a file an operator edits (reloaded on SIGHUP).
//
// One key per line, as its SHA-256 in hex (so the file holds no secret), a role, and optionally
// the collections it is limited to:
//   # sha256(key)                                                     role   [collections]
//   9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 read   docs,news
// Roles nest: read (list, describe, get, search), write (+ upsert, delete), admin (+ create,
// drop, recenter, repartition, snapshot). Clients send "authorization: Bearer <key>". Keys are
// compared in constant time and never logged.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tqdb/mutex.h"

namespace tqdb::server {

enum class Role { kRead = 0, kWrite = 1, kAdmin = 2 };

struct ApiKey {
  std::string sha256;  // 32 bytes, raw
  Role role = Role::kRead;
  absl::flat_hash_set<std::string> collections;  // empty: every collection
};

// Parses a keys file's text; InvalidArgument names the line at fault. A key listed twice, a file
// without keys and one whose last line has no newline (half written?) are refused.
absl::StatusOr<std::vector<ApiKey>> ParseApiKeys(const std::string& text);

// The raw SHA-256 of `data`.
std::string Sha256(const std::string& data);

class ApiKeys {
 public:
  // Reads `path`; on error the keys in use stay as they were.
  absl::Status Load(const std::string& path);

  // The key whose bearer token `authorization` carries ("Bearer <key>", the scheme in any
  // case); UNAUTHENTICATED for a missing or unknown key.
  // The key shares ownership of the key set it came from (a reload does not free it), without
  // a copy per request.
  absl::StatusOr<std::shared_ptr<const ApiKey>> Authenticate(absl::string_view authorization) const;

  // OK when the bearer token in `authorization` holds at least `role` and may use `collection`:
  // a key limited to collections may only make requests that name one of them (empty
  // `collection`: the request names none, such as listing or snapshotting all).
  // UNAUTHENTICATED for a missing or unknown key, PERMISSION_DENIED otherwise.
  absl::Status Check(absl::string_view authorization, Role role,
                     const std::string& collection) const;

 private:
  mutable Mutex mu_;
  std::shared_ptr<const std::vector<ApiKey>> keys_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tqdb::server
