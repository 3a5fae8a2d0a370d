#!/bin/sh
# Records the expected output of tests/js/web/*.js with Node (run by a
# developer; the .expected files are committed so `make test` needs no Node).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
command -v node >/dev/null || { echo "record-web.sh: node is required" >&2; exit 1; }
[ $# -gt 0 ] || set -- "$here"/web/*.js
for f in "$@"; do node "$here/web-run.js" "$f" > "${f%.js}.expected"; done
echo "recorded $# file(s) with $(node --version)"
