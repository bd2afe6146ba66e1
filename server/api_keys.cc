#include "api_keys.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace tqdb::server {
namespace {

constexpr const char* kRoleNames[] = {"read", "write", "admin"};

}  // namespace

std::string Sha256(const std::string& data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}

absl::StatusOr<std::vector<ApiKey>> ParseApiKeys(const std::string& text) {
  std::vector<ApiKey> keys;
  std::vector<int> line_of;  // the line each key came from
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    const std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    auto error = [&](absl::string_view what) {
      return absl::InvalidArgumentError(absl::StrCat("API keys line ", line_number, ": ", what));
    };
    if (fields.size() < 2 || fields.size() > 3) {
      return error("expected: <sha256 of the key, 64 hex digits> <read|write|admin> [collections]");
    }
    ApiKey key;
    if (fields[0].size() != 64 ||
        !std::all_of(fields[0].begin(), fields[0].end(), absl::ascii_isxdigit)) {
      return error("the first field must be the key's SHA-256 in 64 hex digits (not the key)");
    }
    key.sha256 = absl::HexStringToBytes(absl::AsciiStrToLower(fields[0]));
    bool known = false;
    for (int r = 0; r < 3; ++r) {
      if (fields[1] == kRoleNames[r]) key.role = static_cast<Role>(r), known = true;
    }
    if (!known) return error(absl::StrCat("unknown role '", fields[1], "' (read, write, admin)"));
    if (fields.size() == 3) {
      for (absl::string_view name : absl::StrSplit(fields[2], ',', absl::SkipEmpty())) {
        key.collections.insert(std::string(name));
      }
    }
    // One role per key: with two lines for one key, which one holds would be a guess.
    for (size_t k = 0; k < keys.size(); ++k) {
      if (keys[k].sha256 == key.sha256) {
        return error(absl::StrCat("the same key as line ", line_of[k],
                                  "; give each key one line (one role, its collections)"));
      }
    }
    keys.push_back(std::move(key));
    line_of.push_back(line_number);
  }
  if (keys.empty()) {
    return absl::InvalidArgumentError(
        "the API keys file holds no key, which would refuse every client (a file being written "
        "not atomically? write a new file and rename it over the old one)");
  }
  if (!text.empty() && text.back() != '\n') {
    return absl::InvalidArgumentError(
        "the API keys file does not end with a newline: it may be half written (write a new "
        "file and rename it over the old one)");
  }
  return keys;
}

absl::Status ApiKeys::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read the API keys file ", path));
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<std::vector<ApiKey>> keys = ParseApiKeys(text.str());
  if (!keys.ok()) return keys.status();
  auto loaded = std::make_shared<const std::vector<ApiKey>>(*std::move(keys));
  MutexLock lock(mu_);
  keys_ = std::move(loaded);
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const ApiKey>> ApiKeys::Authenticate(
    absl::string_view authorization) const {
  std::shared_ptr<const std::vector<ApiKey>> keys;
  {
    MutexLock lock(mu_);
    keys = keys_;
  }
  // "Bearer <key>"; the scheme is case-insensitive (RFC 7235), then one or more spaces.
  absl::string_view token = authorization;
  const bool bearer = token.size() > 7 && absl::StartsWithIgnoreCase(token, "bearer ");
  if (bearer) token = absl::StripLeadingAsciiWhitespace(token.substr(7));
  if (!bearer || token.empty()) {
    return absl::UnauthenticatedError(
        "this server requires an API key: send the metadata \"authorization: Bearer <key>\"");
  }
  const std::string digest = Sha256(std::string(token));
  // Every entry is compared, in constant time, whatever matches.
  static const std::vector<ApiKey> kNone;
  const ApiKey* match = nullptr;
  for (const ApiKey& key : keys != nullptr ? *keys : kNone) {
    if (CRYPTO_memcmp(key.sha256.data(), digest.data(), digest.size()) == 0) match = &key;
  }
  if (match == nullptr) return absl::UnauthenticatedError("unknown API key");
  return std::shared_ptr<const ApiKey>(keys, match);
}

absl::Status ApiKeys::Check(absl::string_view authorization, Role role,
                            const std::string& collection) const {
  absl::StatusOr<std::shared_ptr<const ApiKey>> found = Authenticate(authorization);
  if (!found.ok()) return found.status();
  const ApiKey& key = **found;
  if (static_cast<int>(key.role) < static_cast<int>(role)) {
    return absl::PermissionDeniedError(
        absl::StrCat("this API key's role is ", kRoleNames[static_cast<int>(key.role)],
                     "; the request needs ", kRoleNames[static_cast<int>(role)]));
  }
  if (!key.collections.empty() && !key.collections.contains(collection)) {
    return absl::PermissionDeniedError(
        collection.empty()
            ? std::string("this API key is limited to some collections; the request covers all")
            : absl::StrCat("this API key may not use collection '", collection, "'"));
  }
  return absl::OkStatus();
}

}  // namespace tqdb::server
