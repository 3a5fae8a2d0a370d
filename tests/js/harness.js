/* Test stand-in for the runtime's prelude (ES5, runs in plain Duktape):
 * a small Promise with a job queue, __ami_await that drains it, Map/Set with
 * "@@iterator", and the few ES2015+ library functions the corpus uses.
 * The real runtime provides its own versions of all of these. */
(function (G) {
  var jobs = [];
  function enqueue(fn) { jobs.push(fn); }
  G.__harness_drain = function () { var n = 0; while (jobs.length) { if (++n > 100000) throw new Error('job storm'); jobs.shift()(); } };

  function isThenable(x) { return x !== null && (typeof x === 'object' || typeof x === 'function') && typeof x.then === 'function'; }
  function P(executor) {
    var self = this;
    this._state = 0; this._value = void 0; this._cbs = [];
    function settle(state, v) {
      if (self._state) return;
      self._state = state; self._value = v;
      var cbs = self._cbs; self._cbs = [];
      for (var i = 0; i < cbs.length; i++) schedule(self, cbs[i]);
    }
    function resolve(v) {
      if (self._state || resolve.done) return;
      resolve.done = true;
      if (v === self) return settle(2, new TypeError('Chaining cycle detected for promise'));
      if (isThenable(v)) {
        enqueue(function () {
          var called = false;
          try { v.then(function (x) { if (!called) { called = true; resolve.done = false; resolve(x); } },
                       function (e) { if (!called) { called = true; settle(2, e); } }); }
          catch (e) { if (!called) { called = true; settle(2, e); } }
        });
        return;
      }
      settle(1, v);
    }
    function reject(e) { if (self._state || resolve.done) return; resolve.done = true; settle(2, e); }
    try { executor(resolve, reject); } catch (e) { reject(e); }
  }
  function schedule(p, cb) {
    enqueue(function () {
      var h = p._state === 1 ? cb.ok : cb.err;
      if (typeof h !== 'function') { (p._state === 1 ? cb.resolve : cb.reject)(p._value); return; }
      var r;
      try { r = h(p._value); } catch (e) { cb.reject(e); return; }
      cb.resolve(r);
    });
  }
  P.prototype.then = function (ok, err) {
    var self = this, res, rej;
    var np = new P(function (a, b) { res = a; rej = b; });
    var cb = { ok: ok, err: err, resolve: res, reject: rej };
    if (self._state) schedule(self, cb); else self._cbs.push(cb);
    return np;
  };
  P.prototype['catch'] = function (err) { return this.then(void 0, err); };
  P.prototype['finally'] = function (f) {
    return this.then(function (v) { f(); return v; }, function (e) { f(); throw e; });
  };
  P.resolve = function (v) { if (v instanceof P) return v; return new P(function (a) { a(v); }); };
  P.reject = function (e) { return new P(function (a, b) { b(e); }); };
  P.all = function (arr) {
    return new P(function (a, b) {
      var out = [], left = arr.length;
      if (!left) return a(out);
      for (var i = 0; i < arr.length; i++) (function (i) {
        P.resolve(arr[i]).then(function (v) { out[i] = v; if (--left === 0) a(out); }, b);
      })(i);
    });
  };
  G.Promise = P;
  G.__ami_async = function (fn, self, args) {
    var v;
    try { v = fn.apply(self, args); } catch (e) { return P.reject(e); }
    return P.resolve(v);
  };
  G.__ami_await = function (x) {
    if (!isThenable(x)) return x;
    var p = x instanceof P ? x : P.resolve(x);
    var n = 0;
    while (!p._state && jobs.length) { if (++n > 100000) throw new Error('job storm'); jobs.shift()(); }
    if (!p._state) throw new Error('await: promise never settles');
    if (p._state === 2) throw p._value;
    return p._value;
  };

  function mkIter(arr, i0) { var i = 0; return { next: function () { return i < arr.length ? { value: arr[i++], done: false } : { value: void 0, done: true }; } }; }
  function Coll(isMap) {
    function C(init) {
      this._k = []; this._v = [];
      if (init != null) {
        var it = __ami_iter(init), s;
        while (!(s = it.next()).done) { if (isMap) this.set(s.value[0], s.value[1]); else this.add(s.value); }
      }
    }
    function idx(c, k) { for (var i = 0; i < c._k.length; i++) { var x = c._k[i]; if (x === k || (x !== x && k !== k)) return i; } return -1; }
    C.prototype.has = function (k) { return idx(this, k) >= 0; };
    C.prototype['delete'] = function (k) { var i = idx(this, k); if (i < 0) return false; this._k.splice(i, 1); this._v.splice(i, 1); return true; };
    C.prototype.clear = function () { this._k = []; this._v = []; };
    Object.defineProperty(C.prototype, 'size', { get: function () { return this._k.length; } });
    C.prototype.forEach = function (f, t) { for (var i = 0; i < this._k.length; i++) f.call(t, this._v[i], this._k[i], this); };
    C.prototype.keys = function () { return mkIter(this._k.slice()); };
    C.prototype.values = function () { return mkIter(this._v.slice()); };
    C.prototype.entries = function () { var e = []; for (var i = 0; i < this._k.length; i++) e.push([this._k[i], this._v[i]]); return mkIter(e); };
    if (isMap) {
      C.prototype.get = function (k) { var i = idx(this, k); return i < 0 ? void 0 : this._v[i]; };
      C.prototype.set = function (k, v) { var i = idx(this, k); if (i < 0) { this._k.push(k); this._v.push(v); } else this._v[i] = v; return this; };
      C.prototype['@@iterator'] = C.prototype.entries;
    } else {
      C.prototype.add = function (k) { if (idx(this, k) < 0) { this._k.push(k); this._v.push(k); } return this; };
      C.prototype['@@iterator'] = C.prototype.values;
    }
    return C;
  }
  G.Map = Coll(true);
  G.Set = Coll(false);

  if (!Object.entries) Object.entries = function (o) { return Object.keys(o).map(function (k) { return [k, o[k]]; }); };
  if (!Object.values) Object.values = function (o) { return Object.keys(o).map(function (k) { return o[k]; }); };
  if (!Object.fromEntries) Object.fromEntries = function (it) { var o = {}; var i = __ami_iter(it), s; while (!(s = i.next()).done) o[s.value[0]] = s.value[1]; return o; };
  if (!Array.from) Array.from = function (x, f) { var a = __ami_spread(x); return f ? a.map(f) : a; };
  if (!Array.prototype.includes) Object.defineProperty(Array.prototype, 'includes', { value: function (v) { for (var i = 0; i < this.length; i++) if (this[i] === v || (v !== v && this[i] !== this[i])) return true; return false; } });
  if (!Array.prototype.find) Object.defineProperty(Array.prototype, 'find', { value: function (f) { for (var i = 0; i < this.length; i++) if (f(this[i], i, this)) return this[i]; } });
  if (!String.prototype.padStart) Object.defineProperty(String.prototype, 'padStart', { value: function (n, s) { var r = String(this); s = s === void 0 ? ' ' : String(s); while (r.length < n) r = s + r; return r.slice(r.length - Math.max(n, this.length)); } });
})(new Function('return this')());
