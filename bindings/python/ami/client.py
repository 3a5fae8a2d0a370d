"""Client: WebFIX over HTTP to a remote amid, logged in with the library's signed login."""
import json
import urllib.error
import urllib.request
from ctypes import byref, c_void_p

from . import _lib as L
from .errors import AuthError, Conflict, Denied, Error, NotFound, ValidationError

_STATUS = {400: (ValidationError, -12), 401: (AuthError, -17), 403: (Denied, -18), 404: (NotFound, -4),
           409: (Conflict, -5)}


class Client:
    """A remote amid: Client("http://127.0.0.1:3000/", key_file="owner.pem").

    key_file: a PEM secp256k1 private key (ami.keygen, amictl keygen); None for an amid in open
    mode.  The login (connectionNode) is signed by libami; the session is kept in memory and
    renewed once when amid answers 401.  Methods return the parsed JSON result; HTTP errors
    raise ami.Error subclasses (400 ValidationError, 401 AuthError, 403 Denied, 404 NotFound,
    409 Conflict) with amid's message.
    """

    def __init__(self, url, key_file=None, timeout=30.0):
        self.url = url
        self.key_file = None if key_file is None else str(key_file)
        self.timeout = timeout
        self.session = None
        self.role = None

    def _post(self, text, session):
        req = urllib.request.Request(self.url, data=text.encode("utf-8"), method="POST",
                                     headers={"Content-Type": "application/json"})
        if session:
            req.add_header("stels-session", session)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            body = e.read()
            try:
                return e.code, json.loads(body or b"null")
            except ValueError:
                return e.code, {"error": body.decode("utf-8", "replace")}
        except urllib.error.URLError as e:
            raise Error(-8, "cannot reach %s: %s" % (self.url, e.reason))

    @staticmethod
    def _raise(status, body):
        msg = None
        if isinstance(body, dict):
            err = body.get("error")
            msg = err.get("message") if isinstance(err, dict) else err
            if body.get("message") and isinstance(err, str):
                msg = "%s: %s" % (err, body["message"])
        cls, code = _STATUS.get(status, (Error, -1))
        raise cls(code, "%s (HTTP %d)" % (msg or "request failed", status))

    def login(self):
        """Log in with a fresh signed connectionNode; returns the session token."""
        if self.key_file is None:
            raise AuthError(-17, "%s needs a login: give key_file" % self.url)
        out = c_void_p()
        L.check(L.ami_webfix_sign_login(byref(out), L.enc(self.key_file)))
        text = L.take_string(out.value)
        status, body = self._post(text, None)
        if status != 200 or not isinstance(body, dict) or "session" not in body:
            self._raise(status, body)
        self.session = body["session"]
        self.role = body.get("role")
        return self.session

    def call(self, method, body=None, params=None):
        """One WebFIX call; returns the result (200 or 207)."""
        env = {"webfix": "1.0", "method": method}
        if body is not None:
            env["body"] = body
        if params is not None:
            env["params"] = params
        text = json.dumps(env)
        if self.session is None and self.key_file is not None:
            self.login()
        status, res = self._post(text, self.session)
        if status == 401 and self.key_file is not None:
            self.login()
            status, res = self._post(text, self.session)
        if status not in (200, 207):
            self._raise(status, res)
        return res

    # the WebFIX methods (docs/protocol.md)
    def create(self, script=None, body=None, **fields):
        b = dict(body or {})
        if script is not None:
            b["scriptContent"] = script
        b.update(fields)
        return self.call("setWorker", b)

    def list(self):
        return self.call("listWorkers")

    def get(self, sid):
        return self.call("getWorker", {"sid": sid})

    def update(self, sid, raw=None, versionstamp=None, **fields):
        r = dict(raw or {})
        r.update(fields)
        b = {"channel": "ami.worker." + sid, "raw": r}
        if versionstamp is not None:
            b["versionstamp"] = versionstamp
        return self.call("updateWorker", b)

    def delete(self, sid):
        return self.call("deleteWorker", {"sid": sid})

    def stop_all(self):
        return self.call("stopAllWorkers")

    def stats(self):
        return self.call("getWorkerStats")

    def leader_info(self, sid):
        return self.call("getLeaderInfo", {"workerId": sid})

    def nodes(self):
        return self.call("listNodes")

    def logs(self, sid, limit=100, after=0):
        return self.call("getWorkerLogs", {"sid": sid, "limit": limit, "after": after})

    def templates(self):
        return self.call("listTemplates")

    def validate(self, script):
        return self.call("validateScript", {"script": script})
