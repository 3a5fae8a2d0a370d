#!/usr/bin/env bash
# Claim: docs/amid.service is a unit `systemd-analyze verify` accepts (--man=no: amid.8 is not installed here) (Type=notify, ExecStart
# pointed at the built amid), and amid speaks sd_notify: under a NOTIFY_SOCKET it sends READY=1
# once it serves, and STOPPING=1 on SIGTERM.
set -u
B=${AMI_BUILD:-build}
D=$(realpath "$B/amid")
dir=$(mktemp -d /tmp/ami-unit-XXXXXX)
node=
cleanup() { [ -n "$node" ] && kill "$node" 2>/dev/null && wait "$node" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
fail=0
check() { if eval "$2"; then echo "  ok: $1"; else echo "  FAILED: $1"; fail=1; fi; }
check "the unit is Type=notify" 'grep -q "^Type=notify" docs/amid.service'
if command -v systemd-analyze >/dev/null; then
  sed "s|^ExecStart=/usr/local/bin/amid|ExecStart=$D|" docs/amid.service > "$dir/amid.service"
  systemd-analyze verify --man=no "$dir/amid.service" > "$dir/verify.txt" 2>&1; rc=$?
  check "systemd-analyze verify accepts it" '[ $rc -eq 0 ] || { cat "$dir/verify.txt"; false; }'
else
  echo "  (systemd-analyze not installed: verify skipped)"
fi
cd "$dir"
python3 - "$D" <<'PY' > notify.txt 2>&1 &
import os, socket, subprocess, sys, time
path = os.path.join(os.getcwd(), "notify.sock")
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(path); s.settimeout(20)
p = subprocess.Popen([sys.argv[1], "--nid", "s-0001", "--db", "ami.db", "--listen", "127.0.0.1:0"],
                     env=dict(os.environ, NOTIFY_SOCKET=path), stderr=open("amid.log", "w"))
msgs = []
try:
    msgs.append(s.recv(4096).decode()); p.terminate(); msgs.append(s.recv(4096).decode())
finally:
    p.terminate(); rc = p.wait()
print("\n".join(msgs)); print("rc", rc)
PY
wait $!
check "READY=1 when serving, then STOPPING=1 on SIGTERM, exit 0" 'grep -q "^READY=1" notify.txt && grep -q "^STOPPING=1" notify.txt && grep -q "^rc 0" notify.txt'
exit $fail
