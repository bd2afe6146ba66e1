// The web console's files (server/console/), compiled into the server so it needs nothing beside
// it and downloads nothing: server/CMakeLists.txt generates their definitions at configure time.
#pragma once

#include <string_view>

#include "absl/types/span.h"

namespace tqdb::server {

struct ConsoleFile {
  const char* path;  // the URL path it is served at
  const char* summary;
  std::string_view content;
};

// "text/html; charset=utf-8", "text/javascript; ...", "text/css; ..." by the path's extension.
const char* ContentTypeOf(std::string_view path);

absl::Span<const ConsoleFile> ConsoleFiles();

}  // namespace tqdb::server
