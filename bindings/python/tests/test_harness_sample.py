"""Claim: the ami.testing fixtures and helpers make a worker test a few lines: a temporary store,
a running node, and a two-process cluster where a leader worker runs on exactly one node and
moves to the other when its node is killed."""
import ami
from ami.testing import create_worker, wait_for_log


def test_price_worker(ami_store, ami_node):
    ami_store.set(["price", "BTC"], 65000)
    sid = create_worker(ami_store, """
        const p = await Stels.net.get(['price', 'BTC']);
        logger.info('BTC is ' + p.value);
    """, mode="single")
    ami_node.wait(sid, "finished")
    assert wait_for_log(ami_node, sid, "BTC is")["msg"] == "BTC is 65000"


def test_store_fixture_is_fresh(ami_store):
    assert ami_store.list() == []
    assert ami_store.uri.startswith("sqlite:")


def test_leader_fails_over(ami_cluster):
    c = ami_cluster
    sid = create_worker(c.store, "logger.info('leader ' + Stels.config.nid);", executionMode="leader")
    first = wait_for_log(c, sid, "leader n-")["nid"]
    c.kill(first)                                   # SIGKILL: its lease must expire
    other = [n for n in c.nids if n != first][0]
    line = wait_for_log(c.client(other), sid, "leader " + other, timeout=20)
    assert line["nid"] == other
    assert c.client(other).leader_info(sid)["leader"] == other
