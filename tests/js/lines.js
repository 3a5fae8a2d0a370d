// Every line that calls boom() must report its own line number.
const seen = [];
const t = (f) => { try { f(); } catch (e) { seen.push(e.lineNumber); } };
t(() => boom());
const tpl = `first
second ${1 +
  2}
third`;
t(() => boom());
class A extends Object {
  constructor() {
    super();
    t(() => boom());
  }
  m({ a, b = 2 } = {}, ...rest) {
    t(() => boom());
    return a?.b ?? rest;
  }
}
new A().m();
t(() => boom());
const { x, y: [z = 3] = [] } = {
  x: 1,
};
t(() => boom());
for (const q of [1]) {
  const g = () => q;
  t(() => boom());
}
const o = {
  [`k${1}`]: 1,
  ...{ s: 2 },
  m() { return 1; },
};
t(() => boom());
async function af() {
  await null;
  t(() => boom());
}
await af();
let n = 2 **
  3;
t(() => boom());
const r = /re/g.test("re") &&
  `x` ? 1 : 2;
t(() => boom());
tag`a${1}
b${2}`;
function tag() { t(() => boom()); }
t(() => boom());
label: for (let i = 0; i < 2; i++) {
  const f = () => i;
  if (i) break label;
  t(() => boom());
}
t(() => boom());
print(seen.join(","));
boom();
