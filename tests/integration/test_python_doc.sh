#!/usr/bin/env bash
# Claim: docs/python.md works as printed: its shell commands run (from the source tree, the
# install with DESTDIR into a temporary root and pip inside a fresh virtualenv, the pytest run of
# its sample test file), and its Python tour runs top to bottom, printing what its comments say.
set -u
B=$(realpath "${AMI_BUILD:-build}")
ROOT=$(pwd)
PY=$([ -x /usr/bin/python3 ] && echo /usr/bin/python3 || echo python3)
dir=$(mktemp -d /tmp/ami-pydoc-XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail=0
check() { if eval "$2"; then echo "  ok: $1"; else echo "  FAILED: $1"; fail=1; fi; }
doc=docs/python.md
# blocks: sh1 sh2 … ; python blocks with "# file: NAME" become files, the others the tour
awk -v d="$dir" '
  /^```sh$/ { n++; f=sprintf("%s/sh%d", d, n); b=1; next }
  /^```python$/ { p++; f=sprintf("%s/py%02d", d, p); b=1; first=1; next }
  b && /^```$/ { b=0; next }
  b { if (first && $0 ~ /^# file: /) { f=d "/" substr($0, 9) } first=0; print > f }' "$doc"
cat "$dir"/py[0-9]* > "$dir/tour.py"
nsh=$(ls "$dir"/sh* | wc -l)
check "the page has its three shell blocks, a tour and a test file" \
  '[ "$nsh" -eq 3 ] && [ $(wc -l < "$dir/tour.py") -ge 40 ] && [ -f "$dir/test_prices.py" ]'
export AMI_LIBRARY="$B/libami.so.0" AMI_AMID="$B/amid" PYTHONDONTWRITEBYTECODE=1
"$PY" -m venv --system-site-packages "$dir/venv" >/dev/null 2>&1
export PATH="$dir/venv/bin:$PATH"        # python3 and pip are the virtualenv's
# 1: from the source tree (make is up to date: a dry-run-fast rebuild of B)
out=$(cd "$ROOT" && bash -c "set -e; $(sed "s|^make |make B=$B |; s|^make\$|make B=$B|" "$dir/sh1")" 2>&1)
check "shell block 1 (source tree) prints the version" '[ "$(echo "$out" | tail -1)" = "$(cd "$ROOT" && "$PY" -c "print(open(\"Makefile\").read().split(\"VERSION     := \")[1].split()[0])")" ]'
# 2: install into a temporary root (DESTDIR), pip into the virtualenv
out=$(cd "$ROOT" && DESTDIR="$dir/root" bash -c "set -e; $(sed "s|^make install |make install B=$B |; s|^pip install |pip install -q --no-index |" "$dir/sh2")" 2>&1); rc=$?
[ $rc -eq 0 ] || echo "$out" | tail -20
check "shell block 2 (make install, pip install) succeeds" '[ $rc -eq 0 ] && ls "$dir"/root/usr/local/lib/python3*/*-packages/ami/__init__.py >/dev/null && python3 -c "import ami" 2>/dev/null'
rm -rf "$ROOT/bindings/python/build" "$ROOT"/bindings/python/*.egg-info
# the tour
out=$(cd "$dir" && python3 tour.py 2>&1); rc=$?
echo "$out" | sed 's/^/    | /'
check "the tour runs" '[ $rc -eq 0 ]'
expect() { want=$1; check "the tour prints: $1" 'echo "$out" | grep -qF -- "$want"'; }
expect "'value': {'usd': 65000}"
expect "[['prices', 'BTC'], ['prices', 'ETH']]"
expect "True None"
expect "{'usd': 150}"
expect "AMI_EVALIDATION - Invalid script content: SyntaxError"
expect "BTC at 66000"
expect "1 0 True"
expect "TypeError 1"
expect "-4 AMI_ENOTFOUND"
expect "owner 1"
expect "AMI_EAUTH"
check "the tour's output has 3 after the error lines (the run's value)" 'echo "$out" | grep -qx 3'
# 3: the pytest sample
out=$(cd "$dir" && bash -c "$(cat "$dir/sh3")" 2>&1); rc=$?
echo "$out" | tail -3 | sed 's/^/    | /'
check "shell block 3 runs the sample test file: 2 passed" '[ $rc -eq 0 ] && echo "$out" | grep -q "2 passed"'
exit $fail
