#!/usr/bin/env bash
# Claim: amictl.1 and amid.8 are well-formed roff, document every amictl command, and
# `make install` puts them under share/man.
set -u
B=${AMI_BUILD:-build}
A=$(realpath "$B/amictl")
fail=0
check() { if eval "$2"; then echo "  ok: $1"; else echo "  FAILED: $1"; fail=1; fi; }
if command -v groff >/dev/null; then
  for m in docs/man/amictl.1 docs/man/amid.8; do
    w=$(groff -man -ww -z "$m" 2>&1)
    check "$m formats without warnings" '[ -z "$w" ]'
  done
fi
for c in $("$A" help | awk '/^commands:/{on=1; next} on && /^  [a-z]/{print $1} on && /^$/{exit}'); do
  r=".B ${c//-/\\-}"
  check "amictl.1 documents $c" 'grep -qF -- "$r" docs/man/amictl.1'
done
check "amictl.1 documents run and keygen" 'grep -q "^\.B run " docs/man/amictl.1 && grep -q "^\.B keygen " docs/man/amictl.1'
root=$(mktemp -d /tmp/ami-man-XXXXXX); trap 'rm -rf "$root"' EXIT
make --no-print-directory -s install B="$B" DESTDIR="$root" PREFIX=/usr/local >/dev/null
check "installed amictl.1" '[ -f "$root/usr/local/share/man/man1/amictl.1" ]'
check "installed amid.8" '[ -f "$root/usr/local/share/man/man8/amid.8" ]'
exit $fail
