#!/usr/bin/env bash
# Claim: amictl.1 and amid.8 are well-formed roff, document every amictl command, their
# EXAMPLES work as printed (placeholders filled: a real worker id, owner key and certificate;
# commands that follow or watch are stopped after a few seconds), and `make install` puts
# them under share/man.
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
# the EXAMPLES sections, run in a scratch directory with the built programs on PATH
ex() { awk '/^\.SH EXAMPLES/{on=1; next} on && /^\.nf/{next} on && /^\.fi/{exit} on' "$1" | sed 's/\\-/-/g'; }
B_ABS=$(realpath "$B"); mkdir -p "$root/ex/h"
(
  cd "$root/ex" && export PATH="$B_ABS:$PATH" AMI_DB=./ami.db HOME="$root/ex/h" EDITOR=true NO_COLOR=1 XDG_CACHE_HOME="$root/ex/cache"
  amictl keygen --out "$HOME/.config/ami/owner.pem" > pub.txt 2>/dev/null
  openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 2 -subj /CN=localhost 2>/dev/null
  first=
  while IFS= read -r cmd; do
    case "$cmd" in *3f2a*) [ -z "$first" ] && first=$(amictl --json list | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["key"][2][:8])')
                           cmd=${cmd//3f2a/$first};; esac
    cmd=${cmd//02c6...5/$(cat pub.txt)}
    case "$cmd" in
      amid*) cmd="${cmd/--listen 127.0.0.1:3000/--listen 127.0.0.1:0}"
             cmd="${cmd/--config \/usr\/local\/etc\/ami\/amid.conf/--config $OLDPWD/docs/amid.conf --db ./ami.db}"
             # a fresh log, and this amid's own "started" line (pid $p): the child truncates amid.log only
             # once it runs, so a loaded machine could otherwise read the previous example's log and kill
             # the child before it has set up its signal handling (exit 143 with a stale log)
             : > amid.log
             eval "exec $cmd" > amid.log 2>&1 & p=$!
             for i in $(seq 300); do grep -q "started.*pid $p)" amid.log && break; sleep 0.1; done   # its signal handlers are in place once it says so
             kill $p 2>/dev/null; wait $p; rc=$?
             echo "rc=$rc: $cmd"; [ $rc -eq 0 ] || cat amid.log;;
      *"--url"*) echo "rc=0: (needs a running amid) $cmd";;
      *) timeout 4 bash -c "$cmd" > out.txt 2>&1; rc=$?; [ $rc -eq 124 ] && rc=0   # -f and --watch run until stopped
         echo "rc=$rc: $cmd"; [ $rc -eq 0 ] || cat out.txt;;
    esac
  done < <(ex "$OLDPWD/docs/man/amictl.1"; ex "$OLDPWD/docs/man/amid.8")
) > "$root/examples.txt" 2>&1
grep -av "^rc=0: " "$root/examples.txt" | sed 's/^/    /'
check "every EXAMPLES line of amictl.1 and amid.8 works" '[ $(grep -ac "^rc=" "$root/examples.txt") -ge 10 ] && ! grep -aq "^rc=[1-9]" "$root/examples.txt"'
make --no-print-directory -s install B="$B" DESTDIR="$root" PREFIX=/usr/local >/dev/null
check "installed amictl.1" '[ -f "$root/usr/local/share/man/man1/amictl.1" ]'
check "installed amid.8" '[ -f "$root/usr/local/share/man/man8/amid.8" ]'
exit $fail
