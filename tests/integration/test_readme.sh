#!/usr/bin/env bash
# Claim: the README's amictl walk-through, run from a fresh clone, shows what the README says:
# templates, create, list, a node (amid) running them, stats, logs, leader, stop.
# To stay fast it does not rebuild in the clone: the README's `make`/`make test` are checked
# by a dry run (`make -n`), and its commands run against the binaries of this build ($AMI_BUILD).
set -u
B=$(realpath "${AMI_BUILD:-build}"); ROOT=$(pwd)
if [ ! -x "$B/amid" ]; then echo "skip: amid not built yet"; exit 0; fi
# the templates are modern JavaScript: they compile once the lowering is wired into the runtime
if ! printf 'const f = () => 1;\n' | "$B/amictl" validate - >/dev/null 2>&1; then
  echo "skip: modern JavaScript does not compile yet (lowering not wired into the runtime)"; exit 0; fi
dir=$(mktemp -d /tmp/ami-readme-XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; wait; rm -rf "$dir"' EXIT
fail=0
check() { if eval "$2"; then echo "  ok: $1"; else echo "  FAILED: $1"; fail=1; fi; }
git clone -q "$ROOT" "$dir/libami" || { echo "git clone failed"; exit 1; }
cd "$dir/libami"
check "README gives the two commands" 'grep -q "^make run  *#" README.md && grep -q "^make test  *#" README.md'
check "make would build in the fresh clone (dry run)" 'make -n B="$dir/nobuild" all >/dev/null 2>make.err'
# the walk-through: the sh block under "Workers from the command line"
awk '/^## Workers from the command line/{on=1} on && /^```sh/{b=1; next} b && /^```/{exit} b' README.md > walk.txt
check "README has the walk-through" '[ $(wc -l < walk.txt) -ge 8 ] && grep -q "create --template ticker-simulator" walk.txt'
n=0; TICK=; MON=
while IFS= read -r line; do
  n=$((n+1))
  cmd=${line%%  #*}                                   # drop the trailing comment
  cmd=${cmd//build\//$B/}
  cmd=${cmd//<ticker-sid>/\$TICK}; cmd=${cmd//<monitor-sid>/\$MON}
  echo "\$ $cmd" >> transcript.txt
  eval "$cmd" > "out.$n" 2>&1
  cat "out.$n" >> transcript.txt
  case "$cmd" in
    *"create --template ticker-simulator"*) TICK=$(awk '/^created/{print $2}' "out.$n");;
    *"create --template market-monitor"*) MON=$(awk '/^created/{print $2}' "out.$n");;
    *" stats"*)  # a node that just started has no stats yet: the command again until it shows them
      for i in $(seq 60); do grep -q "executions [1-9]" "out.$n" && grep -q "^${TICK:0:8} .*running" "out.$n" && break
                             sleep 0.25; eval "$cmd" > "out.$n" 2>&1; done; stats_out=$n;;
    *" logs "*)  # market-monitor records every 5 s, the first round may precede the first prices
      for i in $(seq 60); do grep -q "3/3 symbols recorded on s-0001" "out.$n" && break; sleep 0.25; eval "$cmd" > "out.$n" 2>&1; done
      logs_out=$n;;
    *" leader "*) leader_out=$n;;
    *" stop "*) stop_out=$n;;
    *" list"*) list_out=$n;;
    *" templates"*) templates_out=$n;;
    "kill %1"*) wait %1; amid_rc=$?;;
  esac
done < walk.txt
check "templates lists the built-ins" 'grep -q "^grid-trading " out.$templates_out && grep -q "^market-monitor " out.$templates_out'
check "create printed the ids" '[ ${#TICK} -eq 36 ] && [ ${#MON} -eq 36 ]'
check "list: the columns the README names, both workers" 'grep -q "^SID  *STATUS  *MODE  *RUN  *PRIORITY  *NODE  *AGE  *NOTE" out.$list_out && grep -q "Ticker Simulator" out.$list_out && grep -q "Market Monitor" out.$list_out'
check "stats: state, executions and errors per node and worker" 'grep -q "STATE .*EXECS .*ERRORS" out.$stats_out && grep -q "^${TICK:0:8}  s-0001 .*running" out.$stats_out'
check "logs: market monitor: 3/3 symbols recorded on s-0001" 'grep -q "market monitor: 3/3 symbols recorded on s-0001" out.$logs_out'
check "leader: s-0001, elected at, renewed at, expires in" 'grep -q "^leader: *s-0001" out.$leader_out && grep -q "^elected at:" out.$leader_out && grep -q "^renewed at:" out.$leader_out && grep -q "^expires in:" out.$leader_out'
check "stop: stopped <sid>" 'grep -q "^stopped $TICK" out.$stop_out'
stopped=0
for i in $(seq 40); do "$B/amictl" --db ./data/ami.db stats "$TICK" | grep -q "^${TICK:0:8} .*stopped" && { stopped=1; break; }; sleep 0.25; done
check "stats then shows it stopped" '[ $stopped -eq 1 ]'
check "amid shut down gracefully (exit 0)" '[ "${amid_rc:-x}" = 0 ]'
[ $fail -eq 0 ] || { echo "--- transcript"; cat transcript.txt | tail -60; }
exit $fail
