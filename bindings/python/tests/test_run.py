"""Claim: ami.run returns what a script body returned (awaited values too), captures its log
lines, reaches Stels.net/Stels.local in given stores, and raises ScriptError/LimitError with the
error's name, message and line; check_script reports syntax errors with line and column."""
import pytest

import ami


def test_values():
    assert ami.run("return 1 + 2;") == 3
    assert ami.run("return {a: [1, 'x', null]};") == {"a": [1, "x", None]}
    assert ami.run("const v = await Promise.resolve(5); return v * 2;") == 10
    assert ami.run("var x = 1;") is None


def test_logs_and_stores():
    net, local = ami.Store("sqlite::memory:"), ami.Store("sqlite::memory:")
    logs = []
    ami.run("await Stels.net.set(['k'], 42); await Stels.local.set(['l'], 1); logger.warn('done', Stels.config.nid);",
            net, local, nid="py", logs=logs)
    assert net.get(["k"])["value"]["raw"] == 42 and local.get(["l"])["value"]["raw"] == 1
    assert [(l["level"], l["msg"]) for l in logs] == [("warn", "done py")]
    net.close()
    local.close()


def test_errors():
    with pytest.raises(ami.ScriptError) as e:
        ami.run("var a = 1;\nnull.x;")
    assert e.value.code == -13 and e.value.error_name == "TypeError" and e.value.line == 2
    with pytest.raises(ami.ScriptError) as e:
        ami.run("let x = ;")
    assert "SyntaxError" in e.value.message
    with pytest.raises(ami.LimitError) as e:
        ami.run("for (;;) {}", slice_ms=100)
    assert e.value.error_name == "SliceLimitExceeded"
    with pytest.raises(ami.ScriptError):
        ami.run("await Stels.net.get(['x']);")   # no store given


def test_check_script():
    assert ami.check_script("return 1;") is None
    msg = ami.check_script("return 1;\nlet x = ;")
    assert msg.startswith("SyntaxError") and "line 2" in msg and "column" in msg


def test_gil_is_released_while_c_blocks():
    import threading
    import time
    done = threading.Event()
    t = threading.Thread(target=lambda: (ami.run("await Stels.sleep(600); return 1;"), done.set()))
    t0 = last = time.monotonic()
    gap = 0.0
    t.start()
    while not done.is_set() and last - t0 < 10:
        now = time.monotonic()      # pure Python: runs only while the other thread is outside the GIL
        gap = max(gap, now - last)
        last = now
    t.join()
    assert done.is_set() and last - t0 >= 0.5
    # holding the GIL through the 600 ms sleep would stall this loop for 600 ms
    assert gap < 0.45, "the main thread stalled for %.3f s" % gap
