// class constructors need new (TypeError as in Node); subclasses and super() still work
class A { constructor(x) { this.x = x; } }
class B extends A { constructor() { super(2); this.y = 3; } }
class C { f = 1; }
class D extends C {}
class E extends Error { constructor(m) { super(m); this.name = 'E'; } }
for (const K of [A, B, C, D, E]) {
  try { K(1); print('called', K.name); } catch (e) { print(e.name, e.message); }
}
const b = new B();
print(b.x, b.y, b instanceof A, new D().f, new E('m').message, new E('m') instanceof Error);
// a call with `this` already an instance is still a call without new
const a = new A(1);
for (const [K, obj] of [[A, a], [B, b], [C, new C()], [D, new D()], [E, new E('z')]]) {
  try { K.call(obj, 5); print('called', K.name); } catch (e) { print(e.name, e.message); }
  try { K.apply(obj, [5]); print('applied', K.name); } catch (e) { print(e.name, e.message); }
}
try { A.call(Object.create(A.prototype)); print('called'); } catch (e) { print(e.message); }
// other ways of constructing still work
const args = [7];
print(new A(...args).x, Reflect.construct(A, [8]).x, new (A.bind(null, 9))().x, new B(...args).y);
class F extends B { constructor(...r) { super(...r); this.z = 4; } }
const f = new F();
print(f.x, f.y, f.z, f instanceof A, a.x);
