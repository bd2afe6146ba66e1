#include "http_route.h"

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace tqdb::server {
namespace {

// True when `path` fits `pattern`, its parameters appended to `params`.
bool Fits(const std::string& pattern, const std::string& path, std::vector<std::string>* params) {
  const std::vector<std::string> want = absl::StrSplit(pattern, '/');
  const std::vector<std::string> have = absl::StrSplit(path, '/');
  if (want.size() != have.size()) return false;
  std::vector<std::string> found;
  for (size_t i = 0; i < want.size(); ++i) {
    if (!want[i].empty() && want[i].front() == '{') {
      if (have[i].empty()) return false;
      found.push_back(have[i]);
    } else if (want[i] != have[i]) {
      return false;
    }
  }
  if (params != nullptr) *params = std::move(found);
  return true;
}

}  // namespace

const Route* MatchRoute(const std::vector<Route>& routes, const std::string& method,
                        const std::string& path, std::vector<std::string>* params,
                        bool* path_known) {
  *path_known = false;
  for (const Route& route : routes) {
    if (!Fits(route.pattern, path, nullptr)) continue;
    *path_known = true;
    // HEAD is GET without the body (httplib drops it).
    if (route.method == method || (method == "HEAD" && route.method == "GET")) {
      Fits(route.pattern, path, params);
      return &route;
    }
  }
  return nullptr;
}

std::string AllowedMethods(const std::vector<Route>& routes, const std::string& path) {
  std::vector<std::string> methods;
  for (const Route& route : routes) {
    if (Fits(route.pattern, path, nullptr)) methods.push_back(route.method);
  }
  return absl::StrJoin(methods, ", ");
}

}  // namespace tqdb::server
