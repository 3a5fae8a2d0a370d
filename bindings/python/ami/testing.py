"""ami.testing — pytest fixtures and helpers for testing worker scripts.

Load it with `pytest_plugins = ["ami.testing"]` in a conftest.py (an installed package also
registers it through the pytest11 entry point).  Fixtures:

    ami_store    a throw-away file store (ami.Store.temp()), closed and removed afterwards
    ami_node     a started ami.Node "test-1" on ami_store (loops run every 10 ms)
    ami_cluster  two amid processes ("n-1", "n-2") sharing a throw-away store, each with
                 WebFIX on a free 127.0.0.1 port in open mode (see Cluster)

Helpers:

    create_worker(store, script, **fields) -> sid    (active by default)
    wait_for_log(source, sid, text, timeout=10)      (source: a Node, a Client or a Cluster)
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import ami

try:
    import pytest
except ImportError:   # the helpers work without pytest
    pytest = None

__all__ = ["create_worker", "wait_for_log", "Cluster", "find_amid"]


def create_worker(store, script, nid="test-1", **fields):
    """Create a worker from a script string in `store` (an ami.Store); returns its sid.
    Fields are setWorker's (mode="single", executionMode="leader", priority=...); active=True
    unless given."""
    fields.setdefault("active", True)
    entry = ami.Registry(store, nid).create(script, **fields)
    return entry["value"]["raw"]["sid"]


def wait_for_log(source, sid, text, timeout=10.0):
    """Poll `source`'s log lines of worker `sid` until one contains `text`; returns that line
    (a dict with ts, level, nid, sid, msg).  Raises ami.Timeout listing the lines seen."""
    deadline = time.monotonic() + timeout
    lines = []
    while True:
        lines = source.logs(sid, 0) if isinstance(source, ami.Node) else source.logs(sid)
        for line in lines:
            if text in line.get("msg", ""):
                return line
        if time.monotonic() >= deadline:
            seen = "\n".join("  %s %s" % (l.get("level"), l.get("msg")) for l in lines[-20:])
            raise ami.Timeout(-10, "no log line of %s contains %r within %.1f s; last lines:\n%s"
                              % (sid, text, timeout, seen or "  (none)"))
        time.sleep(0.02)


def find_amid():
    """The amid program: $AMI_AMID, next to the library (a build tree), or on PATH."""
    env = os.environ.get("AMI_AMID")
    if env:
        return env
    here = os.path.join(os.path.dirname(ami.library_path), "amid")
    if os.path.isfile(here) and os.access(here, os.X_OK):
        return here
    for p in (os.path.join(os.path.dirname(ami.library_path), "..", "bin", "amid"), shutil.which("amid")):
        if p and os.path.isfile(p):
            return os.path.normpath(p)
    raise FileNotFoundError("amid not found: set AMI_AMID")


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Cluster:
    """Node processes (amid) sharing one store, for tests that need several nodes.

        with Cluster(2) as c:
            sid = create_worker(c.store, "logger.info(Stels.config.nid)", executionMode="leader")
            c.client("n-1").stats()
            c.kill("n-1")                      # SIGKILL, a crash

    .store is an ami.Store on the shared file, .uri its URI, .nids the node ids, .url(nid) and
    .client(nid) the node's WebFIX API (open mode, no login).  Extra keyword arguments become
    amid options (lease_ms=1000 -> --lease-ms 1000).  The default timings are short (lease
    1 s, heartbeat 200 ms) so failover happens quickly.
    """

    def __init__(self, n=2, amid=None, owners=None, **options):
        self.amid = amid or find_amid()
        self.dir = tempfile.mkdtemp(prefix="ami-cluster-")
        self.uri = "sqlite:" + os.path.join(self.dir, "ami.db")
        self.store = ami.Store(self.uri)
        self.nids = ["n-%d" % (i + 1) for i in range(n)]
        self.owners = owners
        self.options = dict(lease_ms=1000, renew_ms=300, retry_ms=100, heartbeat_ms=200, stats_ms=200,
                            graceful_shutdown_ms=1000)
        self.options.update(options)
        self.procs = {}
        self.ports = {}
        for nid in self.nids:
            self.start(nid)

    def start(self, nid):
        """Start (or restart) node `nid` and wait until its WebFIX API answers."""
        port = _free_port()
        args = [self.amid, "--nid", nid, "--db", self.uri[len("sqlite:"):], "--listen", "127.0.0.1:%d" % port]
        if self.owners:
            args += ["--owners", ",".join(self.owners)]
        for k, v in self.options.items():
            args += ["--" + k.replace("_", "-"), str(v)]
        log = open(os.path.join(self.dir, nid + ".log"), "ab")
        self.procs[nid] = subprocess.Popen(args, stdout=log, stderr=log)
        log.close()
        self.ports[nid] = port
        deadline = time.monotonic() + 20
        while True:
            if self.procs[nid].poll() is not None:
                raise RuntimeError("amid %s exited with %s:\n%s" % (nid, self.procs[nid].returncode, self.log(nid)))
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("amid %s did not listen within 20 s:\n%s" % (nid, self.log(nid)))
                time.sleep(0.05)
        return self

    def log(self, nid):
        """What node `nid` wrote to stderr."""
        with open(os.path.join(self.dir, nid + ".log"), "rb") as f:
            return f.read().decode("utf-8", "replace")

    def url(self, nid):
        return "http://127.0.0.1:%d/" % self.ports[nid]

    def client(self, nid, key_file=None):
        return ami.Client(self.url(nid), key_file)

    def logs(self, sid, nid=None):
        """A worker's log lines from every node (or from `nid`), oldest first."""
        lines = []
        for n in [nid] if nid else self.nids:
            if self.procs[n].poll() is None:
                lines += self.client(n).logs(sid, 0)
        return sorted(lines, key=lambda l: l.get("ts", 0))

    def kill(self, nid, sig=signal.SIGKILL):
        """Send `sig` to node `nid` and wait for it to exit; returns its exit status."""
        p = self.procs[nid]
        if p.poll() is None:
            p.send_signal(sig)
        return p.wait(timeout=30)

    def close(self):
        for nid in list(self.procs):
            p = self.procs[nid]
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs.values():
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.store.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


if pytest is not None:
    @pytest.fixture
    def ami_store():
        """A throw-away file store, closed and removed after the test."""
        s = ami.Store.temp()
        yield s
        s.close()

    @pytest.fixture
    def ami_node(ami_store):
        """A started node "test-1" on ami_store (loop iterations every 10 ms)."""
        n = ami.Node(ami_store, nid="test-1", loop_delay_ms=10, graceful_shutdown_ms=1000)
        n.start()
        yield n
        n.close()

    @pytest.fixture
    def ami_cluster():
        """Two amid processes sharing a throw-away store (see Cluster)."""
        c = Cluster(2)
        yield c
        c.close()
