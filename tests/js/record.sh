#!/bin/sh
# Records each corpus case's expected output from Node (run by a developer;
# the .expected files are committed so `make test` needs no Node).
# Usage: tests/js/record.sh [case.js ...]   (default: every tests/js/cases/*.js)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
command -v node >/dev/null || { echo "record.sh: node is required" >&2; exit 1; }
[ $# -gt 0 ] || set -- "$here"/cases/*.js
for f in "$@"; do
  node "$here/node-run.js" "$f" > "${f%.js}.expected"
done
echo "recorded $# case(s) with $(node --version)"
