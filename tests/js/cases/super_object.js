// super in object literal methods, getters, setters and arrows inside them (home object = the literal)
const base = {
  hi() { return "base hi " + this.n; },
  get g() { return "bg" + this.n; },
  set v(x) { this.stored = "base:" + x; },
  n: 0
};
const o = {
  __proto__: base,
  n: 1,
  hi() { return "o:" + super.hi(); },
  get g() { return "og:" + super.g; },
  set v(x) { super.v = x + 1; },
  arrow() { const f = () => super.hi(); return f(); },
  ["comp" + 1]() { return super.hi(); },
  async am() { return super.hi(); }
};
print(o.hi(), o.g, o.arrow(), o.comp1(), Object.getPrototypeOf(o) === base, o.hasOwnProperty("__proto__"));
o.v = 5;
print(o.stored, Object.keys(o).indexOf("stored") >= 0);
print(o.hi.name, typeof o.hi);
// home is fixed: a method borrowed by another object still looks up from its home's prototype
const other = { n: 7, hi: o.hi };
print(other.hi());
const lit = { __proto__: null, a: 1 }, lit2 = { __proto__: 5 }, lit3 = { "__proto__": base }, lit4 = { ["__proto__"]: 1 };
print(Object.getPrototypeOf(lit), Object.getPrototypeOf(lit2) === Object.prototype, Object.getPrototypeOf(lit3) === base, Object.keys(lit4).join());
// prototype set afterwards
const p = { n: 2, hi() { return super.hi ? super.hi() : "none"; } };
print(p.hi());
Object.setPrototypeOf(p, base);
print(p.hi());
// several literals from one function: each has its own home
const protos = [{ who() { return "A"; } }, { who() { return "B"; } }];
const made = protos.map(pr => { const x = { who() { return "x" + super.who(); } }; Object.setPrototypeOf(x, pr); return x; });
print(made[0].who(), made[1].who());
o.am().then(v => print("async", v));
