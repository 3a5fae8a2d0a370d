"""Claim: Store wraps every store call (get/set/delete/list/current/atomic/watch/wake) over both
throw-away kinds, maps failures to ami.Error subclasses, and its watch iterator receives a write
made by another process."""
import os
import subprocess
import sys
import threading
import time

import pytest

import ami


@pytest.fixture(params=["memory", "temp"])
def store(request):
    s = ami.Store("sqlite::memory:") if request.param == "memory" else ami.Store.temp()
    yield s
    s.close()


def test_get_set_delete(store):
    assert store.get(["a"]) == {"key": ["a"], "value": None, "versionstamp": None}
    vs = store.set(["a"], {"n": 1, "s": "é"})
    assert len(vs) == 20
    e = store.get(["a"])
    assert e["value"] == {"n": 1, "s": "é"} and e["versionstamp"] == vs
    assert store.current() == vs
    store.delete(["a"])
    assert store.get(["a"])["value"] is None
    store.delete(["never"])   # no error when absent


def test_expiry(store):
    store.set(["ttl"], 1, expire_in_ms=30)
    time.sleep(0.08)
    assert store.get(["ttl"])["value"] is None


def test_list(store):
    for i in range(5):
        store.set(["p", i], i * 10)
    store.set(["q"], "other")
    assert [e["value"] for e in store.list(["p"])] == [0, 10, 20, 30, 40]
    assert [e["key"] for e in store.list(["p"], limit=2, reverse=True)] == [["p", 4], ["p", 3]]
    assert [e["value"] for e in store.list(start=["p", 1], end=["p", 3])] == [10, 20]
    assert len(store.list()) == 6


def test_atomic(store):
    vs = store.set(["acct"], 100)
    assert store.atomic().check(["acct"], vs).set(["acct"], 90).set(["log", 1], "debit").commit()
    # the check is stale now: nothing is written
    assert store.atomic().check(["acct"], vs).set(["acct"], 0).delete(["log", 1]).commit() is None
    assert store.get(["acct"])["value"] == 90 and store.get(["log", 1])["value"] == "debit"
    assert store.atomic().check(["absent"], None).set(["absent"], 1).commit()
    assert store.atomic().delete(["absent"]).commit()
    assert store.get(["absent"])["value"] is None


def test_errors(store):
    with pytest.raises(ami.Invalid) as e:
        store.get([])
    assert e.value.code == -3 and e.value.name == "AMI_EINVAL" and e.value.message
    with pytest.raises(ami.Invalid) as e:
        store.set(["k", "x" * 3000], 1)
    assert e.value.name == "AMI_EKEYTOOLARGE"
    with pytest.raises(ami.Invalid) as e:
        store.set(["big"], "x" * 70000)
    assert e.value.name == "AMI_EVALUETOOLARGE"
    with pytest.raises(ami.Invalid):
        store.set(["k"], float("nan"))
    with pytest.raises(ami.Invalid):
        store.atomic().check(["k"], "not-a-versionstamp").commit()


def test_open_errors(tmp_path):
    with pytest.raises(ami.Invalid) as e:
        ami.Store("redis://localhost")
    assert "scheme" in e.value.message
    with pytest.raises(ami.Error) as e:
        ami.Store(str(tmp_path / "no" / "dir" / "x.db"))
    assert e.value.name == "AMI_EIO"
    s = ami.Store("sqlite::memory:")
    s.close()
    s.close()   # idempotent
    with pytest.raises(ami.Invalid):
        s.get(["a"])


def test_temp_store_is_removed():
    s = ami.Store.temp()
    path = s.uri[len("sqlite:"):]
    assert os.path.exists(path)
    other = ami.Store(s.uri)
    s.set(["x"], 1)
    assert other.get(["x"])["value"] == 1
    other.close()
    s.close()
    assert not os.path.exists(os.path.dirname(path))


def test_watch_sees_another_process():
    with ami.Store.temp() as s:
        pkg = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
        code = ("import sys, time; sys.path.insert(0, %r); import ami; time.sleep(0.3); "
                "s = ami.Store(%r); s.set(['feed', 'x'], 'from the child'); s.set(['other'], 1)" % (pkg, s.uri))
        child = subprocess.Popen([sys.executable, "-c", code])
        try:
            changes = s.watch(["feed"], timeout=20)
            vs = next(changes)
            assert s.get(["feed", "x"]) == {"key": ["feed", "x"], "value": "from the child", "versionstamp": vs}
        finally:
            assert child.wait(timeout=30) == 0
        # nothing more under the prefix: the iteration ends after the timeout
        assert list(s.watch(["feed"], after=vs, timeout=0.3)) == []


def test_watch_wake_ends_iteration(store):
    got = []
    t = threading.Thread(target=lambda: got.extend(store.watch(["w"])))
    t.start()
    time.sleep(0.1)
    store.set(["w", 1], 1)
    time.sleep(0.3)
    store.wake()
    t.join(timeout=10)
    assert not t.is_alive()
    assert len(got) >= 1
