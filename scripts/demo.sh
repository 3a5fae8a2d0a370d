#!/usr/bin/env bash
# `make run`: a demo node on ./data — a parallel worker writing synthetic
# tickers and a leader worker averaging them.  Ctrl-C stops it gracefully.
# Start more nodes on the same file from other terminals:
#   build/amid --nid s-0002 --db ./data/ami.db
set -eu
B=${1:-build}
DATA=${AMI_DATA:-./data}
DB=$DATA/ami.db
mkdir -p "$DATA"
ctl() { "$B/amictl" --db "$DB" "$@"; }
if ! ctl --json list | grep -q '"demo: tickers"'; then
  ctl create --file scripts/demo/tickers.js --mode parallel --priority normal --note "demo: tickers" --start >/dev/null
fi
if ! ctl --json list | grep -q '"demo: aggregate"'; then
  ctl create --file scripts/demo/aggregate.js --mode leader --priority high --note "demo: aggregate" --start >/dev/null
fi
echo "demo workers in $DB:"
ctl list
echo
echo "web console: http://127.0.0.1:3000/ (open mode: no login on this machine)"
echo
echo "starting amid (Ctrl-C to stop); in another terminal try:"
echo "  $B/amictl --db $DB list"
echo "  $B/amictl --db $DB --json show <sid-prefix>"
echo
exec "$B/amid" --nid "${AMI_NID:-s-0001}" --db "$DB" "${@:2}"
