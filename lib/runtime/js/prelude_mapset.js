/* Map and Set, compiled as `function (kit)` with the prelude's
 * helpers in kit and loaded into a heap on first use of G.Map or G.Set (see
 * the prelude's loadMapSet); returns [Map, Set]. */
function (kit) {
'use strict';
var force = kit.force, ITER = kit.ITER, hasSymbol = kit.hasSymbol, isCallable = kit.isCallable,
    isObject = kit.isObject, values = kit.values;

/* Entries live in insertion-ordered arrays with holes for deletions; primitive
 * keys are indexed through a dictionary, object keys are searched. */
var HOLE = {};
function primKey(k) {
    switch (typeof k) {
    case 'string': return 's' + k;
    case 'number': return 'n' + (k === 0 ? 0 : k);
    case 'boolean': return 'b' + k;
    case 'undefined': return 'u';
    default: return k === null ? 'l' : null;
    }
}
function Store_() { this.k = []; this.v = []; this.idx = Object.create(null); this.size = 0; this.iters = []; }
Store_.prototype.find = function (key) {
    var pk = primKey(key);
    if (pk !== null) { var i = this.idx[pk]; return i === undefined ? -1 : i; }
    for (var j = 0; j < this.k.length; j++) if (this.k[j] === key) return j;
    return -1;
};
Store_.prototype.set = function (key, val) {
    var i = this.find(key);
    if (i >= 0) { this.v[i] = val; return; }
    if (key === 0) key = 0; /* -0 becomes +0 */
    var pk = primKey(key);
    if (pk !== null) this.idx[pk] = this.k.length;
    this.k.push(key); this.v.push(val); this.size++;
};
Store_.prototype.remove = function (key) {
    var i = this.find(key);
    if (i < 0) return false;
    var pk = primKey(key);
    if (pk !== null) delete this.idx[pk];
    this.k[i] = HOLE; this.v[i] = undefined; this.size--;
    if (this.k.length > 32 && this.size * 2 < this.k.length) this.compact();
    return true;
};
Store_.prototype.compact = function () {
    var k = [], v = [], map = [], n = 0;
    for (var i = 0; i < this.k.length; i++) {
        map[i] = n;
        if (this.k[i] !== HOLE) { k.push(this.k[i]); v.push(this.v[i]); n++; }
    }
    map[this.k.length] = n;
    for (var j = 0; j < this.iters.length; j++) this.iters[j].i = map[this.iters[j].i];
    this.k = k; this.v = v; this.idx = Object.create(null);
    for (i = 0; i < k.length; i++) { var pk = primKey(k[i]); if (pk !== null) this.idx[pk] = i; }
};
Store_.prototype.clear = function () {
    for (var i = 0; i < this.k.length; i++) { this.k[i] = HOLE; this.v[i] = undefined; }
    this.idx = Object.create(null); this.size = 0;
    this.compact();
};
Store_.prototype.iterator = function (kind) {
    var st = this, state = { i: 0 }, done = false;
    st.iters.push(state);
    var it = {
        next: function () {
            if (!done) {
                while (state.i < st.k.length) {
                    var i = state.i++;
                    if (st.k[i] === HOLE) continue;
                    return { value: kind === 0 ? st.k[i] : kind === 1 ? st.v[i] : [st.k[i], st.v[i]], done: false };
                }
                done = true;
                var j = st.iters.indexOf(state);
                if (j >= 0) st.iters.splice(j, 1);
            }
            return { value: undefined, done: true };
        }
    };
    it[ITER] = function () { return this; };
    return it;
};
Store_.prototype.forEach = function (fn, self, owner, isSet) {
    if (!isCallable(fn)) throw new TypeError(String(fn) + ' is not a function');
    var it = this.iterator(2), r;
    while (!(r = it.next()).done) fn.call(self, isSet ? r.value[0] : r.value[1], r.value[0], owner);
};

function MapImpl(init) {
    if (!(this instanceof MapImpl)) throw new TypeError("Constructor Map requires 'new'");
    force(this, '_m', new Store_());
    if (init !== undefined && init !== null) {
        var items = values(init);
        for (var i = 0; i < items.length; i++) {
            if (!isObject(items[i])) throw new TypeError('Iterator value ' + String(items[i]) + ' is not an entry object');
            this.set(items[i][0], items[i][1]);
        }
    }
}
var Mp = MapImpl.prototype;
force(Mp, 'get', function (k) { var i = this._m.find(k); return i < 0 ? undefined : this._m.v[i]; });
force(Mp, 'set', function (k, v) { this._m.set(k, v); return this; });
force(Mp, 'has', function (k) { return this._m.find(k) >= 0; });
force(Mp, 'delete', function (k) { return this._m.remove(k); });
force(Mp, 'clear', function () { this._m.clear(); });
force(Mp, 'forEach', function (fn, self) { this._m.forEach(fn, self, this, false); });
force(Mp, 'keys', function () { return this._m.iterator(0); });
force(Mp, 'values', function () { return this._m.iterator(1); });
force(Mp, 'entries', function () { return this._m.iterator(2); });
force(Mp, ITER, Mp.entries);
Object.defineProperty(Mp, 'size', { get: function () { return this._m.size; }, configurable: true });
if (hasSymbol && Symbol.toStringTag) force(Mp, Symbol.toStringTag, 'Map');

function SetImpl(init) {
    if (!(this instanceof SetImpl)) throw new TypeError("Constructor Set requires 'new'");
    force(this, '_m', new Store_());
    if (init !== undefined && init !== null) {
        var items = values(init);
        for (var i = 0; i < items.length; i++) this.add(items[i]);
    }
}
var Sp = SetImpl.prototype;
force(Sp, 'add', function (k) { this._m.set(k, k); return this; });
force(Sp, 'has', function (k) { return this._m.find(k) >= 0; });
force(Sp, 'delete', function (k) { return this._m.remove(k); });
force(Sp, 'clear', function () { this._m.clear(); });
force(Sp, 'forEach', function (fn, self) { this._m.forEach(fn, self, this, true); });
force(Sp, 'values', function () { return this._m.iterator(0); });
force(Sp, 'keys', Sp.values);
force(Sp, 'entries', function () {
    var it = this._m.iterator(2);
    var out = { next: function () { var r = it.next(); if (!r.done) r.value = [r.value[0], r.value[0]]; return r; } };
    out[ITER] = function () { return this; };
    return out;
});
force(Sp, ITER, Sp.values);
Object.defineProperty(Sp, 'size', { get: function () { return this._m.size; }, configurable: true });
if (hasSymbol && Symbol.toStringTag) force(Sp, Symbol.toStringTag, 'Set');

return [MapImpl, SetImpl];
}
