#!/bin/sh
# Records expected output from Node (run by a developer; the .expected files
# are committed so `make test` needs no Node):
#   tests/js/cases/*.js  run with print() only
#   tests/js/loop/*.js   the same, for the event loop (async ordering, timers, generators):
#                        run by the real runtime (test_rt_loop_corpus, amictl run, a node)
#   tests/js/spec/*.js   the spec's worker scripts, run with tests/js/stels_stub.js
#   tests/js/ts/*.js     TypeScript cases: X.js is X.ts with its types removed by
#                        hand; test_corpus lowers X.ts and compares with X.expected
# Usage: tests/js/record.sh [file.js ...]   (default: all of them)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
command -v node >/dev/null || { echo "record.sh: node is required" >&2; exit 1; }
[ $# -gt 0 ] || set -- "$here"/cases/*.js "$here"/loop/*.js "$here"/spec/*.js "$here"/ts/*.js
n=0
for f in "$@"; do
  case "$f" in
    */spec/*) node "$here/node-run.js" --stub "$here/stels_stub.js" "$f" > "${f%.js}.expected" ;;
    *) node "$here/node-run.js" "$f" > "${f%.js}.expected" ;;
  esac
  n=$((n + 1))
done
echo "recorded $n file(s) with $(node --version)"
