#!/usr/bin/env bash
# "Machines" for tests: network namespaces joined by a bridge, nothing else shared.
#   tests/lib/netns.sh up ID N     namespace ami${ID}e holds bridge br0 (10.77.0.1/24, where
#                                  etcd listens); ami${ID}n1..N are the nodes, each with one
#                                  veth (eth0, 10.77.0.1I/24) whose other end (vhI) is on br0
#   tests/lib/netns.sh cut ID I    take node I's link down (it can reach nothing)
#   tests/lib/netns.sh heal ID I   bring it back
#   tests/lib/netns.sh down ID N   delete the namespaces (and with them the links)
# Needs root (CI runs as root).  Addresses live only inside these namespaces.
set -eu
cmd=$1; id=$2; e="ami${id}e"
case "$cmd" in
  up)
    n=$3
    ip netns add "$e"
    ip -n "$e" link set lo up
    ip -n "$e" link add br0 type bridge
    ip -n "$e" addr add 10.77.0.1/24 dev br0
    ip -n "$e" link set br0 up
    for i in $(seq 1 "$n"); do
      ns="ami${id}n$i"
      ip netns add "$ns"
      ip -n "$ns" link set lo up
      ip -n "$e" link add "vh$i" type veth peer name eth0 netns "$ns"
      ip -n "$e" link set "vh$i" master br0 up
      ip -n "$ns" addr add "10.77.0.1$i/24" dev eth0
      ip -n "$ns" link set eth0 up
    done ;;
  cut)  ip -n "$e" link set "vh$3" down ;;
  heal) ip -n "$e" link set "vh$3" up ;;
  down)
    for i in $(seq 1 "${3:-9}"); do ip netns del "ami${id}n$i" 2>/dev/null || true; done
    ip netns del "$e" 2>/dev/null || true ;;
  *) echo "usage: netns.sh up|cut|heal|down ID ..." >&2; exit 2 ;;
esac
