/* The web globals (docs/design.md §11), compiled as `function (kit)` and loaded on
 * first use of any of them (the prelude's webNames accessors): URL,
 * URLSearchParams, TextEncoder, TextDecoder, atob, btoa, structuredClone,
 * performance, crypto, console, DOMException, Event, EventTarget,
 * AbortController, AbortSignal, Headers, Request, Response, fetch, WebSocket.
 * Natives: kit.W (lib/runtime/web/*.c).  Returns { name: value } of the
 * globals to install. */
function (kit) {
'use strict';
var force = kit.force, W = kit.W, G = kit.G, PromiseImpl = kit.PromiseImpl, ITER = kit.ITER;
var isObject = kit.isObject, isCallable = kit.isCallable, values = kit.values;
var hide = W.hide;   /* a hidden own property (force without a descriptor object) */
var out = {};

function getter(obj, name, get, set) {
    Object.defineProperty(obj, name, { get: get, set: set, configurable: true, enumerable: false });
}
function methods(proto, fns) {
    for (var k in fns) if (Object.prototype.hasOwnProperty.call(fns, k)) force(proto, k, fns[k]);
}
function iterOf(list, kind) {
    var i = 0;
    var it = { next: function () {
        if (i >= list.length) return { value: undefined, done: true };
        var e = list[i++];
        return { value: kind === 0 ? e[0] : kind === 1 ? e[1] : [e[0], e[1]], done: false };
    } };
    it[ITER] = function () { return this; };
    return it;
}

/* ---- DOMException, Event, EventTarget ---- */

var domCodes = { IndexSizeError: 1, NotFoundError: 8, NotSupportedError: 9, InvalidStateError: 11, SyntaxError: 12,
                 InvalidAccessError: 15, TypeMismatchError: 17, SecurityError: 18, NetworkError: 19, AbortError: 20,
                 QuotaExceededError: 22, TimeoutError: 23, InvalidCharacterError: 5, DataCloneError: 25 };
function DOMException(message, name) {
    if (!(this instanceof DOMException)) throw new TypeError("Failed to construct 'DOMException': use 'new'");
    var e = new Error(message === undefined ? '' : String(message));
    force(this, 'message', e.message);
    force(this, 'name', name === undefined ? 'Error' : String(name));
    force(this, 'code', domCodes[this.name] || 0);
    force(this, 'stack', e.stack);
}
DOMException.prototype = Object.create(Error.prototype);
force(DOMException.prototype, 'constructor', DOMException);
out.DOMException = DOMException;
function domError(name, message) { return new DOMException(message, name); }

function Event(type, init) {
    if (arguments.length < 1) throw new TypeError("Failed to construct 'Event': 1 argument required");
    this.type = String(type);
    this.target = null;
    this.currentTarget = null;
    this.defaultPrevented = false;
    this.cancelable = !!(init && init.cancelable);
    this.timeStamp = W.now();
}
methods(Event.prototype, {
    preventDefault: function () { if (this.cancelable) this.defaultPrevented = true; },
    stopPropagation: function () {},
    stopImmediatePropagation: function () { this._stop = true; }
});
out.Event = Event;

function EventTarget() { force(this, '_ls', {}); }
/* the on<type> attribute of a target: a listener in the list from the first time it is set */
function handlerProp(proto, type) {
    getter(proto, 'on' + type, function () { return this['_on' + type] || null; }, function (fn) {
        if (!this.hasOwnProperty('_on' + type)) {
            var self = this;
            force(this, '_on' + type, null);
            this.addEventListener(type, function (ev) { var h = self['_on' + type]; if (isCallable(h)) return h.call(self, ev); });
        }
        this['_on' + type] = isCallable(fn) ? fn : null;
    });
}
methods(EventTarget.prototype, {
    addEventListener: function (type, fn, opts) {
        if (fn === null || fn === undefined) return;
        var ls = this._ls[type] || (this._ls[type] = []);
        for (var i = 0; i < ls.length; i++) if (ls[i].fn === fn) return;
        ls.push({ fn: fn, once: !!(opts && typeof opts === 'object' && opts.once) });
    },
    removeEventListener: function (type, fn) {
        var ls = this._ls[type];
        if (!ls) return;
        for (var i = 0; i < ls.length; i++) if (ls[i].fn === fn) { ls.splice(i, 1); return; }
    },
    dispatchEvent: function (ev) {
        try { ev.target = this; ev.currentTarget = this; } catch (e) {}
        var ls = (this._ls[ev.type] || []).slice();
        for (var i = 0; i < ls.length && !ev._stop; i++) {
            if (ls[i].once) this.removeEventListener(ev.type, ls[i].fn);
            callListener(this, ls[i].fn, ev);
        }
        return !ev.defaultPrevented;
    }
});
function callListener(target, fn, ev) {
    try {
        if (isCallable(fn)) fn.call(target, ev);
        else if (fn && isCallable(fn.handleEvent)) fn.handleEvent(ev);
    } catch (e) {
        kit.logError('Uncaught (in event listener "' + ev.type + '")', e);
    }
}
out.EventTarget = EventTarget;
function subclass(C, Base) {
    C.prototype = Object.create(Base.prototype);
    force(C.prototype, 'constructor', C);
}

/* ---- TextEncoder / TextDecoder ---- */

function TextEncoder() {}
getter(TextEncoder.prototype, 'encoding', function () { return 'utf-8'; });
methods(TextEncoder.prototype, {
    encode: function (s) { return W.utf8Encode(s === undefined ? '' : String(s)); },
    encodeInto: function (s, dest) {
        var b = W.utf8Encode(String(s)), n = Math.min(b.length, dest.length);
        while (n > 0 && n < b.length && (b[n] & 0xC0) === 0x80) n--;   /* whole characters only */
        for (var i = 0; i < n; i++) dest[i] = b[i];
        return { read: W.utf8Decode(b.subarray(0, n), false, true).length, written: n };
    }
});
out.TextEncoder = TextEncoder;

function TextDecoder(label, opts) {
    var l = label === undefined ? 'utf-8' : String(label).replace(/^\s+|\s+$/g, '').toLowerCase();
    if (l !== 'utf-8' && l !== 'utf8' && l !== 'unicode-1-1-utf-8')
        throw new RangeError("The encoding label provided ('" + String(label) + "') is invalid or unsupported (only utf-8)");
    force(this, '_fatal', !!(opts && opts.fatal));
    force(this, '_bom', !!(opts && opts.ignoreBOM));
}
getter(TextDecoder.prototype, 'encoding', function () { return 'utf-8'; });
getter(TextDecoder.prototype, 'fatal', function () { return this._fatal; });
getter(TextDecoder.prototype, 'ignoreBOM', function () { return this._bom; });
methods(TextDecoder.prototype, {
    decode: function (input) {
        if (input === undefined || input === null) return '';
        return W.utf8Decode(toBytes(input, 'TextDecoder.decode'), this._fatal, this._bom);
    }
});
out.TextDecoder = TextDecoder;

function isBufferLike(x) {
    return x instanceof ArrayBuffer || (typeof ArrayBuffer.isView === 'function' && ArrayBuffer.isView(x));
}
/* A Uint8Array over the bytes of an ArrayBuffer or a view (no copy). */
function toBytes(x, what) {
    if (x instanceof Uint8Array) return x;
    if (x instanceof ArrayBuffer) return new Uint8Array(x);
    if (isBufferLike(x)) return new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
    throw new TypeError(what + ': expected an ArrayBuffer or an ArrayBufferView');
}
function copyBuffer(u8) {   /* a fresh ArrayBuffer with the bytes */
    var c = new Uint8Array(u8.length);
    c.set(u8);
    return c.buffer;
}

/* ---- atob / btoa ---- */

out.btoa = function btoa(s) {
    if (arguments.length < 1) throw new TypeError('btoa: 1 argument required');
    var r = W.btoa(String(s));
    if (r === null) throw domError('InvalidCharacterError', 'btoa: the string contains characters outside of the Latin1 range');
    return r;
};
out.atob = function atob(s) {
    if (arguments.length < 1) throw new TypeError('atob: 1 argument required');
    var r = W.atob(String(s));
    if (r === null) throw domError('InvalidCharacterError', 'atob: the string to be decoded is not correctly encoded');
    return r;
};

/* ---- structuredClone ---- */

out.structuredClone = function structuredClone(value) {
    var from = [], to = [];
    function clone(v) {
        if (typeof v === 'function') throw domError('DataCloneError', String(v).slice(0, 40) + ' could not be cloned');
        if (typeof v === 'symbol') throw domError('DataCloneError', v.toString() + ' could not be cloned');
        if (!isObject(v)) return v;
        var i = from.indexOf(v);
        if (i >= 0) return to[i];
        var c, k, tag = Object.prototype.toString.call(v);
        if (tag === '[object Date]') c = new Date(v.getTime());
        else if (tag === '[object RegExp]') c = new RegExp(v.source, v.flags !== undefined ? v.flags : (v.global ? 'g' : '') + (v.ignoreCase ? 'i' : '') + (v.multiline ? 'm' : ''));
        else if (tag === '[object Boolean]') c = new Boolean(v.valueOf());
        else if (tag === '[object Number]') c = new Number(v.valueOf());
        else if (tag === '[object String]') c = new String(v.valueOf());
        else if (v instanceof ArrayBuffer) c = copyBuffer(new Uint8Array(v));
        else if (isBufferLike(v)) {
            var b = clone(v.buffer);
            c = v instanceof DataView ? new DataView(b, v.byteOffset, v.byteLength) : new v.constructor(b, v.byteOffset, v.length);
        } else if (v instanceof Error || tag === '[object Error]') {
            var E = { EvalError: EvalError, RangeError: RangeError, ReferenceError: ReferenceError, SyntaxError: SyntaxError,
                      TypeError: TypeError, URIError: URIError }[v.name] || Error;
            c = new E(v.message);
            if (v.stack !== undefined) force(c, 'stack', String(v.stack));
        }
        if (c !== undefined) { from.push(v); to.push(c); return c; }
        if (G.Map && v instanceof G.Map) {
            c = new G.Map(); from.push(v); to.push(c);
            v.forEach(function (val, key) { c.set(clone(key), clone(val)); });
            return c;
        }
        if (G.Set && v instanceof G.Set) {
            c = new G.Set(); from.push(v); to.push(c);
            v.forEach(function (val) { c.add(clone(val)); });
            return c;
        }
        if (v instanceof PromiseImpl || v instanceof EventTarget || v instanceof WeakMapType())
            throw domError('DataCloneError', tag + ' could not be cloned');
        c = Array.isArray(v) ? new Array(v.length) : {};
        from.push(v); to.push(c);
        var keys = Object.keys(v);
        for (i = 0; i < keys.length; i++) { k = keys[i]; c[k] = clone(v[k]); }
        return c;
    }
    if (arguments.length < 1) throw new TypeError('structuredClone: 1 argument required');
    return clone(value);
};
function WeakMapType() { return typeof WeakMap === 'function' ? WeakMap : function () {}; }

/* ---- performance ---- */

var timeOrigin = Date.now() - W.now();
var performance = {};
force(performance, 'now', function () { return W.now(); });
force(performance, 'timeOrigin', timeOrigin);
force(performance, 'toJSON', function () { return { timeOrigin: timeOrigin }; });
out.performance = performance;

/* ---- crypto ---- */

var digests = { 'SHA-1': 1, 'SHA-256': 1, 'SHA-384': 1, 'SHA-512': 1 };
function algName(a, what) {
    var n = typeof a === 'string' ? a : isObject(a) ? a.name : undefined;
    if (typeof n !== 'string') throw new TypeError(what + ': algorithm must be a string or an object with a name');
    var u = n.toUpperCase();
    if (u === 'SHA1') u = 'SHA-1';
    else if (/^SHA(256|384|512)$/.test(u)) u = 'SHA-' + u.slice(3);
    return u;
}
function promised(fn) {
    return function () {
        try { return PromiseImpl.resolve(fn.apply(this, arguments)); }
        catch (e) { return PromiseImpl.reject(e); }
    };
}
function CryptoKey() { throw new TypeError('Illegal constructor'); }
var subtle = {};
force(subtle, 'digest', promised(function (alg, data) {
    var n = algName(alg, 'digest');
    if (!digests[n]) throw domError('NotSupportedError', 'Unrecognized algorithm name');
    return W.digest(n, toBytes(data, 'digest')).buffer;
}));
force(subtle, 'importKey', promised(function (format, keyData, alg, extractable, usages) {
    if (format !== 'raw') throw domError('NotSupportedError', "importKey: only the 'raw' format is supported");
    if (algName(alg, 'importKey') !== 'HMAC') throw domError('NotSupportedError', 'importKey: only HMAC keys are supported');
    var hash = algName(alg.hash, 'importKey: hash');
    if (!digests[hash]) throw domError('NotSupportedError', 'importKey: unknown hash ' + hash);
    var raw = new Uint8Array(toBytes(keyData, 'importKey'));
    var k = Object.create(CryptoKey.prototype);
    force(k, '_raw', raw);
    force(k, 'type', 'secret');
    force(k, 'extractable', !!extractable);
    force(k, 'algorithm', { name: 'HMAC', hash: { name: hash }, length: raw.length * 8 });
    force(k, 'usages', Array.isArray(usages) ? usages.slice() : []);
    return k;
}));
function hmacKey(alg, key, usage) {
    if (algName(alg, usage) !== 'HMAC') throw domError('NotSupportedError', usage + ': only HMAC is supported');
    if (!(key instanceof CryptoKey)) throw new TypeError(usage + ': key is not a CryptoKey');
    if (key.usages.indexOf(usage) < 0) throw domError('InvalidAccessError', 'key usages do not permit this operation (' + usage + ')');
    return key;
}
force(subtle, 'sign', promised(function (alg, key, data) {
    var k = hmacKey(alg, key, 'sign');
    return W.hmac(k.algorithm.hash.name, k._raw, toBytes(data, 'sign')).buffer;
}));
force(subtle, 'verify', promised(function (alg, key, sig, data) {
    var k = hmacKey(alg, key, 'verify');
    return W.equal(W.hmac(k.algorithm.hash.name, k._raw, toBytes(data, 'verify')), toBytes(sig, 'verify'));
}));
force(subtle, 'exportKey', promised(function (format, key) {
    if (format !== 'raw') throw domError('NotSupportedError', "exportKey: only the 'raw' format is supported");
    if (!(key instanceof CryptoKey)) throw new TypeError('exportKey: key is not a CryptoKey');
    if (!key.extractable) throw domError('InvalidAccessError', 'key is not extractable');
    return copyBuffer(key._raw);
}));
var crypto = {};
force(crypto, 'subtle', subtle);
force(crypto, 'randomUUID', function () { return W.uuid(); });
force(crypto, 'getRandomValues', function (ta) {
    if (!isBufferLike(ta) || ta instanceof DataView || ta instanceof ArrayBuffer ||
        (typeof Float32Array === 'function' && (ta instanceof Float32Array || ta instanceof Float64Array)))
        throw domError('TypeMismatchError', 'getRandomValues: the argument must be an integer typed array');
    if (ta.byteLength > 65536)
        throw domError('QuotaExceededError', "getRandomValues: the ArrayBufferView's byte length (" + ta.byteLength + ') exceeds 65536');
    W.random(ta);
    return ta;
});
out.crypto = crypto;
out.CryptoKey = CryptoKey;

/* ---- console: the worker's log, like logger ---- */

var console = {}, counts = {}, timers = {};
force(console, 'log', kit.logAt(1));
force(console, 'info', kit.logAt(1));
force(console, 'debug', kit.logAt(0));
force(console, 'trace', kit.logAt(0));
force(console, 'warn', kit.logAt(2));
force(console, 'error', kit.logAt(3));
force(console, 'dir', function (v) { console.log(v); });
force(console, 'assert', function (cond) {
    if (cond) return;
    var a = Array.prototype.slice.call(arguments, 1);
    a.unshift('Assertion failed' + (a.length ? ':' : ''));
    console.error.apply(null, a);
});
force(console, 'count', function (label) {
    label = label === undefined ? 'default' : String(label);
    counts[label] = (counts[label] || 0) + 1;
    console.info(label + ': ' + counts[label]);
});
force(console, 'time', function (label) { timers[label === undefined ? 'default' : String(label)] = W.now(); });
force(console, 'timeEnd', function (label) {
    label = label === undefined ? 'default' : String(label);
    if (timers[label] === undefined) return;
    console.info(label + ': ' + (W.now() - timers[label]).toFixed(3) + 'ms');
    delete timers[label];
});
out.console = console;

/* ---- URL and URLSearchParams (WHATWG URL, the parts workers use) ---- */

var special = { 'ftp:': 21, 'file:': 0, 'http:': 80, 'https:': 443, 'ws:': 80, 'wss:': 443 };
function invalidUrl(input) { return new TypeError('Invalid URL: ' + String(input)); }

var PLAIN = /^[A-Za-z0-9\-._~!$&'()*+,;=:@\/?%]*$/;   /* needs no encoding in any of the sets below */
function pctEncode(s, keep) {
    if (PLAIN.test(s)) {
        for (var k = 0; k < keep.length; k++) if (s.indexOf(keep.charAt(k)) >= 0) break;
        if (k === keep.length) return s;
    }
    var r = '', i, c;
    for (i = 0; i < s.length; i++) {
        c = s.charCodeAt(i);
        if (c > 0x20 && c < 0x7f && keep.indexOf(s.charAt(i)) < 0) { r += s.charAt(i); continue; }
        if (c < 0x80 && c > 0x20 && c !== 0x7f) { r += pctByte(c); continue; }
        if (c < 0x80) { r += pctByte(c); continue; }
        var end = i + 1;
        if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) end = i + 2;
        var b = W.utf8Encode(s.slice(i, end));
        for (var j = 0; j < b.length; j++) r += pctByte(b[j]);
        i = end - 1;
    }
    return r;
}
function pctByte(b) { return '%' + (b < 16 ? '0' : '') + b.toString(16).toUpperCase(); }
var C0 = '';
var FRAGMENT_SET = ' "<>`';
var QUERY_SET = ' "#<>';
var SPECIAL_QUERY_SET = ' "#<>\'';
var PATH_SET = ' "#<>?`{}';
var USERINFO_SET = ' "#<>?`{}/:;=@[\\]^|';

function pctDecodeBytes(s) {
    var bytes = [], i;
    for (i = 0; i < s.length; i++) {
        var c = s.charCodeAt(i);
        if (c === 0x25 && i + 2 < s.length + 0 && /^[0-9a-fA-F]{2}$/.test(s.substr(i + 1, 2))) {
            bytes.push(parseInt(s.substr(i + 1, 2), 16));
            i += 2;
        } else if (c < 0x80) {
            bytes.push(c);
        } else {
            var end = i + 1;
            if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) end = i + 2;
            var b = W.utf8Encode(s.slice(i, end));
            for (var j = 0; j < b.length; j++) bytes.push(b[j]);
            i = end - 1;
        }
    }
    return new Uint8Array(bytes);
}
function pctDecode(s) { return W.utf8Decode(pctDecodeBytes(s), false, true); }

function parseIPv4Number(s) {
    if (s === '') return NaN;
    var radix = 10;
    if (/^0[xX]/.test(s)) { s = s.slice(2); radix = 16; if (s === '') return 0; if (!/^[0-9a-fA-F]+$/.test(s)) return NaN; }
    else if (s.length > 1 && s.charAt(0) === '0') { s = s.slice(1); radix = 8; if (!/^[0-7]+$/.test(s)) return NaN; }
    else if (!/^[0-9]+$/.test(s)) return NaN;
    return parseInt(s, radix);
}
function endsInNumber(host) {
    var parts = host.split('.');
    if (parts[parts.length - 1] === '') { if (parts.length === 1) return false; parts.pop(); }
    var last = parts[parts.length - 1];
    if (/^[0-9]+$/.test(last)) return true;
    return !isNaN(parseIPv4Number(last)) && /^0[xX]/.test(last);
}
function parseIPv4(host, input) {
    var parts = host.split('.');
    if (parts[parts.length - 1] === '' && parts.length > 1) parts.pop();
    if (parts.length > 4) throw invalidUrl(input);
    var nums = [], i;
    for (i = 0; i < parts.length; i++) {
        var n = parseIPv4Number(parts[i]);
        if (isNaN(n)) throw invalidUrl(input);
        nums.push(n);
    }
    for (i = 0; i < nums.length - 1; i++) if (nums[i] > 255) throw invalidUrl(input);
    if (nums[nums.length - 1] >= Math.pow(256, 5 - nums.length)) throw invalidUrl(input);
    var ipv4 = nums[nums.length - 1];
    for (i = 0; i < nums.length - 1; i++) ipv4 += nums[i] * Math.pow(256, 3 - i);
    var r = [];
    for (i = 0; i < 4; i++) { r.unshift(String(ipv4 % 256)); ipv4 = Math.floor(ipv4 / 256); }
    return r.join('.');
}
function parseIPv6(s, input) {
    /* validate and compress the way the URL standard serializes */
    var pieces = [0, 0, 0, 0, 0, 0, 0, 0], idx = 0, compress = -1, i = 0;
    function fail() { throw invalidUrl(input); }
    if (s.charAt(0) === ':') { if (s.charAt(1) !== ':') fail(); i = 2; idx = 1; compress = 1; }
    while (i < s.length) {
        if (idx === 8) fail();
        if (s.charAt(i) === ':') { if (compress >= 0) fail(); i++; idx++; compress = idx; continue; }
        var v = 0, len = 0;
        while (len < 4 && i < s.length && /[0-9a-fA-F]/.test(s.charAt(i))) { v = v * 16 + parseInt(s.charAt(i), 16); i++; len++; }
        if (s.charAt(i) === '.') {
            if (len === 0 || idx > 6) fail();
            i -= len;
            var seen = 0;
            while (i < s.length) {
                var n = null;
                if (seen > 0) { if (s.charAt(i) === '.' && seen < 4) i++; else fail(); }
                if (!/[0-9]/.test(s.charAt(i))) fail();
                while (/[0-9]/.test(s.charAt(i))) {
                    var d = parseInt(s.charAt(i), 10);
                    if (n === null) n = d; else if (n === 0) fail(); else n = n * 10 + d;
                    if (n > 255) fail();
                    i++;
                }
                pieces[idx] = pieces[idx] * 256 + n;
                seen++;
                if (seen === 2 || seen === 4) idx++;
            }
            if (seen !== 4) fail();
            break;
        }
        if (s.charAt(i) === ':') { i++; if (i >= s.length) fail(); }
        else if (i < s.length) fail();
        pieces[idx++] = v;
    }
    if (compress >= 0) {
        var swaps = idx - compress;
        idx = 7;
        while (idx !== 0 && swaps > 0) {
            var t = pieces[compress + swaps - 1];
            pieces[compress + swaps - 1] = pieces[idx];
            pieces[idx] = t;
            idx--; swaps--;
        }
    } else if (idx !== 8) fail();
    /* serialize: the longest run (>1) of zeros becomes :: */
    var best = -1, bestLen = 1, cur = -1, curLen = 0;
    for (i = 0; i < 8; i++) {
        if (pieces[i] === 0) { if (cur < 0) { cur = i; curLen = 1; } else curLen++; if (curLen > bestLen) { best = cur; bestLen = curLen; } }
        else cur = -1;
    }
    var r = '', ignore0 = false;
    for (i = 0; i < 8; i++) {
        if (ignore0 && pieces[i] === 0) continue;
        ignore0 = false;
        if (best === i) { r += i === 0 ? '::' : ':'; ignore0 = true; continue; }
        r += pieces[i].toString(16);
        if (i !== 7) r += ':';
    }
    return '[' + r + ']';
}
function parseHost(s, isSpecial, input) {
    if (s.charAt(0) === '[') {
        if (s.charAt(s.length - 1) !== ']') throw invalidUrl(input);
        return parseIPv6(s.slice(1, -1), input);
    }
    if (!isSpecial) {
        if (/[\u0000\t\n\r #\/:<>?@\[\\\]^|]/.test(s)) throw invalidUrl(input);
        return pctEncode(s, C0);
    }
    if (/^[a-z][a-z0-9\-]*(\.[a-z][a-z0-9\-]*)*$/.test(s)) return s;   /* a plain lowercase domain name */
    var d = pctDecode(s);
    if (/[^\u0000-\u007f]/.test(d)) throw new TypeError('Invalid URL (non-ASCII host names are not supported): ' + String(input));
    d = d.toLowerCase();
    if (d === '' || /[\u0000-\u001f\t\n\r #%\/:<>?@\[\\\]^|\u007f]/.test(d)) throw invalidUrl(input);
    if (endsInNumber(d)) return parseIPv4(d, input);
    return d;
}
function isSingleDot(s) { s = s.toLowerCase(); return s === '.' || s === '%2e'; }
function isDoubleDot(s) { s = s.toLowerCase(); return s === '..' || s === '.%2e' || s === '%2e.' || s === '%2e%2e'; }
function isWinLetter(s) { return /^[a-zA-Z][:|]$/.test(s); }

function resolvePath(base, path, isSpecial, scheme) {
    /* base: array of segments (the base path), path: the raw path text */
    var segs = base ? base.slice() : [];
    var parts = path.split(isSpecial ? /[\/\\]/ : /\//);
    for (var i = 0; i < parts.length; i++) {
        var p = parts[i], last = i === parts.length - 1;
        if (isDoubleDot(p)) {
            if (segs.length && !(scheme === 'file:' && segs.length === 1 && /^[a-zA-Z]:$/.test(segs[0]))) segs.pop();
            if (last) segs.push('');
        } else if (isSingleDot(p)) {
            if (last) segs.push('');
        } else {
            if (scheme === 'file:' && segs.length === 0 && isWinLetter(p)) p = p.charAt(0) + ':';
            segs.push(pctEncode(p, PATH_SET));
        }
    }
    return segs;
}

function parseURL(input, base) {
    var s = String(input);
    if (s.charCodeAt(0) <= 0x20 || s.charCodeAt(s.length - 1) <= 0x20) s = s.replace(/^[\u0000-\u0020]+/, '').replace(/[\u0000-\u0020]+$/, '');
    if (/[\t\n\r]/.test(s)) s = s.replace(/[\t\n\r]/g, '');
    var u = { scheme: '', user: '', pass: '', host: null, port: '', path: [], opaque: null, query: null, frag: null };
    var m = /^([a-zA-Z][a-zA-Z0-9+.\-]*):/.exec(s), rest;
    var hashAt, qAt;
    function takeFragmentAndQuery(r, isSpecial) {
        hashAt = r.indexOf('#');
        if (hashAt >= 0) { u.frag = pctEncode(r.slice(hashAt + 1), FRAGMENT_SET); r = r.slice(0, hashAt); }
        qAt = r.indexOf('?');
        if (qAt >= 0) { u.query = pctEncode(r.slice(qAt + 1), isSpecial ? SPECIAL_QUERY_SET : QUERY_SET); r = r.slice(0, qAt); }
        return r;
    }
    if (m) {
        u.scheme = m[1].toLowerCase() + ':';
        rest = s.slice(m[0].length);
        var isSpecial = special.hasOwnProperty(u.scheme);
        if (isSpecial && base && base.scheme === u.scheme && !/^[\/\\]/.test(rest)) {
            /* "http:foo" relative to an http base */
            return relative(rest, base, u, true);
        }
        if (u.scheme === 'file:') {
            if (/^[\/\\]{2}/.test(rest)) return authority(rest.slice(2), u, true, input);
            rest = takeFragmentAndQuery(rest, true);
            u.host = '';
            u.path = resolvePath(null, rest.replace(/^[\/\\]/, ''), true, u.scheme);
            return u;
        }
        if (isSpecial) return authority(rest.replace(/^[\/\\]*/, ''), u, true, input);
        if (rest.slice(0, 2) === '//') return authority(rest.slice(2), u, false, input);
        if (rest.charAt(0) === '/') {
            rest = takeFragmentAndQuery(rest, false);
            u.path = resolvePath(null, rest.slice(1), false, u.scheme);
            return u;
        }
        rest = takeFragmentAndQuery(rest, false);
        u.opaque = pctEncode(rest, C0).replace(/%20/g, ' ');
        return u;
    }
    if (!base) throw invalidUrl(input);
    if (base.opaque !== null) {
        if (s.charAt(0) !== '#') throw invalidUrl(input);
        var c = copyRecord(base);
        c.frag = pctEncode(s.slice(1), FRAGMENT_SET);
        return c;
    }
    u.scheme = base.scheme;
    return relative(s, base, u, special.hasOwnProperty(u.scheme));

    function relative(r, b, v, sp) {
        var slash = sp ? /^[\/\\]/ : /^\//;
        if (sp ? /^[\/\\]{2}/.test(r) : r.slice(0, 2) === '//') return authority(r.slice(2), v, sp, input);
        v.user = b.user; v.pass = b.pass; v.host = b.host; v.port = b.port;
        if (r === '') { v.path = b.path.slice(); v.query = b.query; return v; }
        if (slash.test(r)) {
            r = takeFragmentAndQuery(r, sp);
            v.path = resolvePath(null, r.slice(1), sp, v.scheme);
            return v;
        }
        if (r.charAt(0) === '?') { v.path = b.path.slice(); r = takeFragmentAndQuery(r, sp); return v; }
        if (r.charAt(0) === '#') { v.path = b.path.slice(); v.query = b.query; v.frag = pctEncode(r.slice(1), FRAGMENT_SET); return v; }
        r = takeFragmentAndQuery(r, sp);
        var bp = b.path.slice(0, Math.max(0, b.path.length - 1));
        v.path = resolvePath(bp, r, sp, v.scheme);
        return v;
    }
    function authority(r, v, sp, inp) {
        var end = r.search(sp ? /[\/\\?#]/ : /[\/?#]/);
        var auth = end < 0 ? r : r.slice(0, end);
        r = end < 0 ? '' : r.slice(end);
        var at = auth.lastIndexOf('@');
        if (at >= 0) {
            var info = auth.slice(0, at), colon = info.indexOf(':');
            v.user = pctEncode(colon < 0 ? info : info.slice(0, colon), USERINFO_SET);
            v.pass = colon < 0 ? '' : pctEncode(info.slice(colon + 1), USERINFO_SET);
            auth = auth.slice(at + 1);
            if (auth === '') throw invalidUrl(inp);
        }
        var hp = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(auth);
        if (!hp) throw invalidUrl(inp);
        if (hp[2] !== undefined && hp[2] !== '') {
            if (!/^[0-9]+$/.test(hp[2])) throw invalidUrl(inp);
            var port = parseInt(hp[2], 10);
            if (port > 65535) throw invalidUrl(inp);
            v.port = special[v.scheme] === port ? '' : String(port);
        }
        if (hp[1] === '' && sp && v.scheme !== 'file:') throw invalidUrl(inp);
        v.host = hp[1] === '' ? '' : parseHost(hp[1], sp, inp);
        if (v.scheme === 'file:' && v.host === 'localhost') v.host = '';
        r = takeFragmentAndQuery(r, sp);
        v.path = r === '' ? (sp ? [''] : []) : resolvePath(null, r.replace(sp ? /^[\/\\]/ : /^\//, ''), sp, v.scheme);
        return v;
    }
}
function copyRecord(u) {
    return { scheme: u.scheme, user: u.user, pass: u.pass, host: u.host, port: u.port, path: u.path.slice(),
             opaque: u.opaque, query: u.query, frag: u.frag };
}
function serializePath(u) {
    if (u.opaque !== null) return u.opaque;
    if (u.host === null && u.path.length > 1 && u.path[0] === '') return '/.//' + u.path.slice(1).join('/');
    return u.path.length ? '/' + u.path.join('/') : '';
}
function serialize(u, noFrag) {
    var r = u.scheme;
    if (u.host !== null) {
        r += '//';
        if (u.user !== '' || u.pass !== '') r += u.user + (u.pass !== '' ? ':' + u.pass : '') + '@';
        r += u.host + (u.port !== '' ? ':' + u.port : '');
    }
    r += serializePath(u);
    if (u.query !== null) r += '?' + u.query;
    if (!noFrag && u.frag !== null) r += '#' + u.frag;
    return r;
}

function URL(url, base) {
    if (!(this instanceof URL)) throw new TypeError("Failed to construct 'URL': Please use the 'new' operator");
    if (arguments.length < 1) throw new TypeError("Failed to construct 'URL': 1 argument required");
    var b = null;
    if (base !== undefined) b = parseURL(base instanceof URL ? base.href : String(base), null);
    force(this, '_u', parseURL(url instanceof URL ? url.href : String(url), b));
    force(this, '_sp', null);
}
force(URL, 'canParse', function (url, base) {
    try { new URL(url, base); return true; } catch (e) { return false; }
});
force(URL, 'parse', function (url, base) {
    try { return new URL(url, base); } catch (e) { return null; }
});
function urlProp(name, get, set) { getter(URL.prototype, name, get, set); }
function reparse(self, text) { self._u = parseURL(text, null); if (self._sp) self._sp._list = parseQuery(self._u.query || ''); }
urlProp('href', function () { return serialize(this._u); }, function (v) { reparse(this, String(v)); });
urlProp('origin', function () {
    var u = this._u;
    if (u.scheme === 'blob:') { try { return new URL(serializePath(u)).origin; } catch (e) { return 'null'; } }
    if (!special.hasOwnProperty(u.scheme) || u.scheme === 'file:') return 'null';
    return u.scheme + '//' + u.host + (u.port !== '' ? ':' + u.port : '');
});
urlProp('protocol', function () { return this._u.scheme; }, function (v) {
    var m = /^([a-zA-Z][a-zA-Z0-9+.\-]*)/.exec(String(v));
    if (!m) return;
    var s = m[1].toLowerCase() + ':';
    if (special.hasOwnProperty(s) !== special.hasOwnProperty(this._u.scheme)) return;
    this._u.scheme = s;
    if (special[s] !== undefined && String(special[s]) === this._u.port) this._u.port = '';
});
urlProp('username', function () { return this._u.user; }, function (v) {
    if (this._u.host === null || this._u.host === '' || this._u.scheme === 'file:') return;
    this._u.user = pctEncode(String(v), USERINFO_SET);
});
urlProp('password', function () { return this._u.pass; }, function (v) {
    if (this._u.host === null || this._u.host === '' || this._u.scheme === 'file:') return;
    this._u.pass = pctEncode(String(v), USERINFO_SET);
});
urlProp('host', function () {
    var u = this._u;
    return u.host === null ? '' : u.host + (u.port !== '' ? ':' + u.port : '');
}, function (v) {
    if (this._u.opaque !== null) return;
    try {
        var t = parseURL(this._u.scheme + '//' + String(v).replace(/[\/\\?#].*$/, '') + '/', null);
        this._u.host = t.host;
        if (/:[0-9]+$/.test(String(v).replace(/[\/\\?#].*$/, ''))) this._u.port = t.port;
    } catch (e) {}
});
urlProp('hostname', function () { return this._u.host === null ? '' : this._u.host; }, function (v) {
    if (this._u.opaque !== null) return;
    try { this._u.host = parseURL(this._u.scheme + '//' + String(v).replace(/[:\/\\?#].*$/, '') + '/', null).host; } catch (e) {}
});
urlProp('port', function () { return this._u.port; }, function (v) {
    var u = this._u;
    if (u.host === null || u.host === '' || u.scheme === 'file:') return;
    v = String(v);
    if (v === '') { u.port = ''; return; }
    var m = /^[0-9]+/.exec(v);
    if (!m) return;
    var p = parseInt(m[0], 10);
    if (p > 65535) return;
    u.port = special[u.scheme] === p ? '' : String(p);
});
urlProp('pathname', function () { return serializePath(this._u); }, function (v) {
    var u = this._u;
    if (u.opaque !== null) return;
    var sp = special.hasOwnProperty(u.scheme);
    v = String(v);
    if (sp || v.charAt(0) === '/') v = v.replace(sp ? /^[\/\\]/ : /^\//, '');
    u.path = resolvePath(null, v, sp, u.scheme);
});
urlProp('search', function () { var q = this._u.query; return q === null || q === '' ? '' : '?' + q; }, function (v) {
    v = String(v);
    if (v === '') { this._u.query = null; if (this._sp) this._sp._list = []; return; }
    if (v.charAt(0) === '?') v = v.slice(1);
    this._u.query = pctEncode(v, special.hasOwnProperty(this._u.scheme) ? SPECIAL_QUERY_SET : QUERY_SET);
    if (this._sp) this._sp._list = parseQuery(this._u.query);
});
urlProp('hash', function () { var f = this._u.frag; return f === null || f === '' ? '' : '#' + f; }, function (v) {
    v = String(v);
    if (v === '') { this._u.frag = null; return; }
    if (v.charAt(0) === '#') v = v.slice(1);
    this._u.frag = pctEncode(v, FRAGMENT_SET);
});
urlProp('searchParams', function () {
    if (!this._sp) {
        var sp = new URLSearchParams(this._u.query || '');
        force(sp, '_url', this);
        this._sp = sp;
    }
    return this._sp;
});
methods(URL.prototype, {
    toString: function () { return this.href; },
    toJSON: function () { return this.href; }
});
out.URL = URL;

function formEncode(s) {
    var r = pctEncode(String(s), '');
    /* application/x-www-form-urlencoded keeps only *-._ and alphanumerics */
    return r.replace(/[!'()~$&+,\/:;=?@\[\]\\^`{|}"#<>%]/g, function (c) {
        return c === '%' ? '%' : pctByte(c.charCodeAt(0));
    }).replace(/%20/g, '+').replace(/ /g, '+');
}
function formEncodeStrict(s) {
    var out2 = '', b = W.utf8Encode(String(s));
    for (var i = 0; i < b.length; i++) {
        var c = b[i];
        if (c === 0x20) out2 += '+';
        else if ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) ||
                 c === 0x2a || c === 0x2d || c === 0x2e || c === 0x5f) out2 += String.fromCharCode(c);
        else out2 += pctByte(c);
    }
    return out2;
}
void formEncode;
function parseQuery(q) {
    var list = [];
    if (q.charAt(0) === '?') q = q.slice(1);
    var parts = q.split('&');
    for (var i = 0; i < parts.length; i++) {
        if (parts[i] === '') continue;
        var eq = parts[i].indexOf('=');
        var k = eq < 0 ? parts[i] : parts[i].slice(0, eq), v = eq < 0 ? '' : parts[i].slice(eq + 1);
        list.push([pctDecode(k.replace(/\+/g, ' ')), pctDecode(v.replace(/\+/g, ' '))]);
    }
    return list;
}
function URLSearchParams(init) {
    if (!(this instanceof URLSearchParams)) throw new TypeError("Failed to construct 'URLSearchParams': Please use the 'new' operator");
    force(this, '_list', []);
    force(this, '_url', null);
    if (init === undefined || init === null) return;
    if (init instanceof URLSearchParams) { this._list = init._list.map(function (e) { return [e[0], e[1]]; }); return; }
    if (isObject(init)) {
        if (isCallable(init[ITER]) || Array.isArray(init)) {
            var pairs = values(init);
            for (var i = 0; i < pairs.length; i++) {
                var p = values(pairs[i]);
                if (p.length !== 2) throw new TypeError("Failed to construct 'URLSearchParams': Each query pair must be an iterable [name, value] tuple");
                this._list.push([String(p[0]), String(p[1])]);
            }
            return;
        }
        var keys = Object.keys(init);
        for (var j = 0; j < keys.length; j++) this._list.push([keys[j], String(init[keys[j]])]);
        return;
    }
    this._list = parseQuery(String(init));
}
function spUpdate(sp) {
    if (!sp._url) return;
    var s = sp.toString();
    sp._url._u.query = s === '' ? null : s;
}
methods(URLSearchParams.prototype, {
    append: function (k, v) { this._list.push([String(k), String(v)]); spUpdate(this); },
    'delete': function (k, v) {
        k = String(k);
        this._list = this._list.filter(function (e) { return !(e[0] === k && (v === undefined || e[1] === String(v))); });
        spUpdate(this);
    },
    get: function (k) {
        k = String(k);
        for (var i = 0; i < this._list.length; i++) if (this._list[i][0] === k) return this._list[i][1];
        return null;
    },
    getAll: function (k) {
        k = String(k);
        return this._list.filter(function (e) { return e[0] === k; }).map(function (e) { return e[1]; });
    },
    has: function (k, v) {
        k = String(k);
        for (var i = 0; i < this._list.length; i++)
            if (this._list[i][0] === k && (v === undefined || this._list[i][1] === String(v))) return true;
        return false;
    },
    set: function (k, v) {
        k = String(k); v = String(v);
        var found = false, list = [];
        for (var i = 0; i < this._list.length; i++) {
            if (this._list[i][0] !== k) list.push(this._list[i]);
            else if (!found) { found = true; list.push([k, v]); }
        }
        if (!found) list.push([k, v]);
        this._list = list;
        spUpdate(this);
    },
    sort: function () {
        var l = this._list.map(function (e, i) { return [e, i]; });
        l.sort(function (a, b) { return a[0][0] < b[0][0] ? -1 : a[0][0] > b[0][0] ? 1 : a[1] - b[1]; });
        this._list = l.map(function (x) { return x[0]; });
        spUpdate(this);
    },
    forEach: function (fn, self) {
        for (var i = 0; i < this._list.length; i++) fn.call(self, this._list[i][1], this._list[i][0], this);
    },
    keys: function () { return iterOf(this._list, 0); },
    values: function () { return iterOf(this._list, 1); },
    entries: function () { return iterOf(this._list, 2); },
    toString: function () {
        return this._list.map(function (e) { return formEncodeStrict(e[0]) + '=' + formEncodeStrict(e[1]); }).join('&');
    }
});
force(URLSearchParams.prototype, ITER, URLSearchParams.prototype.entries);
getter(URLSearchParams.prototype, 'size', function () { return this._list.length; });
out.URLSearchParams = URLSearchParams;

/* ---- AbortController / AbortSignal ---- */

function AbortSignal() { throw new TypeError('Illegal constructor'); }
subclass(AbortSignal, EventTarget);
function newSignal() {
    var s = Object.create(AbortSignal.prototype);
    EventTarget.call(s);
    force(s, 'aborted', false);
    force(s, 'reason', undefined);
    return s;
}
function signalAbort(s, reason) {
    if (s.aborted) return;
    force(s, 'aborted', true);
    force(s, 'reason', reason === undefined ? domError('AbortError', 'This operation was aborted') : reason);
    s.dispatchEvent(new Event('abort'));
}
handlerProp(AbortSignal.prototype, 'abort');
force(AbortSignal.prototype, 'throwIfAborted', function () { if (this.aborted) throw this.reason; });
force(AbortSignal, 'abort', function (reason) { var s = newSignal(); signalAbort(s, reason); return s; });
force(AbortSignal, 'timeout', function (ms) {
    ms = Number(ms);
    if (!(ms >= 0)) throw new TypeError('AbortSignal.timeout: the delay must be a non-negative number');
    if (!isCallable(G.setTimeout)) throw new TypeError('AbortSignal.timeout: timers are not available');
    var s = newSignal();
    G.setTimeout(function () { signalAbort(s, domError('TimeoutError', 'Signal timed out.')); }, ms);
    return s;
});
force(AbortSignal, 'any', function (signals) {
    var s = newSignal(), list = values(signals);
    for (var i = 0; i < list.length; i++) if (list[i].aborted) { signalAbort(s, list[i].reason); return s; }
    list.forEach(function (x) { x.addEventListener('abort', function () { signalAbort(s, x.reason); }); });
    return s;
});
function AbortController() { force(this, 'signal', newSignal()); }
force(AbortController.prototype, 'abort', function (reason) { signalAbort(this.signal, reason); });
out.AbortSignal = AbortSignal;
out.AbortController = AbortController;

/* ---- Headers ---- */

/* token and value checks in C (W.hname, W.hvalue): regular expressions are slow in Duktape */
function checkName(n) {
    n = String(n);
    var l = W.hname(n);
    if (l === null) throw new TypeError('Headers: invalid header name "' + n + '"');
    return l;
}
function checkValue(v) {
    v = W.hvalue(String(v));
    if (v === null) throw new TypeError('Headers: invalid header value');
    return v;
}
function Headers(init) {
    if (!(this instanceof Headers)) throw new TypeError("Failed to construct 'Headers': Please use the 'new' operator");
    hide(this, '_list', []);   /* [lowercase name, value] in insertion order; _guard on the prototype unless immutable */
    if (init === undefined || init === null) return;
    if (init instanceof Headers) { this._list = init._list.map(function (e) { return [e[0], e[1]]; }); return; }
    if (!isObject(init)) throw new TypeError("Failed to construct 'Headers': The provided value is not of type 'HeadersInit'");
    if (isCallable(init[ITER]) || Array.isArray(init)) {
        var pairs = values(init);
        for (var i = 0; i < pairs.length; i++) {
            var p = values(pairs[i]);
            if (p.length !== 2) throw new TypeError("Failed to construct 'Headers': header pairs must be [name, value]");
            this.append(p[0], p[1]);
        }
        return;
    }
    var keys = Object.keys(init);
    for (var j = 0; j < keys.length; j++) this.append(keys[j], init[keys[j]]);
}
force(Headers.prototype, '_guard', null);
function guard(h) { if (h._guard === 'immutable') throw new TypeError('Headers are immutable'); }
/* The checked [name, value] list of a HeadersInit, for the Request and Response
 * constructors: a plain record (the common case) is read here without a Headers
 * object in between; anything else goes through Headers. */
function headerListOf(init) {
    if (init === undefined || init === null) return [];
    if (typeof init !== 'object' || init instanceof Headers || typeof init[ITER] === 'function' || Array.isArray(init))
        return new Headers(init)._list;
    var keys = Object.keys(init), list = [];
    for (var j = 0; j < keys.length; j++) {
        var n = W.hname(keys[j]), v = init[keys[j]], cv = W.hvalue(String(v));
        if (n === null) checkName(keys[j]);   /* throws the TypeError */
        if (cv === null) checkValue(v);
        list.push([n, cv]);
    }
    return list;
}
function listHas(list, name) {
    for (var i = 0; i < list.length; i++) if (list[i][0] === name) return true;
    return false;
}
function headersOf(list, immutable) {   /* a Headers over a checked [name, value] list (no copy) */
    var h = Object.create(Headers.prototype);
    hide(h, '_list', list);
    if (immutable) hide(h, '_guard', 'immutable');
    return h;
}
methods(Headers.prototype, {
    append: function (n, v) { guard(this); this._list.push([checkName(n), checkValue(v)]); },
    'delete': function (n) { guard(this); n = checkName(n); this._list = this._list.filter(function (e) { return e[0] !== n; }); },
    get: function (n) {
        n = checkName(n);
        var vs = [];
        for (var i = 0; i < this._list.length; i++) if (this._list[i][0] === n) vs.push(this._list[i][1]);
        return vs.length ? vs.join(', ') : null;
    },
    getSetCookie: function () {
        return this._list.filter(function (e) { return e[0] === 'set-cookie'; }).map(function (e) { return e[1]; });
    },
    has: function (n) {
        n = checkName(n);
        for (var i = 0; i < this._list.length; i++) if (this._list[i][0] === n) return true;
        return false;
    },
    set: function (n, v) {
        guard(this);
        n = checkName(n); v = checkValue(v);
        var found = false, list = [];
        for (var i = 0; i < this._list.length; i++) {
            if (this._list[i][0] !== n) list.push(this._list[i]);
            else if (!found) { found = true; list.push([n, v]); }
        }
        if (!found) list.push([n, v]);
        this._list = list;
    },
    forEach: function (fn, self) {
        var s = sortedHeaders(this);
        for (var i = 0; i < s.length; i++) fn.call(self, s[i][1], s[i][0], this);
    },
    keys: function () { return iterOf(sortedHeaders(this), 0); },
    values: function () { return iterOf(sortedHeaders(this), 1); },
    entries: function () { return iterOf(sortedHeaders(this), 2); }
});
force(Headers.prototype, ITER, Headers.prototype.entries);
/* iteration: sorted by name, values of a name combined (set-cookie kept apart) */
function sortedHeaders(h) {
    var names = [], i;
    for (i = 0; i < h._list.length; i++) if (names.indexOf(h._list[i][0]) < 0) names.push(h._list[i][0]);
    names.sort();
    var r = [];
    for (i = 0; i < names.length; i++) {
        if (names[i] === 'set-cookie') {
            for (var j = 0; j < h._list.length; j++) if (h._list[j][0] === 'set-cookie') r.push(['set-cookie', h._list[j][1]]);
        } else r.push([names[i], h.get(names[i])]);
    }
    return r;
}
out.Headers = Headers;

/* ---- bodies, Request, Response ---- */

/* [bytes (Uint8Array) or null, content type or null] of a BodyInit */
function extractBody(b) {
    if (b === undefined || b === null) return [null, null];
    if (typeof b === 'string') return [W.utf8Encode(b), 'text/plain;charset=UTF-8'];
    if (b instanceof URLSearchParams) return [W.utf8Encode(b.toString()), 'application/x-www-form-urlencoded;charset=UTF-8'];
    if (isBufferLike(b)) return [new Uint8Array(toBytes(b, 'body')), null];   /* a copy */
    if (isObject(b) && b._bytes !== undefined) return [b._bytes, b.type || null];
    return [W.utf8Encode(String(b)), 'text/plain;charset=UTF-8'];
}
/* The body is in memory already: read it now and settle the promise directly
 * (no extra promise and job per read). */
function consume(self, convert) {
    var st = self._s, p = kit.newPending();
    if (st.used) { kit.settle(p, 2, new TypeError('Body is unusable: Body has already been read')); return p; }
    st.used = true;
    var v;
    try { v = convert(st.body || new Uint8Array(0)); }
    catch (e) { kit.settle(p, 2, e); return p; }
    kit.settle(p, 1, v);
    return p;
}
function asText(b) { return W.utf8Decode(b, false, false); }
function asJson(b) {
    var t = W.utf8Decode(b, false, false);
    try { return JSON.parse(t); }
    catch (e) { throw new SyntaxError('Unexpected token in JSON (' + (t.length > 40 ? t.slice(0, 40) + '...' : t) + ') is not valid JSON'); }
}
function asBytes(b) { return new Uint8Array(b); }
var bodyMethods = {
    text: function () { return consume(this, asText); },
    json: function () { return consume(this, asJson); },
    arrayBuffer: function () { return consume(this, copyBuffer); },
    bytes: function () { return consume(this, asBytes); }
};
/* Request and Response keep their state in one hidden record (this._s) read
 * through getters on the prototype, as the WHATWG classes do. */
function bodyProps(C, fields) {
    methods(C.prototype, bodyMethods);
    getter(C.prototype, 'bodyUsed', function () { return this._s.used; });
    getter(C.prototype, 'body', function () { return this._s.body; });
    getter(C.prototype, '_body', function () { return this._s.body; });
    fields.forEach(function (f) { getter(C.prototype, f, function () { return this._s[f]; }); });
}

var METHODS = { DELETE: 1, GET: 1, HEAD: 1, OPTIONS: 1, POST: 1, PUT: 1, PATCH: 1 };
/* the common case: an absolute http(s) URL already in normal form (no dot segments, no
 * default port, lowercase host) is its own href (W.href checks it); anything else goes through URL */
function hrefOf(url) {
    var h = W.href(url);
    return h !== null ? h : new URL(url).href;
}
function Request(input, init) {
    if (!(this instanceof Request)) throw new TypeError("Failed to construct 'Request': Please use the 'new' operator");
    init = init || {};
    var src = input instanceof Request ? input : null;
    var url = src ? src.url : input instanceof URL ? input.href : hrefOf(String(input));
    var method = init.method !== undefined ? String(init.method) : src ? src.method : 'GET';
    if (W.hname(method) === null) throw new TypeError("Failed to construct 'Request': '" + method + "' is not a valid HTTP method");
    if (METHODS[method.toUpperCase()]) method = method.toUpperCase();
    if (method === 'CONNECT' || method === 'TRACE' || method === 'TRACK')
        throw new TypeError("Failed to construct 'Request': '" + method + "' HTTP method is unsupported");
    var headers = headersOf(headerListOf(init.headers !== undefined ? init.headers : src ? src.headers : undefined), false);
    var redirect = init.redirect !== undefined ? String(init.redirect) : src ? src.redirect : 'follow';
    if (redirect !== 'follow' && redirect !== 'manual' && redirect !== 'error')
        throw new TypeError("Failed to construct 'Request': redirect must be 'follow', 'manual' or 'error'");
    var body = init.body !== undefined ? extractBody(init.body) : src ? [src._body, null] : [null, null];
    if (body[0] !== null && (method === 'GET' || method === 'HEAD'))
        throw new TypeError("Failed to construct 'Request': Request with GET/HEAD method cannot have body.");
    if (body[1] && !headers.has('content-type')) headers.set('content-type', body[1]);
    hide(this, '_s', { url: url, method: method, headers: headers, redirect: redirect, body: body[0], used: false,
                       signal: init.signal !== undefined && init.signal !== null ? init.signal : src ? src._s.signal : null });
}
bodyProps(Request, ['url', 'method', 'redirect']);
/* a Request Deno.serve made keeps its header lines as the server's raw bytes (hraw: name\0value\0 …)
 * until its headers are read */
function requestHeaders(st) {
    if (st.headers === undefined) { st.headers = headersOf(W.headerPairs(st.hraw), false); st.hraw = undefined; }
    return st.headers;
}
getter(Request.prototype, 'headers', function () { return requestHeaders(this._s); });
getter(Request.prototype, 'signal', function () { return this._s.signal || (this._s.signal = newSignal()); });
force(Request.prototype, 'clone', function () {
    if (this._s.used) throw new TypeError('Request.clone: Body has already been consumed');
    return new Request(this);
});
out.Request = Request;

var STATUS_TEXT = { 200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 301: 'Moved Permanently', 302: 'Found',
                    303: 'See Other', 304: 'Not Modified', 307: 'Temporary Redirect', 308: 'Permanent Redirect',
                    400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
                    409: 'Conflict', 413: 'Payload Too Large', 418: "I'm a teapot", 429: 'Too Many Requests',
                    500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' };
function Response(body, init) {
    if (!(this instanceof Response)) throw new TypeError("Failed to construct 'Response': Please use the 'new' operator");
    var st, text, hs;   /* init's fields, read once */
    if (init) { st = init.status; text = init.statusText; hs = init.headers; }
    /* the common case (a string or no body, headers as a plain record) in C: the same record */
    if (W.responseInit(this, body, st, text, hs)) return;
    /* WebIDL's unsigned short: truncated toward zero, modulo 2^16 (200.5 is 200, as in every runtime) */
    var n = st === undefined ? 200 : Number(st), status = isFinite(n) ? (n < 0 ? -Math.floor(-n) : Math.floor(n)) : 0;
    status = (status % 65536 + 65536) % 65536;
    if (!(status >= 200 && status <= 599))
        throw new RangeError("Failed to construct 'Response': The status provided (" + st + ') is outside the range [200, 599].');
    /* a reason-phrase: tab, space, visible ASCII and bytes 0x80-0xFF only */
    if (text !== undefined && /[^\t\x20-\x7e\x80-\xff]/.test(text = String(text)))
        throw new TypeError("Failed to construct 'Response': Invalid statusText");
    var list = headerListOf(hs);
    var b = extractBody(body);
    if (b[0] !== null && (status === 204 || status === 205 || status === 304))
        throw new TypeError("Failed to construct 'Response': Response with null body status cannot have body");
    if (b[1] && !listHas(list, 'content-type')) list.push(['content-type', b[1]]);
    hide(this, '_s', { status: status, statusText: text === undefined ? '' : String(text),
                       headers: undefined, hlist: list, type: 'default', url: '', redirected: false, body: b[0], used: false });
}
bodyProps(Response, ['status', 'statusText', 'type', 'url', 'redirected']);
/* a fetched response keeps its header lines as the bytes the network gave (hraw: name\0value\0 …)
 * until its headers are read: most scripts read the body only; a constructed one keeps its checked
 * [name, value] list (hlist) until then: Deno.serve sends the list (responseList) */
function responseHeaders(st) {
    if (st.headers === undefined) {
        st.headers = st.hlist !== undefined ? headersOf(st.hlist, false) : headersOf(W.headerPairs(st.hraw), true);
        st.hraw = st.hlist = undefined;
    }
    return st.headers;
}
function responseList(st) {
    return st.headers === undefined && st.hlist !== undefined ? st.hlist : responseHeaders(st)._list;
}
getter(Response.prototype, 'headers', function () { return responseHeaders(this._s); });
getter(Response.prototype, 'ok', function () { return this.status >= 200 && this.status <= 299; });
force(Response.prototype, 'clone', function () {
    if (this._s.used) throw new TypeError('Response.clone: Body has already been consumed');
    return makeResponse(this.status, this.statusText, this.headers._list.map(function (e) { return [e[0], e[1]]; }),
                        this._body, this.url, this.redirected, this.type, false);
});
force(Response, 'json', function (data, init) {
    var text = JSON.stringify(data);
    if (text === undefined) throw new TypeError('Response.json: the data is not JSON-serializable');
    init = init || {};
    var r = new Response(text, { status: init.status, statusText: init.statusText, headers: init.headers });
    if (!init.headers || !r.headers.has('content-type') || r.headers.get('content-type') === 'text/plain;charset=UTF-8')
        r.headers.set('content-type', 'application/json');
    return r;
});
force(Response, 'error', function () {
    return makeResponse(0, '', [], null, '', false, 'error', true);
});
force(Response, 'redirect', function (url, status) {
    status = status === undefined ? 302 : Number(status);
    if ([301, 302, 303, 307, 308].indexOf(status) < 0) throw new RangeError('Response.redirect: invalid status ' + status);
    return makeResponse(status, '', [['location', new URL(String(url)).href]], null, '', false, 'default', false);
});
/* a Response as the network or a clone makes it (any status, given fields; headerList is kept) */
function makeResponse(status, statusText, headerList, bytes, url, redirected, type, immutable) {
    var r = Object.create(Response.prototype);
    hide(r, '_s', { status: status, statusText: statusText, headers: headersOf(headerList, immutable), type: type,
                    url: url, redirected: redirected, body: bytes, used: false });
    return r;
}
/* a Response as fetch receives it: immutable headers, still as raw bytes (responseHeaders) */
function fetchedResponse(status, statusText, hraw, bytes, url, redirected) {
    var r = Object.create(Response.prototype);
    hide(r, '_s', { status: status, statusText: statusText, headers: undefined, hraw: hraw, type: 'basic',
                    url: url, redirected: redirected, body: bytes, used: false });
    return r;
}
kit.responseHeaders = responseHeaders;
kit.responseList = responseList;
out.Response = Response;

/* ---- fetch ---- */

/* The request parts fetch needs: [method, url, header lines, body bytes, redirect, signal]. */
function fetchParts(input, init) {
    if (input instanceof Request && init === undefined) {
        var rs = input._s, hl = [], rl = requestHeaders(rs)._list;
        for (var k = 0; k < rl.length; k++) hl.push(rl[k][0] + ': ' + rl[k][1]);
        if (rs.used) throw new TypeError('fetch: the request body has already been read');
        return [rs.method, rs.url, hl, rs.body, rs.redirect, rs.signal];
    }
    if (input instanceof Request || (init !== undefined && init !== null && !isObject(init)))
        return fetchParts(new Request(input, init));
    init = init || {};
    var url = String(input);
    url = hrefOf(url);
    var method = init.method === undefined ? 'GET' : String(init.method);
    if (W.hname(method) === null) throw new TypeError("fetch: '" + method + "' is not a valid HTTP method");
    if (METHODS[method.toUpperCase()]) method = method.toUpperCase();
    var redirect = init.redirect === undefined ? 'follow' : String(init.redirect);
    if (redirect !== 'follow' && redirect !== 'manual' && redirect !== 'error')
        throw new TypeError("fetch: redirect must be 'follow', 'manual' or 'error'");
    var body = init.body === undefined ? [null, null] : extractBody(init.body);
    if (body[0] !== null && (method === 'GET' || method === 'HEAD'))
        throw new TypeError('fetch: Request with GET/HEAD method cannot have body.');
    var lines = [], typed = false, h = init.headers;
    if (h !== undefined && h !== null) {
        var list = h instanceof Headers ? h._list : new Headers(h)._list;
        for (var i = 0; i < list.length; i++) {
            if (list[i][0] === 'content-type') typed = true;
            lines.push(list[i][0] + ': ' + list[i][1]);
        }
    }
    if (body[1] && !typed) lines.push('content-type: ' + body[1]);
    return [method, url, lines, body[0], redirect, init.signal || null];
}

/* W.fetch's completion, for every request: t is the promise, or [promise, signal, onAbort] when a
 * signal watches it (an aborted request's promise is settled already: settle ignores it then) */
function fetchDone(t, err, status, statusText, url, hraw, body, redirected) {
    var p = t;
    if (Array.isArray(t)) { p = t[0]; t[1].removeEventListener('abort', t[2]); }
    if (err) kit.settle(p, 2, netError(err));
    else kit.settle(p, 1, fetchedResponse(status, statusText, hraw, body, url, redirected));
}
if (isCallable(W.fetchDone)) W.fetchDone(fetchDone);
out.fetch = function fetch(input, init) {
    if (!isCallable(W.fetch)) return PromiseImpl.reject(new TypeError('fetch: network I/O is not available in this build'));
    /* the promise is settled directly (kit.newPending/settle): no executor and resolver closures */
    var p = kit.newPending();
    if (typeof input === 'string' && init === undefined) {   /* fetch(url): the common case, no parts array */
        try { W.fetch('GET', hrefOf(input), null, null, 'follow', p); }
        catch (e) { kit.settle(p, 2, e); }
        return p;
    }
    var parts, id, signal;
    try {
        parts = fetchParts(input, init);
        signal = parts[5];
        if (signal && signal.aborted) throw signal.reason;
    } catch (e) { kit.settle(p, 2, e); return p; }
    var t = p;
    if (signal) {
        t = [p, signal, function () {
            if (id !== undefined) W.fetchAbort(id);
            kit.settle(p, 2, signal.reason);
        }];
    }
    try { id = W.fetch(parts[0], parts[1], parts[2], parts[3], parts[4], t); }
    catch (e) { kit.settle(p, 2, e); return p; }
    if (signal) signal.addEventListener('abort', t[2]);
    return p;
};
/* err = [name, message]: TypeError, PermissionDenied, or a network class name */
function netError(err) {
    var e = err[0] === 'TypeError' ? new TypeError(err[1]) : new Error(err[1]);
    if (err[0] !== 'TypeError') force(e, 'name', err[0]);
    return e;
}
kit.netError = netError;

/* ---- WebSocket (lib/runtime/web/websocket.c) ---- */

function MessageEvent(type, init) {
    Event.call(this, type);
    this.data = init && init.data !== undefined ? init.data : null;
    this.origin = init && init.origin !== undefined ? init.origin : '';
}
subclass(MessageEvent, Event);
function CloseEvent(type, init) {
    Event.call(this, type);
    this.code = init && init.code !== undefined ? init.code : 0;
    this.reason = init && init.reason !== undefined ? init.reason : '';
    this.wasClean = !!(init && init.wasClean);
}
subclass(CloseEvent, Event);
function ErrorEvent(type, init) {
    Event.call(this, type);
    this.message = init && init.message !== undefined ? init.message : '';
    this.error = init && init.error !== undefined ? init.error : null;
}
subclass(ErrorEvent, Event);
out.MessageEvent = MessageEvent;
out.CloseEvent = CloseEvent;
out.ErrorEvent = ErrorEvent;

function WebSocket(url, protocols) {
    if (!(this instanceof WebSocket)) throw new TypeError("Failed to construct 'WebSocket': Please use the 'new' operator");
    EventTarget.call(this);
    var u;
    try { u = new URL(String(url)); } catch (e) { throw domError('SyntaxError', "Failed to construct 'WebSocket': The URL '" + String(url) + "' is invalid."); }
    if (u.protocol === 'http:') u.protocol = 'ws:';
    else if (u.protocol === 'https:') u.protocol = 'wss:';
    if (u.protocol !== 'ws:' && u.protocol !== 'wss:')
        throw domError('SyntaxError', "Failed to construct 'WebSocket': The URL's scheme must be either 'ws' or 'wss'.");
    if (u.hash) throw domError('SyntaxError', "Failed to construct 'WebSocket': The URL contains a fragment identifier.");
    var list = protocols === undefined ? [] : typeof protocols === 'string' ? [protocols] : values(protocols).map(String);
    force(this, 'url', u.href);
    force(this, '_state', 0);
    force(this, '_buffered', 0);
    force(this, 'protocol', '');
    force(this, 'extensions', '');
    force(this, '_binaryType', 'arraybuffer');
    var self = this;
    if (!isCallable(W.wsOpen)) throw new TypeError('WebSocket: network I/O is not available in this build');
    force(this, '_id', W.wsOpen(u.href, list.join(', '), function (type, data, code) {
        if (type === 0) {
            self._state = 1;
            self.dispatchEvent(new Event('open'));
        } else if (type === 1) {
            if (self._state !== 1) return;
            self.dispatchEvent(new MessageEvent('message', { data: data, origin: u.origin }));
        } else if (type === 3) {
            self.dispatchEvent(new ErrorEvent('error', { message: data }));
        } else {
            var clean = self._state === 2 || (code !== 1006 && code !== 1005);
            self._state = 3;
            self.dispatchEvent(new CloseEvent('close', { code: code, reason: data, wasClean: clean }));
        }
    }));
}
subclass(WebSocket, EventTarget);
['open', 'message', 'close', 'error'].forEach(function (t) { handlerProp(WebSocket.prototype, t); });
var WS_STATES = { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 };
for (var wsk in WS_STATES) { force(WebSocket, wsk, WS_STATES[wsk]); force(WebSocket.prototype, wsk, WS_STATES[wsk]); }
getter(WebSocket.prototype, 'readyState', function () { return this._state; });
getter(WebSocket.prototype, 'bufferedAmount', function () { return 0; });
getter(WebSocket.prototype, 'binaryType', function () { return this._binaryType; }, function (v) {
    if (v === 'arraybuffer' || v === 'blob') this._binaryType = 'arraybuffer';
});
methods(WebSocket.prototype, {
    send: function (data) {
        if (this._state === 0) throw domError('InvalidStateError', "Failed to execute 'send' on 'WebSocket': Still in CONNECTING state.");
        if (this._state !== 1) return;
        if (typeof data === 'string') W.wsSend(this._id, data, false);
        else if (isBufferLike(data)) W.wsSend(this._id, toBytes(data, 'WebSocket.send'), true);
        else W.wsSend(this._id, String(data), false);
    },
    close: function (code, reason) {
        if (code !== undefined && code !== 1000 && !(code >= 3000 && code <= 4999))
            throw domError('InvalidAccessError', "Failed to execute 'close' on 'WebSocket': The close code must be either 1000, or between 3000 and 4999. " + code + ' is neither.');
        if (reason !== undefined && W.utf8Encode(String(reason)).length > 123)
            throw domError('SyntaxError', "Failed to execute 'close' on 'WebSocket': The close reason must not be greater than 123 UTF-8 bytes.");
        if (this._state >= 2) return;
        this._state = 2;
        W.wsClose(this._id, code === undefined ? 1000 : code, reason === undefined ? '' : String(reason));
    }
});
out.WebSocket = WebSocket;
kit.makeResponse = makeResponse;
/* a Request as Deno.serve receives it: parts from the server (header lines as raw bytes, see requestHeaders) */
/* Deno.serve's C side (lib/runtime/web/serve.c) makes each request itself (the same record:
 * url, method, headers undefined, hraw, redirect 'follow', body, used false, signal null), and
 * answers a Response returned at once from its state: the prototypes it makes and knows them by,
 * the href of a URL not already in normal form, the header list of a response whose headers were read */
kit.serveKit = { requestProto: Request.prototype, responseProto: Response.prototype, href: hrefOf, responseList: responseList };
kit.signalAbort = signalAbort;
kit.newSignal = newSignal;
kit.subclass = subclass;

return out;
}
