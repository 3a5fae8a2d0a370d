#!/usr/bin/env bash
# Claim: the three-node cluster test (test_node_cluster.c: the modes split the work,
# the leader worker moves after kill -9 within lease + renew and at once on SIGTERM,
# a frozen leader fences itself, no two leaders' iterations overlap) holds with
# `amid --db etcd://…` on a real three-member etcd cluster, nothing shared on disk.
set -u
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../.." && pwd)
build=${AMI_BUILD:-build}
command -v etcd >/dev/null || { echo "etcd is not installed (scripts/deps.sh installs etcd-server)"; exit 1; }
. "$root/tests/lib/etcd.sh"
etcd_start 3 || { etcd_stop; exit 1; }
trap etcd_stop EXIT
AMI_TEST_ETCD=$ETCD_ENDPOINTS "$build/tests/integration/test_node_cluster"
