"""Claim: every AMI_E... code maps to ami.Error with its name and message, and to the documented
subclass; library messages come from the failing call's own thread."""
import threading

import pytest

import ami
from ami import errors


def test_mapping():
    expect = {-3: ami.Invalid, -4: ami.NotFound, -5: ami.Conflict, -10: ami.Timeout, -12: ami.ValidationError,
              -13: ami.ScriptError, -14: ami.LimitError, -15: ami.Stopped, -17: ami.AuthError, -18: ami.Denied,
              -19: ami.Ambiguous, -1: ami.Error, -8: ami.Error}
    for code, cls in expect.items():
        e = errors.error_for(code, "msg")
        assert type(e) is cls and isinstance(e, ami.Error)
        assert e.code == code and e.name == errors.CODES[code] and e.message == "msg"
        assert str(e) == "%s: msg" % e.name
    assert issubclass(ami.NotFound, LookupError) and issubclass(ami.Timeout, TimeoutError)
    assert issubclass(ami.ValidationError, ami.Invalid) and issubclass(ami.LimitError, ami.ScriptError)


def test_names_match_library():
    from ami import _lib as L
    for code in errors.CODES:
        assert L.ami_strerror(code) != b"unknown error"


def test_threads_get_their_own_message():
    s = ami.Store("sqlite::memory:")
    reg = ami.Registry(s)
    results = {}

    def worker(n):
        try:
            reg.get("missing-%d" % n)
        except ami.NotFound as e:
            results[n] = e.message

    ts = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert all("missing-%d" % n in results[n] for n in range(8))
    s.close()


def test_version():
    assert ami.version() == "0.1.0"
    with pytest.raises(TypeError):
        ami.Store()
