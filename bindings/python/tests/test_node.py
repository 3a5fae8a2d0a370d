"""Claim: Node runs a loop worker and a single worker to completion on a host's store, and wraps
start/stop/stats/logs/leader_info/nodes/wait and the iteration callback; waits that cannot
succeed raise ami.Timeout with the worker's state."""
import threading

import pytest

import ami
from ami.testing import create_worker, wait_for_log


def test_loop_and_single():
    store = ami.Store("sqlite::memory:")
    seen = []
    lock = threading.Lock()

    def on_iteration(it):
        with lock:
            seen.append(it)

    with ami.Node(store, nid="py-1", loop_delay_ms=5, on_iteration=on_iteration) as node:
        loop = create_worker(store, "Stels.net.set(['ticks', Date.now()], 1); logger.info('tick');", nid="py-1")
        single = create_worker(store, "logger.info('once on ' + Stels.config.nid);", nid="py-1", mode="single")
        node.wait(single, "finished", timeout=10)
        node.wait(single, ami.STOPPED, timeout=10)
        assert [l["msg"] for l in node.logs(single)] == ["once on py-1"]
        for _ in range(3):
            node.wait(loop, "iteration", timeout=10)
        wait_for_log(node, loop, "tick")
        st = node.worker_stats(loop)
        assert st["executions"] >= 1 and st["nid"] == "py-1"
        assert node.stats()["totalWorkers"] >= 2
        assert node.leader_info(loop)["hasLeader"] is False
        assert [n["nid"] for n in node.nodes()] == ["py-1"]
        with pytest.raises(ami.Timeout) as e:
            node.wait(loop, "stopped", timeout=0.2)
        assert loop in e.value.message
        ami.Registry(store).set_active(loop, False)
        node.wait(loop, "stopped", timeout=10)
        assert node.worker_stats(single)["executions"] == 1
    with lock:
        assert any(i["sid"] == single and i["code"] == 0 for i in seen)
        assert sum(1 for i in seen if i["sid"] == loop) >= 3
    assert len(store.list(["ticks"])) >= 3
    store.close()


def test_errors_are_seen(ami_store):
    seen = []
    with ami.Node(ami_store, nid="py-2", on_iteration=seen.append) as node:
        bad = create_worker(ami_store, "throw new RangeError('nope');", nid="py-2")
        node.wait(bad, "errored", timeout=10)
        errs = [i for i in seen if i["sid"] == bad]
        assert errs and errs[0]["code"] == -13 and "RangeError: nope" in errs[0]["error"]
        assert "RangeError: nope" in node.worker_stats(bad)["lastError"]


def test_uri_and_options(tmp_path):
    uri = "sqlite:" + str(tmp_path / "n.db")
    node = ami.Node(uri, nid="py-3", capacity=2, heartbeat_ms=100)
    node.start()
    with pytest.raises(ami.Invalid):
        node.start()            # already started
    node.stop()
    node.close()
    node.close()
    with pytest.raises(ami.Invalid):
        node.stats()
    with pytest.raises(ami.Invalid) as e:
        ami.Node(uri, nid="py-4", capacity=-1)   # 0 means the default
    assert "capacity" in e.value.message
    with pytest.raises(TypeError):
        ami.Node(uri, nid="py-5", no_such_option=1)
