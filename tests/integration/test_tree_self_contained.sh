#!/usr/bin/env bash
# Claim: the repository is self-contained and clean: no tracked file points outside it
# (the sibling folder of design notes, by relative or absolute path, or the old "DESIGN §N" contract), every docs/*.md the README names
# exists, and no store file (*.db, *.local and their WAL/SHM) is tracked or left unignored.
set -u
cd "$(git rev-parse --show-toplevel)" || exit 1
fail=0
bad=$(git grep -n -I -e '\.\./shared' -e '/work/shared' -e 'DESIGN §' -- . ':!tests/integration/test_tree_self_contained.sh' || true)
if [ -n "$bad" ]; then echo "FAILED: references outside the repository:"; echo "$bad"; fail=1; fi
for d in $(grep -o 'docs/[a-z-]*\.md' README.md | sort -u); do
  [ -f "$d" ] || { echo "FAILED: README names $d, which does not exist"; fail=1; }
done
stores=$(git ls-files | grep -E '\.(db|local)(-wal|-shm)?$' || true)
if [ -n "$stores" ]; then echo "FAILED: store files are tracked: $stores"; fail=1; fi
for f in x.db x.db-wal ami.db.s-0001.local ami.db.s-0001.local-wal ami.db.s-0001.local-shm; do
  git check-ignore -q "$f" || { echo "FAILED: $f is not ignored"; fail=1; }
done
[ $fail -eq 0 ] && echo "ok: self-contained and clean"
exit $fail
