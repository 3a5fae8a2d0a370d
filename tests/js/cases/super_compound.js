// super.x += v, super[k]++, super.x ||= v and [super.x] = a read through super's getter and write through its setter
const log = [];
class A {
  constructor() { this._x = 1; this.n = 5; }
  get x() { log.push("get A.x"); return this._x * 10; }
  set x(v) { log.push("set A.x " + v); this._x = v; }
}
class B extends A {
  bump() { super.x += 2; return [this._x, Object.prototype.hasOwnProperty.call(this, "x")]; }
  inc() { const a = super.x++; const b = ++super.x; return [a, b, this._x]; }
  dec(k) { const r = super[k]--; return [r, this[k]]; }
  keyOnce(k) { let i = 0; super[(i++, k)] -= 3; return [i, this._x]; }
  logical() { super.x ||= 7; super.y ??= 4; super.z &&= 9; return [this._x, this.y, this.z]; }
  pow() { super.x **= 2; return this._x; }
  destructure() { [super.x, super.q] = [3, 4]; return [this._x, this.q]; }
  str() { super.s = "a"; super.s += "b"; return this.s; }
}
const b = new B();
print(b.bump(), log.splice(0).join("; "));
print(b.inc(), log.splice(0).join("; "));
print(b.dec("n"), b.keyOnce("x"), log.splice(0).join("; "));
print(b.logical(), log.splice(0).join("; "));
print(b.pow(), log.splice(0).join("; "));
print(b.destructure(), log.splice(0).join("; "));
print(b.str());
const base = { get v() { return this._v || 100; }, set v(x) { this._v = x + 1; } };
const obj = { __proto__: base, m() { super.v += 5; return this._v; }, n() { return super.v++; }, o() { return --super.v; } };
print(obj.m(), obj.n(), obj._v, obj.o(), obj._v);
class S { static get c() { return 1; } static set c(v) { log.push("static set " + v); } }
class T extends S { static go() { super.c += 1; super.c++; return log.splice(0).join("; "); } }
print(T.go());
class U extends A { arrow() { const f = () => { super.x *= 2; }; f(); return this._x; } }
print(new U().arrow(), log.splice(0).join("; "));
