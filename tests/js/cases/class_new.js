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
