// closures capturing loop variables in various loop shapes
const a = [];
for (let i = 0; i < 3; i++) {
  setLater(() => i);
  if (i === 1) { i++; }
}
function setLater(f) { a.push(f); }
print(a.map(f => f()).join(","));
const b = [];
for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) b.push(() => `${i}${j}`);
print(b.map(f => f()).join(","));
const c = [];
for (const k in { x: 1, y: 2 }) c.push(() => k);
print(c.map(f => f()).join(","));
const d = [];
let n = 0;
do { const v = n; d.push(() => v); } while (++n < 3);
print(d.map(f => f()).join(","));
function early() {
  for (const x of [1, 2, 3]) {
    const f = () => x;
    if (f() === 2) return "ret" + f();
  }
  return "none";
}
print(early());
function sw(list) {
  const out = [];
  for (const x of list) {
    const f = () => x;
    switch (x) {
      case 1: out.push("one"); break;
      case 2: continue;
      default: out.push(f());
    }
    out.push("after" + x);
  }
  return out.join(" ");
}
print(sw([1, 2, 3]));
const thisTest = {
  v: "T",
  run() {
    const out = [];
    for (let i = 0; i < 2; i++) out.push(() => this.v + i + arguments.length);
    return out.map(f => f()).join(",");
  },
};
print(thisTest.run(1, 2));
var hoisted = [];
for (let i = 0; i < 2; i++) { var inside = i; hoisted.push(() => i); }
print(inside, hoisted.length);
async function asyncLoop() {
  const out = [];
  for (let i = 0; i < 2; i++) { out.push(await Promise.resolve(() => i)); }
  return out.map(f => f()).join(",");
}
print(await asyncLoop());
