/* ES5 implementations of the __ami_* helpers that lowered code calls (see
 * lib/runtime/lower/lower.h for the contract).  Evaluated once per heap, before user code, as
 * global code or as a function body (it finds the global object itself and
 * must stay non-strict for that). */
(function (G) {
var hasSym = typeof Symbol === 'function' && typeof Symbol.iterator === 'symbol';
/* Duktape has Symbol but no Symbol.asyncIterator: give `for await` one */
if (hasSym && typeof Symbol.asyncIterator !== 'symbol') try { Object.defineProperty(Symbol, 'asyncIterator', { value: Symbol('Symbol.asyncIterator') }); } catch (e) {}
function def(name, fn) { try { Object.defineProperty(G, name, { value: fn, writable: true, configurable: true, enumerable: false }); } catch (e) {} }
function arrayIter(a) { var i = 0; return { next: function () { return i < a.length ? { value: a[i++], done: false } : (i = a.length + 1, { value: void 0, done: true }); } }; }
function strIter(s) { var i = 0; return { next: function () {
  if (i >= s.length) return { value: void 0, done: true };
  var c = s.charCodeAt(i), n = 1;
  if (c >= 0xD800 && c <= 0xDBFF && i + 1 < s.length) { var d = s.charCodeAt(i + 1); if (d >= 0xDC00 && d <= 0xDFFF) n = 2; }
  var v = s.substr(i, n); i += n; return { value: v, done: false }; } }; }
function describe(x) { try { return x === null ? 'null' : typeof x === 'object' ? 'object' : String(x); } catch (e) { return typeof x; } }
function iter(x) {
  if (x == null) throw new TypeError(describe(x) + ' is not iterable');
  if (typeof x === 'string') return strIter(x);
  if (x instanceof String) return strIter(String(x));
  var m;
  if (hasSym && typeof (m = x[Symbol.iterator]) === 'function') return wrapIt(m.call(x));
  if (typeof (m = x['@@iterator']) === 'function') return wrapIt(m.call(x));
  if (Array.isArray(x) || Object.prototype.toString.call(x) === '[object Arguments]') return arrayIter(x);
  if (typeof Map === 'function' && x instanceof Map && typeof x.entries === 'function') return wrapIt(x.entries());
  if (typeof Set === 'function' && x instanceof Set && typeof x.values === 'function') return wrapIt(x.values());
  if (typeof x.next === 'function') return x;
  if (typeof x === 'object' && typeof x.length === 'number' && typeof ArrayBuffer === 'function' && ArrayBuffer.isView && ArrayBuffer.isView(x)) return arrayIter(x);
  throw new TypeError(describe(x) + ' is not iterable');
}
function wrapIt(it) {
  if (Array.isArray(it)) return arrayIter(it);
  if (it == null || typeof it.next !== 'function') throw new TypeError('Result of the Symbol.iterator method is not an object');
  /* a generator: stepped without a new result object per value (prelude_gen.js) */
  var f = it.__ami_fast;
  return typeof f === 'function' ? f.call(it) : it;
}
def('__ami_iter', iter);
/* a for-of left early (break, return, throw) closes its iterator */
def('__ami_iterclose', function (it) {
  var m = it['return'];
  if (typeof m === 'function') m.call(it);
});
def('__ami_aiter', function (x) {
  var m;
  if (x != null && ((hasSym && typeof Symbol.asyncIterator === 'symbol' && typeof (m = x[Symbol.asyncIterator]) === 'function') || typeof (m = x['@@asyncIterator']) === 'function')) {
    var ai = m.call(x);
    return { next: function () { var r = __ami_await(ai.next()); if (r === null || typeof r !== 'object') throw new TypeError('Iterator result ' + r + ' is not an object'); return r; } };
  }
  var it = iter(x);
  return { next: function () { var r = it.next(); return r.done ? r : { value: __ami_await(r.value), done: false }; } };
});
function spread(x) {
  if (Array.isArray(x)) return Array.prototype.slice.call(x);
  var it = iter(x), out = [], s;
  while (!(s = it.next()).done) out.push(s.value);
  return out;
}
def('__ami_spread', spread);
def('__ami_arr', function (x) { return Array.isArray(x) ? x : spread(x); });
def('__ami_objspread', function (t) {
  for (var i = 1; i < arguments.length; i++) {
    var s = arguments[i];
    if (s == null) continue;
    if (typeof s === 'string') s = Object(s);
    if (typeof s !== 'object' && typeof s !== 'function') continue;
    var ks = Object.keys(s);
    for (var j = 0; j < ks.length; j++) Object.defineProperty(t, ks[j], { value: s[ks[j]], writable: true, enumerable: true, configurable: true });
  }
  return t;
});
def('__ami_objrest', function (s, keys) {
  if (s == null) throw new TypeError('Cannot destructure ' + describe(s) + ' as it is ' + (s === null ? 'null' : 'undefined') + '.');
  var o = {}, ex = {}, i;
  for (i = 0; i < keys.length; i++) ex[String(keys[i])] = true;
  var src = Object(s), ks = Object.keys(src);
  for (i = 0; i < ks.length; i++) if (!Object.prototype.hasOwnProperty.call(ex, ks[i])) o[ks[i]] = src[ks[i]];
  return o;
});
def('__ami_new', function (C, args) {
  if (typeof Reflect === 'object' && typeof Reflect.construct === 'function') return Reflect.construct(C, args);
  return new (Function.prototype.bind.apply(C, [null].concat(args)))();
});
/* String.raw, the standard tag for raw template text */
if (typeof String.raw !== 'function') Object.defineProperty(String, 'raw', { writable: true, configurable: true, value: function (s) {
  var raw = Object(Object(s).raw), n = raw.length >>> 0, out = '';
  for (var i = 0; i < n; i++) { out += String(raw[i]); if (i + 1 < n && i + 1 < arguments.length) out += String(arguments[i + 1]); }
  return out;
} });
def('__ami_tpl', function (cooked, raw) {
  Object.defineProperty(cooked, 'raw', { value: Object.freeze(raw) });
  return Object.freeze(cooked);
});
def('__ami_class', function (B, fn) {
  if (B !== null && typeof B !== 'function' && fn.length) throw new TypeError('Class extends value ' + describe(B) + ' is not a constructor or null');
  return fn(B === null ? Object : B);
});
def('__ami_inherits', function (C, B) {
  C.prototype = Object.create(B === Object ? Object.prototype : B.prototype, { constructor: { value: C, writable: true, configurable: true } });
  if (B !== Object) { if (Object.setPrototypeOf) Object.setPrototypeOf(C, B); else C.__proto__ = B; }
});
def('__ami_method', function (o, k, f) {
  Object.defineProperty(o, k, { value: f, writable: true, configurable: true, enumerable: false });
});
def('__ami_accessor', function (o, k, g, s, en) {
  var d = Object.getOwnPropertyDescriptor(o, k);
  var nd = { configurable: true, enumerable: !!en };
  nd.get = g || (d && d.get) || void 0;
  nd.set = s || (d && d.set) || void 0;
  Object.defineProperty(o, k, nd);
  return o;
});
def('__ami_prop', function (o, k, v) {
  Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
  return o;
});
/* Error options (ES2022): an own, non-enumerable cause when opts has one */
function cause(err, opts) {
  if (opts !== null && typeof opts === 'object' && 'cause' in opts)
    Object.defineProperty(err, 'cause', { value: opts.cause, writable: true, configurable: true, enumerable: false });
  return err;
}
def('__ami_cause', cause);
function superCall(self, B, args) {
  superCall.t = B;   /* B's class constructor check lets this call through (and clears it) */
  var r;
  try { r = B.apply(self, args); } finally { superCall.t = void 0; }
  if (r !== void 0 && r !== self && r !== null && typeof r === 'object' && r instanceof Error) {
    if (args.length > 0 && args[0] !== void 0) Object.defineProperty(self, 'message', { value: r.message, writable: true, configurable: true, enumerable: false });
    if ('stack' in r) try { Object.defineProperty(self, 'stack', { value: r.stack, writable: true, configurable: true, enumerable: false }); } catch (e) {}
    if (args.length > 1 && !('cause' in r)) cause(self, args[1]);
  }
  return self;
}
superCall.t = void 0;
def('__ami_super', superCall);
/* an object literal whose methods use super: each such method (a function
 * named __ami_hN) gets its home object, and its name back */
def('__ami_home', function (o) {
  var ks = Object.getOwnPropertyNames(o);
  if (typeof Object.getOwnPropertySymbols === 'function') ks = ks.concat(Object.getOwnPropertySymbols(o));
  for (var i = 0; i < ks.length; i++) {
    var d = Object.getOwnPropertyDescriptor(o, ks[i]), fs = [d.value, d.get, d.set];
    for (var j = 0; j < 3; j++) {
      var f = fs[j];
      if (typeof f !== 'function' || !/^__ami_h[0-9]+$/.test(f.name) || Object.prototype.hasOwnProperty.call(f, '__ami_home')) continue;
      Object.defineProperty(f, '__ami_home', { value: o });
      var nm = typeof ks[i] === 'symbol' ? '[' + (ks[i].description || '') + ']' : ks[i];
      try { Object.defineProperty(f, 'name', { value: j === 0 ? nm : (j === 1 ? 'get ' : 'set ') + nm, configurable: true }); } catch (e) {}
    }
  }
  return o;
});
def('__ami_setproto', function (o, v) {
  if (v === null || typeof v === 'object' || typeof v === 'function') Object.setPrototypeOf(o, v);
});
/* super[k] = v: a setter found from proto up runs with self as this; else
 * the value lands on self (a read-only or getter-only property ignores it) */
def('__ami_sset', function (proto, k, v, self) {
  for (var o = proto; o != null; o = Object.getPrototypeOf(o)) {
    var d = Object.getOwnPropertyDescriptor(o, k);
    if (d) {
      if (d.set) { d.set.call(self, v); return v; }
      if (d.get || d.writable === false) return v;
      break;
    }
  }
  var own = Object.getOwnPropertyDescriptor(self, k);
  if (!own) Object.defineProperty(self, k, { value: v, writable: true, enumerable: true, configurable: true });
  else if (!own.get && !own.set) self[k] = v;
  return v;
});
def('__ami_sget', function (proto, k, self) {
  for (var o = proto; o != null; o = Object.getPrototypeOf(o)) {
    var d = Object.getOwnPropertyDescriptor(o, k);
    if (d) return d.get ? d.get.call(self) : d.value;
  }
  return void 0;
});
def('__ami_nonew', function (name) {
  throw new TypeError("Class constructor " + name + " cannot be invoked without 'new'");
});
def('__ami_enum', function (keys, vals) {
  var o = {};
  for (var i = 0; i < keys.length; i++) {
    o[keys[i]] = vals[i];
    if (typeof vals[i] === 'number') o[vals[i]] = keys[i];
  }
  return o;
});
def('__ami_const', function (name) { throw new TypeError('Assignment to constant variable.'); });
/* the value of a let/const/class a closure may read before its declaration ran */
def('__ami_u', function uninitialized() {});   /* a function, as every __ami_ global is */
def('__ami_tdz', function (name) { throw new ReferenceError("Cannot access '" + name + "' before initialization"); });
})((function () { return this; })());
