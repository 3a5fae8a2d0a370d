#!/usr/bin/env bash
# Claim: docs/api.md's "Every function, by header" lists exactly the functions the public
# headers declare (AMI_EXTERN), each under its own header: a function added to a header
# without a line there, or a line for a function that does not exist, fails.
set -u
cd "$(dirname "$0")/../.."
fail=0
declared=$(mktemp); listed=$(mktemp)
trap 'rm -f "$declared" "$listed"' EXIT
for h in include/ami/*.h include/ami/sys/*.h; do
  rel=${h#include/}
  # the name after AMI_EXTERN(type) and any pointer stars, one per declaration
  tr '\n' ' ' < "$h" | grep -o 'AMI_EXTERN([^)]*) *\**ami_[a-z0-9_]* *(' \
    | sed 's/.*\(ami_[a-z0-9_]*\) *($/\1/' | sed "s|^|$rel |"
done | sort > "$declared"
awk '/^## Every function, by header/{on=1; next} on && /^## /{on=0}
     on && /^### `/{h=$2; gsub("`","",h); next}
     on && /^\| `ami_/{f=$2; gsub("`","",f); print h, f}' docs/api.md | sort > "$listed"
[ -s "$declared" ] || { echo "FAILED: found no declarations in include/ami"; exit 1; }
[ -s "$listed" ] || { echo "FAILED: docs/api.md has no function index"; exit 1; }
missing=$(comm -23 "$declared" "$listed")
extra=$(comm -13 "$declared" "$listed")
[ -z "$missing" ] || { echo "FAILED: declared but not in docs/api.md's index:"; echo "$missing"; fail=1; }
[ -z "$extra" ] || { echo "FAILED: in docs/api.md's index but not declared there:"; echo "$extra"; fail=1; }
[ $fail -eq 0 ] && echo "ok: $(wc -l < "$declared") functions, each listed under its header"
exit $fail
