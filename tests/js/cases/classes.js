class A {
  constructor(x) { this.x = x; }
  hello() { return "A" + this.x; }
  static make() { return new this(1); }
  get dbl() { return this.x * 2; }
  set dbl(v) { this.x = v / 2; }
  toString() { return "A(" + this.x + ")"; }
}
class B extends A {
  constructor(x, y) { super(x); this.y = y; }
  hello() { return "B>" + super.hello(); }
  static make() { return "B.make:" + super.make().x; }
}
class C extends B {
  hello() { return "C>" + super.hello(); }
}
const c = new C(5, 6);
print(c.hello(), c.y, c.dbl, String(c));
c.dbl = 20;
print(c.x, B.make(), c instanceof A, c instanceof B, c.constructor === C);
print(Object.keys(c).join(","), typeof A, A.name);
class E extends Error { constructor(m) { super(m); this.name = "E"; } }
try { throw new E("bad"); } catch (e) { print(e instanceof E, e instanceof Error, e.message, e.name); }
const Anon = class { v() { return "anon"; } };
print(new Anon().v());
const k = "dyn";
class D { [k]() { return "computed"; } static [k + "S"]() { return "static computed"; } }
print(new D().dyn(), D.dynS());
class Base { greet() { return "base"; } }
class Mid extends Base { greet() { return "mid+" + super.greet(); } }
class Leaf extends Mid { greet() { const f = () => super.greet(); return "leaf+" + f(); } }
print(new Leaf().greet());
class Counter { constructor() { this.n = 0; } inc() { this.n++; return this; } }
print(new Counter().inc().inc().n);
class NoCtor extends A {}
print(new NoCtor(9).hello());
