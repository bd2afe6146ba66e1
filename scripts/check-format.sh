#!/usr/bin/env bash
# Fails, naming the lines, when a C++ file differs from what clang-format (Debian's, with the
# repository's .clang-format: Google style, 100 columns) makes of it. Registered with CTest.
# To fix: clang-format -i $(git ls-files '*.cc' '*.h')
set -euo pipefail
cd "$(dirname "$0")/.."
if git rev-parse --git-dir >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files '*.cc' '*.h')
else
  mapfile -t files < <(find bench datasets engine server tests tools -name '*.cc' -o -name '*.h')
fi
clang-format --dry-run --Werror "${files[@]}"
echo "check-format: ${#files[@]} files formatted"
