#!/usr/bin/env bash
# Claim: amid serves the WebFIX API over TLS with tls_cert/tls_key (a certificate made here by
# openssl): `curl --cacert` reaches it, plain HTTP on that port does not get an answer, and a
# missing key file or a lone tls_cert is a configuration error (exit 2) before anything starts.
set -u
B=${AMI_BUILD:-build}
D=$(realpath "$B/amid")
command -v openssl >/dev/null && command -v curl >/dev/null || { echo "skip: openssl or curl missing"; exit 0; }
dir=$(mktemp -d /tmp/ami-tls-XXXXXX)
node=
cleanup() { [ -n "$node" ] && kill "$node" 2>/dev/null && wait "$node" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
cd "$dir"
fail=0
check() { if eval "$2"; then echo "  ok: $1"; else echo "  FAILED: $1"; fail=1; fi; }
openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 2 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$D" --nid s-0001 --db ami.db --listen "127.0.0.1:$port" --tls-cert cert.pem --tls-key key.pem 2>amid.log &
node=$!
for i in $(seq 100); do grep -q "WebFIX API on" amid.log && break; sleep 0.1; done
check "startup line says https" 'grep -q "WebFIX API on https://127.0.0.1:$port/" amid.log'
body='{"webfix":"1.0","method":"listTemplates"}'
out=$(curl -sS --cacert cert.pem -H 'Content-Type: application/json' -d "$body" "https://127.0.0.1:$port/")
check "curl --cacert reaches amid over TLS" '[[ $out == *ticker-simulator* ]]'
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 -H 'Content-Type: application/json' -d "$body" "http://127.0.0.1:$port/")
check "plain HTTP gets no WebFIX answer" '[ "$code" != 200 ]'
curl -s --max-time 3 -o /dev/null -d "$body" "https://127.0.0.1:$port/"; rc=$?
check "without the CA the certificate is refused" '[ $rc -ne 0 ]'
kill "$node"; wait "$node"; node=
"$D" --nid s-0001 --db ami.db --listen "127.0.0.1:$port" --tls-cert cert.pem --tls-key nokey.pem 2>err.txt; rc=$?
check "missing key file: exit 2 naming tls_key" '[ $rc -eq 2 ] && grep -q tls_key err.txt && ! grep -q started err.txt'
"$D" --nid s-0001 --db ami.db --listen "127.0.0.1:$port" --tls-cert cert.pem 2>err.txt; rc=$?
check "tls_cert without tls_key: exit 2" '[ $rc -eq 2 ] && grep -q "go together" err.txt'
exit $fail
