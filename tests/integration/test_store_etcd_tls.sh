#!/usr/bin/env bash
# Claim: etcds:// reaches an etcd that serves TLS and demands client certificates:
# with cacert/cert/key a store opens and keeps workers (amictl --db etcds://…); without
# the client certificate, or over plain etcd://, it is refused with an error naming the endpoint.
set -u
B=$(realpath "${AMI_BUILD:-build}")
command -v etcd >/dev/null || { echo "etcd is not installed (scripts/deps.sh installs etcd-server)"; exit 1; }
d=$(mktemp -d /tmp/ami-etcd-tls-XXXXXX)
pid=
trap '[ -n "$pid" ] && kill -KILL $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$d"' EXIT
cd "$d"
ec() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$1" 2>/dev/null; }
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.pem -days 1 -subj /CN=ami-test-ca 2>/dev/null
ec server; ec client
# etcd's JSON gateway connects to its own gRPC port with the server certificate: it needs clientAuth too
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n' >server.ext
printf 'extendedKeyUsage=clientAuth\n' >client.ext
for n in server client; do
  openssl x509 -req -in $n.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out $n.pem -days 1 -extfile $n.ext 2>/dev/null ||
    { echo "openssl could not sign $n"; exit 1; }
done
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
peer=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
etcd --name t --data-dir "$d/data" --listen-client-urls "https://127.0.0.1:$port" --advertise-client-urls "https://127.0.0.1:$port" \
  --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
  --initial-cluster "t=http://127.0.0.1:$peer" --cert-file server.pem --key-file server.key \
  --trusted-ca-file ca.pem --client-cert-auth --logger zap --log-level error >etcd.log 2>&1 &
pid=$!
for i in $(seq 1 100); do
  curl -s -m 1 --cacert ca.pem --cert client.pem --key client.key -X POST -d '{"key":"AA=="}' "https://127.0.0.1:$port/v3/kv/range" | grep -q header && break
  sleep 0.1
done
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAILED: $1"; fail=1; fi; }
good="etcds://127.0.0.1:$port/tls?cacert=$d/ca.pem&cert=$d/client.pem&key=$d/client.key"
check "a worker created over TLS" '"$B/amictl" --db "$good" create --template ticker-simulator >out.create 2>&1'
check "and listed again" '"$B/amictl" --db "$good" list 2>&1 | grep -q "1 workers\?"'
check "no client certificate: refused, naming the endpoint" \
  '! "$B/amictl" --db "etcds://127.0.0.1:$port/tls?cacert=$d/ca.pem" list >out.nocert 2>&1 && grep -q "127.0.0.1:$port" out.nocert'
check "plain etcd:// to a TLS port: refused" '! "$B/amictl" --db "etcd://127.0.0.1:$port/tls" list >out.plain 2>&1'
[ $fail = 0 ] || { for f in out.*; do echo "== $f"; cat "$f"; done; tail -5 etcd.log; }
exit $fail
