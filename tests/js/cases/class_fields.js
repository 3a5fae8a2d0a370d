let made = 0;
class Counter {
  count = 0;
  label = `counter-${++made}`;
  step;
  handlers = [1, 2].map(i => () => this.count + i);
  static instances = 0;
  static kind = "C" + Counter.name.length;
  constructor(start) {
    if (start) this.count = start;
    Counter.instances++;
  }
  inc() { this.count++; return this; }
}
const a = new Counter(), b = new Counter(5);
a.inc().inc();
print(a.count, b.count, a.label, b.label, a.step, "step" in a, Counter.instances, Counter.kind);
print(a.handlers.map(h => h()).join(","));
class Base { x = "base"; constructor() { this.seenInCtor = this.x; } }
class Derived extends Base {
  y = this.x + "+derived";
  constructor() { super(); this.z = this.y.length; }
}
const d = new Derived();
print(d.x, d.y, d.z, d.seenInCtor);
class NoCtor extends Base { w = 1 }
print(new NoCtor().w, new NoCtor().x);
class Static { static a = 1; static b = Static.a + 1; static get c() { return this.b * 10; } }
print(Static.a, Static.b, Static.c);
print(Object.keys(new Counter()).join(","));
