function Counter() {
  this.n = 0;
  this.incLater = () => { this.n++; return this; };
}
const c = new Counter();
c.incLater(); c.incLater();
print(c.n);
const o = {
  name: "o",
  method() {
    const inner = () => this.name + ":" + arguments.length;
    return inner();
  },
  deep() {
    return [1].map(() => [2].map(() => this.name)[0])[0];
  },
};
print(o.method(1, 2, 3), o.deep());
function outer() {
  const f = () => arguments[0];
  return f("inner-ignored");
}
print(outer("outer-arg"));
class K { constructor() { this.v = 5; } get() { return [1, 2].map(x => x * this.v); } }
print(new K().get().join(","));
