"""Claim: Registry wraps create/list/get/resolve/update/set_active/delete/stop_all with spec 003's
dicts, and maps validation, conflicts, missing and ambiguous workers to their exceptions."""
import pytest

import ami


@pytest.fixture
def reg():
    s = ami.Store("sqlite::memory:")
    yield ami.Registry(s, nid="s-1")
    s.close()


def test_crud(reg):
    e = reg.create("logger.info('x');", priority="high", note="first")
    raw = e["value"]["raw"]
    sid = raw["sid"]
    assert e["key"] == ["ami", "worker", sid]
    assert raw["priority"] == "high" and raw["nid"] == "s-1" and raw["active"] is False
    assert [x["value"]["raw"]["sid"] for x in reg.list()] == [sid]
    assert reg.get(sid) == e
    assert reg.resolve(sid[:8]) == sid
    u = reg.update(sid, {"note": "second"}, versionstamp=e["versionstamp"], priority="low")
    assert u["value"]["raw"]["note"] == "second" and u["value"]["raw"]["priority"] == "low"
    assert u["versionstamp"] > e["versionstamp"]
    assert reg.set_active(sid, True)["value"]["raw"]["active"] is True
    reg.delete(sid)
    with pytest.raises(ami.NotFound):
        reg.get(sid)


def test_body_form(reg):
    e = reg.create(body={"scriptContent": "return 1;", "mode": "single"}, active=True)
    assert e["value"]["raw"]["mode"] == "single" and e["value"]["raw"]["active"] is True


def test_stop_all(reg):
    assert reg.stop_all()["total"] == 0
    a = reg.create("return 1;", active=True)["value"]["raw"]["sid"]
    reg.create("return 2;")
    report = reg.stop_all()
    assert report["total"] == 2 and report["failed"] == 0 and report["partial"] is False
    assert len(report["workers"]) == 2
    assert reg.get(a)["value"]["raw"]["active"] is False


def test_errors(reg):
    with pytest.raises(ami.ValidationError) as e:
        reg.create("let x = ;")
    assert e.value.code == -12 and "Invalid script content" in e.value.message
    assert isinstance(e.value, ami.Invalid)
    with pytest.raises(ami.ValidationError) as e:
        reg.create("return 1;", executionMode="exclusive")
    assert "assignedNode" in e.value.message
    sid = reg.create("return 1;")["value"]["raw"]["sid"]
    with pytest.raises(ami.Conflict) as e:
        reg.update(sid, note="x", versionstamp="00000000000000000001")
    assert e.value.name == "AMI_ECONFLICT"
    with pytest.raises(ami.NotFound):
        reg.delete("no-such-worker")
    with pytest.raises(ami.NotFound):
        reg.resolve("zzzz")
    sids = [reg.create("return %d;" % i)["value"]["raw"]["sid"] for i in range(40)]
    with pytest.raises(ami.Ambiguous):
        reg.resolve(_common_prefix(sids + [sid]))


def _common_prefix(sids):
    # a one-hex-digit prefix shared by at least two sids
    by = {}
    for s in sids:
        by.setdefault(s[0], []).append(s)
    return next(k for k, v in by.items() if len(v) > 1)
