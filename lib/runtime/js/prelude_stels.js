/* Stels.net, Stels.local, Stels.webfix and the connectors' one-commit helper,
 * compiled as `function (kit)` and loaded on first use of any of them (the
 * prelude's loadStels, host.lazy(8)).  Returns { net, local, webfix, commit }. */
function (kit) {
'use strict';
var force = kit.force, host = kit.host, isArray = kit.isArray, isObject = kit.isObject, isCallable = kit.isCallable,
    PromiseImpl = kit.PromiseImpl, subs = kit.subs, errorText = kit.errorText, isError = kit.isError, format = kit.format;

function checkKey(key, what, allowEmpty) {
    if (!isArray(key)) throw new TypeError(what + ': key must be an array of strings, numbers or booleans');
    if (!allowEmpty && key.length === 0) throw new TypeError(what + ': key must not be empty');
    for (var i = 0; i < key.length; i++) {
        var t = typeof key[i];
        if (t === 'number' ? !isFinite(key[i]) : t !== 'string' && t !== 'boolean')
            throw new TypeError(what + ': key part ' + i + ' must be a string, a finite number or a boolean');
    }
    return JSON.stringify(key);
}
function jsonText(v, what) {
    var s;
    try { s = JSON.stringify(v); } catch (e) { throw new TypeError(what + ': value is not JSON-serializable (' + errorText(e) + ')'); }
    return s === undefined ? 'null' : s;
}
function entryOf(key, hit) {
    return { key: JSON.parse(key), value: hit ? JSON.parse(hit[0]) : null, versionstamp: hit ? hit[1] : null };
}

function Kv(which, label) {
    var self = this;
    function get(key) {
        var k = checkKey(key, label + '.get', false);
        return PromiseImpl.resolve(entryOf(k, host.get(which, k)));
    }
    function setRaw(key, value, what) {
        var k = checkKey(key, what, false);
        var vs = host.set(which, k, jsonText(value, what));
        return PromiseImpl.resolve({ ok: true, versionstamp: vs });
    }
    function set(key, data) {
        checkKey(key, label + '.set', false);
        return setRaw(key, { channel: key.join('.'), raw: data === undefined ? null : data, timestamp: Date.now() }, label + '.set');
    }
    function del(key) {
        var k = checkKey(key, label + '.delete', false);
        host.del(which, k);
        return PromiseImpl.resolve(undefined);
    }
    function list(opts) {
        if (opts !== undefined && opts !== null && !isObject(opts)) throw new TypeError(label + '.list: options must be an object');
        opts = opts || {};
        var prefix = opts.prefix === undefined || opts.prefix === null ? [] : opts.prefix;
        var p = checkKey(prefix, label + '.list', true);
        var limit = opts.limit === undefined || opts.limit === null ? 0 : Number(opts.limit);
        if (!(limit >= 0) || Math.floor(limit) !== limit) throw new TypeError(label + '.list: limit must be a non-negative integer');
        return JSON.parse(host.list(which, p, limit, !!opts.reverse));
    }
    function subscribe(key) {
        var k = checkKey(key, label + '.subscribe', false);
        var id = host.sub(which, k), handlers = [], closed = false;
        var sub = {};
        force(sub, 'on', function (event, cb) {
            if (event !== 'update') throw new TypeError(label + '.subscribe: unknown event "' + String(event) + '" (only "update")');
            if (!isCallable(cb)) throw new TypeError(label + '.subscribe: the callback must be a function');
            if (closed) return sub;
            handlers.push(cb);
            host.subLive(id, true);
            return sub;
        });
        force(sub, 'close', function () {
            if (closed) return;
            closed = true;
            handlers = [];
            delete subs[id];
            host.unsub(id);
        });
        subs[id] = function (value) {
            var hs = handlers.slice();
            for (var i = 0; i < hs.length; i++) {
                try { hs[i].call(sub, value); }
                catch (e) { host.log(3, 'subscription callback failed: ' + errorText(isError(e) ? e : { name: 'Error', message: format(e) })); }
            }
        };
        return sub;
    }
    force(self, 'get', get);
    force(self, 'set', set);
    force(self, 'delete', del);
    force(self, 'list', list);
    force(self, 'subscribe', subscribe);
    force(self, '_which', which);
    force(self, '_setRaw', setRaw);
}
var net = new Kv(0, 'Stels.net'), local = new Kv(1, 'Stels.local');

function webfix(req) {
    if (!isObject(req)) throw new TypeError('Stels.webfix: the request must be an object');
    var brain = req.brain === undefined || req.brain === null ? net : req.brain;
    if (brain !== net && brain !== local) throw new TypeError('Stels.webfix: brain must be Stels.net or Stels.local');
    var key;
    if (typeof req.channel === 'string' && req.channel !== '') key = req.channel.split('.');
    else if (isArray(req.channel) && req.channel.length) key = req.channel.slice();
    else throw new TypeError('Stels.webfix: channel must be a non-empty string or array');
    host.op(7);
    var method = req.method === undefined ? 'set' : req.method;
    if (method === 'get') return brain.get(key);
    if (method === 'delete') return brain['delete'](key);
    if (method !== 'set') throw new TypeError('Stels.webfix: method must be "set", "get" or "delete"');
    checkKey(key, 'Stels.webfix', false);
    var joined = key.join('.');
    return brain._setRaw(key, {
        channel: joined,
        module: req.module === undefined ? null : req.module,
        widget: 'widget.' + joined,
        raw: req.raw === undefined ? null : req.raw,
        timestamp: req.timestamp === undefined || req.timestamp === null ? Date.now() : req.timestamp
    }, 'Stels.webfix');
}

/* One all-or-nothing Stels.net commit, for the connectors' paper book (not a script API):
 * checks [[key, versionstamp|null]], muts [[key, data] (stored as Stels.net.set stores
 * it) | [key] (delete)].  The versionstamp, or null when a check failed. */
function netCommit(checks, muts) {
    var now = Date.now(), m = [];
    for (var i = 0; i < muts.length; i++) {
        var k = muts[i][0];
        m.push(muts[i].length > 1 ? [k, { channel: k.join('.'), raw: muts[i][1] === undefined ? null : muts[i][1], timestamp: now }] : [k]);
    }
    return host.commit(0, jsonText([checks, m], 'Stels.net commit'));
}

return { net: net, local: local, webfix: webfix, commit: netCommit };
}
