/* The Object, Array, String and Number polyfills, compiled as
 * `function (kit)` and loaded on first use of one of their names (the
 * prelude's loadPoly); they define themselves with kit.def. */
function (kit) {
'use strict';
var def = kit.def, values = kit.values, isObject = kit.isObject, isCallable = kit.isCallable, isArray = kit.isArray,
    toLength = kit.toLength, toInt = kit.toInt, sameValueZero = kit.sameValueZero, ITER = kit.ITER,
    objToString = kit.objToString, awaitValue = kit.awaitValue, PromiseImpl = kit.PromiseImpl, force = kit.force, G = kit.G;

/* ---- Object ---- */

def(Object, 'assign', function (target) {
    if (target === null || target === undefined) throw new TypeError('Cannot convert undefined or null to object');
    var to = Object(target);
    for (var i = 1; i < arguments.length; i++) {
        var src = arguments[i];
        if (src === null || src === undefined) continue;
        src = Object(src);
        var ks = Object.keys(src);
        for (var j = 0; j < ks.length; j++) to[ks[j]] = src[ks[j]];
    }
    return to;
});
def(Object, 'values', function (o) {
    o = Object(o);
    return Object.keys(o).map(function (k) { return o[k]; });
});
def(Object, 'entries', function (o) {
    o = Object(o);
    return Object.keys(o).map(function (k) { return [k, o[k]]; });
});
def(Object, 'fromEntries', function (it) {
    var out = {}, items = values(it);
    for (var i = 0; i < items.length; i++) {
        if (!isObject(items[i])) throw new TypeError('Iterator value ' + String(items[i]) + ' is not an entry object');
        out[items[i][0]] = items[i][1];
    }
    return out;
});

/* ---- Array ---- */

def(Array, 'from', function (items, mapFn, self) {
    if (mapFn !== undefined && !isCallable(mapFn)) throw new TypeError(String(mapFn) + ' is not a function');
    var vs;
    if (items === null || items === undefined) throw new TypeError(String(items) + ' is not iterable');
    if (typeof items === 'string' || isCallable(Object(items)[ITER])) vs = values(items);
    else {
        var o = Object(items), n = toLength(o.length);
        vs = new Array(n);
        for (var i = 0; i < n; i++) vs[i] = o[i];
    }
    if (mapFn) for (var j = 0; j < vs.length; j++) vs[j] = mapFn.call(self, vs[j], j);
    return vs;
});
def(Array, 'of', function () { return Array.prototype.slice.call(arguments); });
def(Array, 'fromAsync', function (items, mapFn, self) {
    /* an async function: each value is awaited on its own coroutine */
    return kit.asyncCall(function () {
        if (mapFn !== undefined && !isCallable(mapFn)) throw new TypeError(String(mapFn) + ' is not a function');
        var vs = Array.from(items), out = [];
        for (var i = 0; i < vs.length; i++) {
            var v = awaitValue(vs[i]);
            out.push(mapFn ? awaitValue(mapFn.call(self, v, i)) : v);
        }
        return out;
    }, undefined, []);
});
var Ap = Array.prototype;
def(Ap, 'find', function (pred, self) {
    if (!isCallable(pred)) throw new TypeError(String(pred) + ' is not a function');
    var o = Object(this), n = toLength(o.length);
    for (var i = 0; i < n; i++) if (pred.call(self, o[i], i, o)) return o[i];
    return undefined;
});
def(Ap, 'fill', function (value, start, end) {
    var o = Object(this), n = toLength(o.length);
    var k = toInt(start), last = end === undefined ? n : toInt(end);
    k = k < 0 ? Math.max(n + k, 0) : Math.min(k, n);
    last = last < 0 ? Math.max(n + last, 0) : Math.min(last, n);
    for (; k < last; k++) o[k] = value;
    return o;
});
def(Ap, 'findIndex', function (pred, self) {
    if (!isCallable(pred)) throw new TypeError(String(pred) + ' is not a function');
    var o = Object(this), n = toLength(o.length);
    for (var i = 0; i < n; i++) if (pred.call(self, o[i], i, o)) return i;
    return -1;
});
def(Ap, 'includes', function (x, from) {
    var o = Object(this), n = toLength(o.length), i = toInt(from);
    if (i < 0) i = Math.max(n + i, 0);
    for (; i < n; i++) if (sameValueZero(o[i], x)) return true;
    return false;
});
function flatInto(out, src, depth) {
    for (var i = 0; i < src.length; i++) {
        if (!(i in src)) continue;
        if (depth > 0 && isArray(src[i])) flatInto(out, src[i], depth - 1);
        else out.push(src[i]);
    }
    return out;
}
def(Ap, 'flat', function (depth) {
    var d = depth === undefined ? 1 : toInt(depth);
    return flatInto([], Object(this), d);
});
def(Ap, 'flatMap', function (fn, self) {
    if (!isCallable(fn)) throw new TypeError(String(fn) + ' is not a function');
    var o = Object(this), n = toLength(o.length), out = [];
    for (var i = 0; i < n; i++) {
        if (!(i in o)) continue;
        var r = fn.call(self, o[i], i, o);
        if (isArray(r)) flatInto(out, r, 0); else out.push(r);
    }
    return out;
});

/* ---- String ---- */

var Sproto = String.prototype;
function thisString(s, name) {
    if (s === null || s === undefined) throw new TypeError('String.prototype.' + name + ' called on null or undefined');
    return String(s);
}
def(Sproto, 'includes', function (search, pos) {
    if (objToString.call(search) === '[object RegExp]') throw new TypeError('First argument must not be a regular expression');
    return thisString(this, 'includes').indexOf(String(search), pos) !== -1;
});
def(Sproto, 'startsWith', function (search, pos) {
    var s = thisString(this, 'startsWith'), p = Math.max(0, Math.min(toInt(pos), s.length));
    search = String(search);
    return s.substr(p, search.length) === search;
});
def(Sproto, 'endsWith', function (search, end) {
    var s = thisString(this, 'endsWith'), e = end === undefined ? s.length : Math.max(0, Math.min(toInt(end), s.length));
    search = String(search);
    return e - search.length >= 0 && s.substring(e - search.length, e) === search;
});
def(Sproto, 'repeat', function (count) {
    var s = thisString(this, 'repeat'), n = toInt(count), out = '';
    if (n < 0 || n === Infinity) throw new RangeError('Invalid count value: ' + count);
    while (n > 0) { if (n & 1) out += s; n >>>= 1; s += s; }
    return out;
});
function pad(s, len, fill, atStart) {
    len = toLength(len);
    fill = fill === undefined ? ' ' : String(fill);
    if (len <= s.length || fill === '') return s;
    var need = len - s.length, p = '';
    while (p.length < need) p += fill;
    p = p.slice(0, need);
    return atStart ? p + s : s + p;
}
def(Sproto, 'padStart', function (len, fill) { return pad(thisString(this, 'padStart'), len, fill, true); });
def(Sproto, 'padEnd', function (len, fill) { return pad(thisString(this, 'padEnd'), len, fill, false); });
def(Sproto, 'trimStart', function () { return thisString(this, 'trimStart').replace(/^[\s\uFEFF\xA0]+/, ''); });
def(Sproto, 'trimEnd', function () { return thisString(this, 'trimEnd').replace(/[\s\uFEFF\xA0]+$/, ''); });

/* ---- Number ---- */

def(Number, 'isFinite', function (v) { return typeof v === 'number' && isFinite(v); });
def(Number, 'isInteger', function (v) { return typeof v === 'number' && isFinite(v) && Math.floor(v) === v; });
def(Number, 'parseFloat', parseFloat);

/* ---- ES2022 additions ---- */

function relIndex(o, index) {
    var n = toLength(o.length), k = toInt(index);
    k = k < 0 ? n + k : k;
    return k < 0 || k >= n ? -1 : k;
}
def(Ap, 'at', function (index) {
    var o = Object(this), k = relIndex(o, index);
    return k < 0 ? undefined : o[k];
});
def(Ap, 'values', function () { return kit.arrayIterator(Object(this), 0); });
def(Ap, 'keys', function () { return kit.arrayIterator(Object(this), 1); });
def(Ap, 'entries', function () { return kit.arrayIterator(Object(this), 2); });
def(Ap, 'findLast', function (pred, self) {
    if (!isCallable(pred)) throw new TypeError(String(pred) + ' is not a function');
    var o = Object(this);
    for (var i = toLength(o.length) - 1; i >= 0; i--) if (pred.call(self, o[i], i, o)) return o[i];
    return undefined;
});
def(Ap, 'findLastIndex', function (pred, self) {
    if (!isCallable(pred)) throw new TypeError(String(pred) + ' is not a function');
    var o = Object(this);
    for (var i = toLength(o.length) - 1; i >= 0; i--) if (pred.call(self, o[i], i, o)) return i;
    return -1;
});
def(Sproto, 'at', function (index) {
    var s = thisString(this, 'at'), k = relIndex(s, index);
    return k < 0 ? undefined : s.charAt(k);
});
function isRegExp(x) { return objToString.call(x) === '[object RegExp]'; }
function escapeRegExp(s) { return s.replace(/[\\^$.*+?()[\]{}|\/]/g, '\\$&'); }
def(Sproto, 'replaceAll', function (search, replacement) {
    var s = thisString(this, 'replaceAll');
    if (isRegExp(search)) {
        if (!search.global) throw new TypeError('replaceAll must be called with a global RegExp');
        return s.replace(search, replacement);
    }
    search = String(search);
    if (!isCallable(replacement)) replacement = String(replacement);
    if (search === '') {
        var out = '', i;
        for (i = 0; i <= s.length; i++) {
            out += isCallable(replacement) ? String(replacement(search, i, s)) : replacement.replace(/\$\$/g, '$');
            if (i < s.length) out += s.charAt(i);
        }
        return out;
    }
    return s.replace(new NativeRegExp(escapeRegExp(search), 'g'), replacement);
});
def(Sproto, 'matchAll', function (re) {
    var s = thisString(this, 'matchAll'), rx;
    if (isRegExp(re)) {
        if (!re.global) throw new TypeError('String.prototype.matchAll called with a non-global RegExp argument');
        rx = new RegExpImpl(re, re.flags);
        rx.lastIndex = re.lastIndex;
    } else {
        rx = new RegExpImpl(re === undefined ? '(?:)' : String(re), 'g');
    }
    var done = false, it = {
        next: function () {
            if (done) return { value: undefined, done: true };
            var m = rx.exec(s);
            if (m === null) { done = true; return { value: undefined, done: true }; }
            if (m[0] === '') rx.lastIndex++;
            return { value: m, done: false };
        }
    };
    it[ITER] = function () { return this; };
    return it;
});
/* ---- regular expressions beyond ES5 (lib/runtime/lower/regex.c rewrites the
 * literal; this gives the result what the rewrite cannot): named groups as
 * .groups on exec/match/matchAll results, $<name> in replace strings and the
 * groups argument of replacer functions; the s/u/y flags' properties; y as a
 * global regexp whose match must start at lastIndex (exec, test). */
var NativeRegExp = kit.NativeRegExp, reProto = NativeRegExp.prototype, reExec = reProto.exec, reTest = reProto.test,
    reSource = Object.getOwnPropertyDescriptor(reProto, 'source').get, sMatch = Sproto.match,
    sReplace = Sproto.replace, sSearch = Sproto.search, sSplit = Sproto.split, rePatched = false;
function reInfo(re) { return re !== null && typeof re === 'object' ? re.__ami_rx : undefined; }
function addGroups(m, names) {
    if (m === null || !names.length) return m;
    var g = Object.create(null);
    for (var i = 0; i < names.length; i += 2) g[names[i]] = m[names[i + 1]];
    m.groups = g;
    return m;
}
function stickyOnly(re, what) {
    var info = reInfo(re);
    if (info && info.y) throw new TypeError('String.prototype.' + what + ' with a sticky (y) regular expression is not supported; use exec() or test()');
    return info;
}
/* Leading lookbehinds (regex.c keeps them out of the pattern Duktape runs):
 * a match of the rest at i counts when each lookbehind's content matches a
 * text that ends at i (or, negative, none does). */
function twinOf(re, info) {
    return info.twin || (info.twin = new NativeRegExp(reSource.call(re), 'g' + (re.ignoreCase ? 'i' : '') + (re.multiline ? 'm' : '')));
}
/* Duktape's search and split build a copy from source and flags, which show
 * what was written: they get this copy of the rewritten pattern instead */
function plainOf(re, info) {
    return info.plain || (info.plain = new NativeRegExp(reSource.call(re), (re.ignoreCase ? 'i' : '') + (re.multiline ? 'm' : '')));
}
function advance(s, i, u) {
    var c = s.charCodeAt(i);
    return u && c >= 0xD800 && c <= 0xDBFF && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xFC00) === 0xDC00 ? i + 2 : i + 1;
}
function lbHolds(info, s, i) {
    for (var k = 0; k < info.lb.length; k++) {
        var x = info.lb[k];
        if (reTest.call(x.re, s.slice(x.max < 0 ? 0 : Math.max(0, i - x.max), i)) === x.neg) return false;
    }
    return true;
}
/* the first match at from or after it (sticky: only at from), with .groups */
function lbSearch(re, info, s, from, sticky) {
    var tw = twinOf(re, info);
    for (;;) {
        if (from > s.length) return null;
        tw.lastIndex = from;
        var m = reExec.call(tw, s);
        if (m === null || (sticky && m.index !== from)) return null;
        if (lbHolds(info, s, m.index)) return addGroups(m, info.names);
        if (sticky) return null;
        from = advance(s, m.index, info.u);
    }
}
function lbAll(re, info, s, global) {
    var all = [], from = 0, m;
    while ((m = lbSearch(re, info, s, from, false)) !== null) {
        all.push(m);
        if (!global) break;
        from = m[0].length ? m.index + m[0].length : advance(s, m.index, info.u);
    }
    return all;
}
/* the replacement text for match m of s ($$, $&, $`, $', $1..$99, $<name>) */
function substitute(rep, m, s, hasNames) {
    var out = '', i = 0, n = m.length - 1;
    while (i < rep.length) {
        var c = rep.charAt(i), d = rep.charAt(i + 1);
        if (c !== '$' || i + 1 >= rep.length) { out += c; i++; continue; }
        if (d === '$') { out += '$'; i += 2; continue; }
        if (d === '&') { out += m[0]; i += 2; continue; }
        if (d === '`') { out += s.slice(0, m.index); i += 2; continue; }
        if (d === "'") { out += s.slice(m.index + m[0].length); i += 2; continue; }
        if (d >= '0' && d <= '9') {
            var two = rep.charAt(i + 2), k2 = Number(d + two), k1 = Number(d);
            if (two >= '0' && two <= '9' && k2 >= 1 && k2 <= n) { out += m[k2] === undefined ? '' : m[k2]; i += 3; continue; }
            if (k1 >= 1 && k1 <= n) { out += m[k1] === undefined ? '' : m[k1]; i += 2; continue; }
        }
        if (d === '<' && hasNames) {
            var end = rep.indexOf('>', i + 2);
            if (end >= 0) {
                var v = m.groups[rep.slice(i + 2, end)];
                out += v === undefined ? '' : v;
                i = end + 1;
                continue;
            }
        }
        out += c;
        i++;
    }
    return out;
}
function lbReplace(re, info, s, rep) {
    var all = lbAll(re, info, s, re.global), out = '', last = 0, fn = isCallable(rep) ? rep : null;
    if (!fn) rep = String(rep);
    for (var k = 0; k < all.length; k++) {
        var m = all[k], r;
        if (fn) {
            var a = Array.prototype.slice.call(m);
            a.push(m.index, s);
            if (info.names.length) a.push(m.groups);
            r = String(fn.apply(undefined, a));
        } else r = substitute(rep, m, s, info.names.length > 0);
        out += s.slice(last, m.index) + r;
        last = m.index + m[0].length;
    }
    if (re.global) re.lastIndex = 0;
    return out + s.slice(last);
}
function lbSplit(re, info, s, limit) {
    var out = [], lim = limit === undefined ? 4294967295 : limit >>> 0, p = 0, q = 0, m;
    if (lim === 0) return out;
    if (s.length === 0) return lbSearch(re, info, s, 0, true) ? out : [s];
    while (q < s.length) {
        m = lbSearch(re, info, s, q, false);
        if (m === null || m.index >= s.length) break;
        var e = Math.min(m.index + m[0].length, s.length);
        if (e === p) { q = advance(s, m.index, info.u); continue; }
        out.push(s.slice(p, m.index));
        if (out.length === lim) return out;
        for (var i = 1; i < m.length; i++) {
            out.push(m[i]);
            if (out.length === lim) return out;
        }
        p = q = e;
    }
    out.push(s.slice(p));
    return out;
}
function patchRegExp() {
    rePatched = true;
    force(reProto, 'exec', function (s) {
        var info = reInfo(this);
        if (!info) return reExec.call(this, s);
        var m;
        if (info.lb) {
            var glob = this.global || info.y;
            s = String(s);
            m = lbSearch(this, info, s, glob ? toLength(this.lastIndex) : 0, info.y);
            if (glob) this.lastIndex = m === null ? 0 : m.index + m[0].length;
            return m;
        }
        if (info.y) {
            /* a global twin finds the next match from lastIndex; sticky keeps it only there */
            var at = this.lastIndex, tw = twinOf(this, info);
            tw.lastIndex = at;
            m = reExec.call(tw, s);
            if (m !== null && m.index !== at) m = null;
            this.lastIndex = m === null ? 0 : tw.lastIndex;
        } else m = reExec.call(this, s);
        return addGroups(m, info.names);
    });
    force(reProto, 'test', function (s) {
        return reInfo(this) ? this.exec(s) !== null : reTest.call(this, s);
    });
    force(Sproto, 'match', function (re) {
        var info = stickyOnly(re, 'match');
        if (info && !re.global) { re.lastIndex = 0; return re.exec(String(this)); }
        if (info && info.lb) {
            var all = lbAll(re, info, String(this), true);
            re.lastIndex = 0;
            return all.length ? all.map(function (m) { return m[0]; }) : null;
        }
        return sMatch.apply(this, arguments);
    });
    force(Sproto, 'search', function (re) {
        var info = stickyOnly(re, 'search');
        if (info && info.lb) { var m = lbSearch(re, info, String(this), 0, false); return m === null ? -1 : m.index; }
        return sSearch.call(this, info ? plainOf(re, info) : re);
    });
    force(Sproto, 'split', function (re, limit) {
        var info = stickyOnly(re, 'split');
        if (info && info.lb) return lbSplit(re, info, String(this), limit);

        if (info) return sSplit.call(this, plainOf(re, info), limit);
        return sSplit.apply(this, arguments);
    });
    force(Sproto, 'replace', function (re, rep) {
        var info = stickyOnly(re, 'replace');
        if (info && info.lb) return lbReplace(re, info, String(this), rep);
        if (!info || !info.names.length) return sReplace.apply(this, arguments);
        var names = info.names;
        if (isCallable(rep)) {
            var fn = rep;
            return sReplace.call(this, re, function () {
                var a = Array.prototype.slice.call(arguments), g = Object.create(null);
                for (var i = 0; i < names.length; i += 2) g[names[i]] = a[names[i + 1]];
                a.push(g);
                return fn.apply(undefined, a);
            });
        }
        rep = String(rep);
        var out = '', i = 0;
        while (i < rep.length) {
            var c = rep.charAt(i);
            if (c === '$' && rep.charAt(i + 1) === '$') { out += '$$'; i += 2; continue; }
            if (c === '$' && rep.charAt(i + 1) === '<') {
                var end = rep.indexOf('>', i + 2);
                if (end >= 0) {
                    var name = rep.slice(i + 2, end), k;
                    for (k = 0; k < names.length; k += 2) if (names[k] === name) break;
                    if (k < names.length) out += '$' + (names[k + 1] < 10 ? '0' : '') + names[k + 1];
                    i = end + 1;
                    continue;
                }
            }
            out += c;
            i++;
        }
        return sReplace.call(this, re, out);
    });
}
/* a regexp that __ami_re or RegExpImpl rewrote: flags holds s/u/y, source
 * (optional) the pattern as written, lb (optional) its leading lookbehinds; own source and flags properties show
 * them as Node does (Duktape's are accessors of RegExp.prototype) */
function markRegExp(re, names, flags, source, lb) {
    if (!rePatched) patchRegExp();
    if (re === undefined) return;   /* __ami_re(): the patches alone (lowered scripts call it first) */
    var info = { names: names, y: flags.indexOf('y') >= 0, u: flags.indexOf('u') >= 0, twin: null, lb: null };
    if (lb) {
        /* [negative, content, longest, ...]: content matched so that it ends where the text ends */
        info.lb = [];
        for (var k = 0; k < lb.length; k += 3)
            info.lb.push({ neg: !!lb[k], max: lb[k + 2],
                           re: new NativeRegExp('(?:' + lb[k + 1] + ')(?![\\s\\S])', (re.ignoreCase ? 'i' : '') + (re.multiline ? 'm' : '')) });
    }
    Object.defineProperty(re, '__ami_rx', { value: info });
    if (flags.indexOf('s') >= 0) Object.defineProperty(re, 'dotAll', { value: true });
    if (flags.indexOf('u') >= 0) Object.defineProperty(re, 'unicode', { value: true });
    if (info.y) Object.defineProperty(re, 'sticky', { value: true });
    if (source !== undefined) Object.defineProperty(re, 'source', { value: source });
    Object.defineProperty(re, 'flags', { value: (re.global ? 'g' : '') + (re.ignoreCase ? 'i' : '') + (re.multiline ? 'm' : '') +
                                                (flags.indexOf('s') >= 0 ? 's' : '') + (flags.indexOf('u') >= 0 ? 'u' : '') +
                                                (info.y ? 'y' : '') });
    return re;
}
force(G, '__ami_re', markRegExp);
/* RegExp(pattern, flags): Duktape's constructor behind the lowering's checks
 * and rewriting (host.regex), so a pattern built at run time behaves as a
 * literal with the same text; a regexp as pattern is copied (its source and,
 * unless given, its flags) */
function RegExpImpl(pattern, flags) {
    var isRe = objToString.call(pattern) === '[object RegExp]';
    if (!(this instanceof RegExpImpl) && isRe && flags === undefined && pattern.constructor === RegExpImpl) return pattern;
    var src, fl;
    if (isRe) {
        src = pattern.source;
        fl = flags === undefined ? pattern.flags : String(flags);
    } else {
        src = pattern === undefined ? '' : String(pattern);
        fl = flags === undefined ? '' : String(flags);
    }
    var p = kit.regex(src, fl);
    if (p === null) return new NativeRegExp(src, fl);
    return markRegExp(new NativeRegExp(p[0], p[1]), p[2], p[3], p[4], p[5]);
}
RegExpImpl.prototype = reProto;
force(reProto, 'constructor', RegExpImpl);
try { Object.defineProperty(RegExpImpl, 'name', { value: 'RegExp' }); } catch (e) { /* left as it is */ }
force(G, 'RegExp', RegExpImpl);

def(Object, 'hasOwn', function (o, k) {
    if (o === null || o === undefined) throw new TypeError('Cannot convert undefined or null to object');
    return Object.prototype.hasOwnProperty.call(Object(o), k);
});
def(PromiseImpl, 'withResolvers', function () {
    var r = {};
    r.promise = new PromiseImpl(function (res, rej) { r.resolve = res; r.reject = rej; });
    return r;
});

/* WeakMap / WeakSet: the value lives in a hidden (non-enumerable) property of
 * the key object, so an entry goes when its key is collected; keys that cannot
 * take a property (frozen, sealed) are kept in a list and held strongly. */
var weakSeq = 0;
function checkWeakKey(k, what) {
    if (!isObject(k)) throw new TypeError('Invalid value used ' + what);
}
function WeakMapImpl(init) {
    if (!(this instanceof WeakMapImpl)) throw new TypeError("Constructor WeakMap requires 'new'");
    Object.defineProperty(this, '__ami_wk', { value: '__ami_wk' + (++weakSeq) + '_' + Math.random().toString(36).slice(2), enumerable: false });
    Object.defineProperty(this, '__ami_wl', { value: [], enumerable: false });
    if (init !== undefined && init !== null) {
        var items = values(init);
        for (var i = 0; i < items.length; i++) this.set(items[i][0], items[i][1]);
    }
}
function weakFind(m, k) {
    var l = m.__ami_wl;
    for (var i = 0; i < l.length; i += 2) if (l[i] === k) return i;
    return -1;
}
def(WeakMapImpl.prototype, 'get', function (k) {
    if (!isObject(k)) return undefined;
    if (Object.prototype.hasOwnProperty.call(k, this.__ami_wk)) return k[this.__ami_wk];
    var i = weakFind(this, k);
    return i < 0 ? undefined : this.__ami_wl[i + 1];
});
def(WeakMapImpl.prototype, 'has', function (k) {
    if (!isObject(k)) return false;
    return Object.prototype.hasOwnProperty.call(k, this.__ami_wk) || weakFind(this, k) >= 0;
});
def(WeakMapImpl.prototype, 'set', function (k, v) {
    checkWeakKey(k, 'as weak map key');
    if (Object.prototype.hasOwnProperty.call(k, this.__ami_wk)) { k[this.__ami_wk] = v; return this; }
    if (Object.isExtensible(k)) {
        Object.defineProperty(k, this.__ami_wk, { value: v, writable: true, configurable: true, enumerable: false });
        return this;
    }
    var i = weakFind(this, k);
    if (i >= 0) this.__ami_wl[i + 1] = v; else this.__ami_wl.push(k, v);
    return this;
});
def(WeakMapImpl.prototype, 'delete', function (k) {
    if (!isObject(k)) return false;
    if (Object.prototype.hasOwnProperty.call(k, this.__ami_wk)) return delete k[this.__ami_wk];
    var i = weakFind(this, k);
    if (i < 0) return false;
    this.__ami_wl.splice(i, 2);
    return true;
});
function WeakSetImpl(init) {
    if (!(this instanceof WeakSetImpl)) throw new TypeError("Constructor WeakSet requires 'new'");
    Object.defineProperty(this, '__ami_m', { value: new WeakMapImpl(), enumerable: false });
    if (init !== undefined && init !== null) {
        var items = values(init);
        for (var i = 0; i < items.length; i++) this.add(items[i]);
    }
}
def(WeakSetImpl.prototype, 'add', function (v) { checkWeakKey(v, 'in weak set'); this.__ami_m.set(v, true); return this; });
def(WeakSetImpl.prototype, 'has', function (v) { return this.__ami_m.has(v); });
def(WeakSetImpl.prototype, 'delete', function (v) { return this.__ami_m['delete'](v); });
if (ITER !== '@@iterator' && typeof Symbol === 'function' && Symbol.toStringTag) {
    def(WeakMapImpl.prototype, Symbol.toStringTag, 'WeakMap');
    def(WeakSetImpl.prototype, Symbol.toStringTag, 'WeakSet');
}
def(kit.G, 'WeakMap', WeakMapImpl);
def(kit.G, 'WeakSet', WeakSetImpl);

}
