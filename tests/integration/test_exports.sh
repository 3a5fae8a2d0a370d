#!/usr/bin/env bash
# Claim: libami.so has SONAME libami.so.0 and exports only ami_* symbols (no duk_*, no helpers);
# libami.a defines the same global symbols and no others (duk_*, ami__* and lowering internals are local).
set -eu
B=${AMI_BUILD:-build}
so=$B/libami.so.0
[ -e "$so" ] || { echo "missing $so"; exit 1; }
soname=$(objdump -p "$so" | awk '/SONAME/{print $2}')
[ "$soname" = "libami.so.0" ] || { echo "SONAME is '$soname'"; exit 1; }
exported=$(nm -D --defined-only "$so" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sed 's/@.*//' | sort -u)
bad=$(echo "$exported" | grep -v '^ami_' | grep -v '^$' || true)
if [ -n "$bad" ]; then echo "symbols exported that are not ami_*:"; echo "$bad" | head -20; exit 1; fi
n=$(echo "$exported" | grep -c '^ami_')
[ "$n" -gt 20 ] || { echo "only $n ami_ symbols exported"; exit 1; }
# every exported function is declared in a public header
missing=0
for s in $(echo "$exported" | grep '^ami_'); do
  grep -rqw "$s" include/ || { echo "exported but not in include/: $s"; missing=1; }
done
[ $missing -eq 0 ]
# the static archive: its global definitions are exactly the .so's exports
[ -f "$B/libami.a" ] || { echo "missing $B/libami.a"; exit 1; }
archived=$(nm -g --defined-only "$B/libami.a" | awk 'NF == 3 && $2 ~ /^[TDBRVWiu]$/ {print $3}' | sort -u)
bad=$(echo "$archived" | grep -v '^ami_' | grep -v '^$' || true)
if [ -n "$bad" ]; then echo "libami.a has global symbols that are not ami_*: $(echo "$bad" | wc -l), e.g."; echo "$bad" | head -20; exit 1; fi
if [ "$archived" != "$exported" ]; then
  echo "libami.a and libami.so differ:"; diff <(echo "$archived") <(echo "$exported") | head -20; exit 1; fi
echo "exports ok: $n ami_* symbols in libami.so and libami.a"
