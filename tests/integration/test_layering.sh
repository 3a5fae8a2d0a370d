#!/usr/bin/env bash
# Claim: lib/ keeps its layers (docs/design.md §2): every libami symbol an object of one area
# uses is defined in that area or in one below it, so no area calls up
# (core → util → store → classify, election, runtime → registry, templates → node → webfix).
set -u
B=${AMI_BUILD:-build}
[ -d "$B/obj/lib" ] || { echo "missing $B/obj/lib (build first)"; exit 1; }
area_of() { local p=${1#"$B"/obj/lib/}; echo "${p%%/*}"; }
# the objects of today's sources (a build directory may hold objects of removed files)
objs=$(find lib -name '*.c' | sed "s|^|$B/obj/|; s|\.c\$|.o|")
defs=$(mktemp); trap 'rm -f "$defs"' EXIT
for o in $objs; do
  a=$(area_of "$o")
  nm --defined-only "$o" | awk -v a="$a" '$2 ~ /^[TDBR]$/ && $3 ~ /^ami_/ {print $3, a}'
done | sort -u > "$defs"
uses=$(mktemp); trap 'rm -f "$defs" "$uses"' EXIT
for o in $objs; do
  a=$(area_of "$o")
  nm --undefined-only "$o" | awk -v a="$a" -v o="${o#"$B"/obj/}" '$2 ~ /^ami_/ {print $2, a, o}'
done > "$uses"
ranks='core 0 util 1 store 2 classify 3 election 3 runtime 3 registry 4 templates 4 node 5 webfix 6'
out=$(awk -v ranks="$ranks" '
  BEGIN { n = split(ranks, r, " "); for (i = 1; i < n; i += 2) rank[r[i]] = r[i + 1] }
  FNR == NR { def[$1] = $2; next }
  { calls++
    if (!($2 in rank)) { print "FAILED: unknown area \"" $2 "\" (" $3 "): give it a layer here and in docs/design.md"; next }
    if (($1 in def) && rank[def[$1]] > rank[$2]) print "FAILED: " $3 " (" $2 ") calls " $1 ", defined in " def[$1] " (a layer above)" }
  END { print "checked " calls " cross-file calls" }' "$defs" "$uses")
echo "$out"
! echo "$out" | grep -q '^FAILED'
