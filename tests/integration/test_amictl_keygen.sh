#!/usr/bin/env bash
# Claim: `amictl keygen --out FILE` writes a 0600 PEM secp256k1 key that openssl
# reads, prints the compressed public key (66 hex) that openssl derives too,
# and never overwrites an existing key.
set -eu
B=${AMI_BUILD:-build}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
pub=$("$B/amictl" keygen --out "$T/k.pem" 2>/dev/null)
echo "$pub" | grep -Eq '^0[23][0-9a-f]{64}$' || { echo "bad public key '$pub'"; exit 1; }
[ "$(stat -c %a "$T/k.pem")" = 600 ] || { echo "mode is $(stat -c %a "$T/k.pem")"; exit 1; }
grep -q 'BEGIN PRIVATE KEY' "$T/k.pem"
openssl ec -in "$T/k.pem" -noout -text 2>/dev/null | grep -q secp256k1 || { echo "openssl does not see secp256k1"; exit 1; }
ossl=$(openssl ec -in "$T/k.pem" -pubout -conv_form compressed -outform DER 2>/dev/null | tail -c 33 | od -An -tx1 | tr -d ' \n')
[ "$ossl" = "$pub" ] || { echo "openssl says $ossl, amictl says $pub"; exit 1; }
json=$("$B/amictl" --json keygen --out "$T/j.pem")
echo "$json" | grep -q '"publicKey"' || { echo "no publicKey in --json output: $json"; exit 1; }
set +e
"$B/amictl" keygen --out "$T/k.pem" >/dev/null 2>&1; rc=$?
"$B/amictl" keygen >/dev/null 2>&1; rc2=$?
set -e
[ $rc -eq 1 ] || { echo "overwrite: exit $rc, expected 1"; exit 1; }
[ $rc2 -eq 2 ] || { echo "missing --out: exit $rc2, expected 2"; exit 1; }
echo "keygen ok"
