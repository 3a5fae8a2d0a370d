"""Claim: thousands of calls through the binding (reads, writes, lists, registry calls, runs,
errors) leave the process RSS flat: memory the library returns is freed."""
import ami


def rss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def round_of_calls(store, reg, sid, i):
    store.set(["leak", i % 50], {"i": i, "pad": "x" * 200})
    store.get(["leak", i % 50])
    store.list(["leak"], limit=10)
    store.atomic().set(["leak", "a"], i).commit()
    reg.get(sid)
    try:
        reg.get("missing")
    except ami.NotFound:
        pass
    if i % 10 == 0:
        ami.run("return {i: %d};" % i)


def test_rss_stays_flat():
    store = ami.Store("sqlite::memory:")
    reg = ami.Registry(store)
    sid = reg.create("return 1;")["value"]["raw"]["sid"]
    for i in range(1500):                 # warm up caches, SQLite pages, allocator arenas
        round_of_calls(store, reg, sid, i)
    before = rss_kb()
    for i in range(6000):
        round_of_calls(store, reg, sid, i)
    grown = rss_kb() - before
    store.close()
    # 6000 rounds x 7 calls: a leak of even 100 bytes per call would be 4 MB
    assert grown < 4096, "RSS grew by %d KiB over 42000 calls" % grown
