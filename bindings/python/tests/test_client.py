"""Claim: Client talks to a real amid over HTTP: an owner key logs in with the library's signed
login and can manage workers and read stats/logs; no key, a viewer key and bad requests raise
AuthError, Denied, ValidationError, NotFound and Conflict.  keygen/key_public write and read keys."""
import os
import stat

import pytest

import ami
from ami.testing import Cluster, wait_for_log


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    d = tmp_path_factory.mktemp("keys")
    owner, viewer = d / "owner.pem", d / "viewer.pem"
    return owner, ami.keygen(owner), viewer, ami.keygen(viewer)


def test_keygen(keys, tmp_path):
    owner, pub, _, vpub = keys
    assert len(pub) == 66 and pub[:2] in ("02", "03") and pub != vpub
    assert stat.S_IMODE(os.stat(owner).st_mode) == 0o600
    assert ami.key_public(owner) == pub
    with pytest.raises(ami.Invalid):
        ami.keygen(owner)                 # never overwrites a key
    with pytest.raises(ami.Error):
        ami.key_public(tmp_path / "missing.pem")


def test_remote_owner(keys):
    owner, pub, viewer, _ = keys
    with Cluster(1, owners=[pub], allow_viewers="true") as c:   # viewers are off by default
        cl = ami.Client(c.url("n-1"), key_file=owner)
        e = cl.create("logger.info('remote ' + Stels.config.nid);", active=True, mode="single")
        assert cl.role == "owner" and cl.session
        sid = e["value"]["raw"]["sid"]
        assert [w["value"]["raw"]["sid"] for w in cl.list()] == [sid]
        assert cl.get(sid)["versionstamp"] == e["versionstamp"]
        assert wait_for_log(cl, sid, "remote n-1")["nid"] == "n-1"
        assert any(w["sid"] == sid for w in cl.stats()["workers"])
        assert [n["nid"] for n in cl.nodes()] == ["n-1"]
        with pytest.raises(ami.ValidationError):    # a parallel worker has no leader: 400
            cl.leader_info(sid)
        assert any(t["name"] == "ticker-simulator" for t in cl.templates())
        assert cl.validate("return 1;")["valid"] is True
        u = cl.update(sid, note="changed", versionstamp=e["versionstamp"])
        assert u["value"]["raw"]["note"] == "changed"
        with pytest.raises(ami.Conflict):
            cl.update(sid, note="stale", versionstamp=e["versionstamp"])
        with pytest.raises(ami.ValidationError) as err:
            cl.create("let x = ;")
        assert "Invalid script content" in err.value.message
        with pytest.raises(ami.NotFound):
            cl.get("00000000-0000-0000-0000-000000000000")
        assert cl.stop_all()["total"] == 1
        assert cl.delete(sid)["deleted"] is True
        # a session that amid no longer knows is renewed by a new login
        cl.session = "0" * 32
        assert cl.list() == []
        # no key: 401; a viewer key reads but may not change anything: 403
        with pytest.raises(ami.AuthError) as err:
            ami.Client(c.url("n-1")).list()
        assert "401" in err.value.message
        v = ami.Client(c.url("n-1"), key_file=viewer)
        assert v.list() == [] and v.role == "viewer"
        with pytest.raises(ami.Denied):
            v.create("return 1;")


def test_unreachable():
    with pytest.raises(ami.Error) as e:
        ami.Client("http://127.0.0.1:9/", timeout=2).list()
    assert e.value.name == "AMI_EIO"


def test_non_owner_refused_by_default(keys):
    owner, pub, viewer, _ = keys
    with Cluster(1, owners=[pub]) as c:          # allow_viewers is off by default
        with pytest.raises(ami.Denied) as e:
            ami.Client(c.url("n-1"), key_file=viewer).list()
        assert "403" in e.value.message
        assert ami.Client(c.url("n-1"), key_file=owner).list() == []
