class Animal {
  constructor(name) { this.name = name; }
  speak() { return `${this.name} makes a sound`; }
  get description() { return "Animal " + this.name; }
  static create(n) { return new this(n); }
}
class Dog extends Animal {
  speak() { return super.speak() + " (woof)"; }
  get description() { return super.description + " (dog)"; }
}
class Puppy extends Dog {
  constructor(name) { super(name + " jr"); }
  speak() { return super.speak() + " (yip)"; }
}
const p = Puppy.create("Rex");
print(p.speak());
print(p.description);
print(p instanceof Dog, Object.getPrototypeOf(Puppy) === Dog);
for (const k in p) print("own enumerable:", k);
class Shape {
  area() { return 0; }
  toString() { return `${this.constructor.name}(${this.area()})`; }
}
class Sq extends Shape {
  constructor(s) { super(); this.s = s; }
  area() { return this.s ** 2; }
}
print(String(new Sq(3)), `${new Sq(2)}`);
const mixin = (Base) => class extends Base { mixed() { return "mixed " + this.s; } };
class Mixed extends mixin(Sq) {}
print(new Mixed(4).mixed(), new Mixed(4).area());
class Acc {
  constructor() { this._v = 1; }
  get v() { return this._v; }
  set v(x) { this._v = x * 10; }
  static get sv() { return "static getter"; }
}
const acc = new Acc();
acc.v = 5;
print(acc.v, Acc.sv, Object.keys(Acc.prototype).length);
class WithArrowField {
  constructor() { this.handlers = [1, 2].map(i => () => this.tag + i); this.tag = "H"; }
}
print(new WithArrowField().handlers.map(h => h()).join(","));
class Err2 extends TypeError {}
try { throw new Err2("typed"); } catch (e) { print(e instanceof TypeError, e instanceof Err2, e.message); }
let cnt = 0;
class Chain { inc() { cnt++; return this; } }
new Chain().inc().inc();
print(cnt);
class Ctor { constructor(a = 1, ...rest) { this.a = a; this.r = rest.length; } }
print(new Ctor().a, new Ctor(5, 6, 7).r);
class SupSet { m() { super.x = 5; super.y ??= 1; return this.x + this.y; } }
print(new SupSet().m());
