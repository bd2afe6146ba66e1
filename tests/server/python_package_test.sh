#!/bin/sh
# Installs tools/python with pip into a fresh virtual environment that sees Debian's packages
# (as tools/python/README.md says, without PyPI), then runs the client's tests with that
# environment's interpreter and no PYTHONPATH: the installed package, with the stubs its build
# generated, must do everything the build-tree client does.
# Usage: python_package_test.sh SOURCE_DIR TQDB_SERVER_BINARY
set -eu
src="$1"
server="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# A copy, so the in-tree build leaves nothing in the clone.
mkdir -p "$work/tools"
cp -r "$src/tools/python" "$work/tools/"
cp -r "$src/proto" "$work/"
/usr/bin/python3 -m venv --system-site-packages "$work/venv"
"$work/venv/bin/pip" install --quiet --no-build-isolation --no-index "$work/tools/python"
cd "$work"
env -u PYTHONPATH TQDB_EXPECT_INSTALLED=1 "$work/venv/bin/python" \
  "$src/tests/server/python_client_test.py" "$server"
