// labels, switch scoping, getters with computed keys, this at top level
const k = "val";
const o = { get [k]() { return "computed getter"; }, set [k](v) { this._v = v; }, [k + "2"]: 2 };
o.val = 5;
print(o.val, o._v, o.val2);
blk: {
  let inner = "in";
  if (inner) break blk;
  print("not reached");
}
const fns = [];
for (const x of [1, 2]) {
  switch (x) {
    case 1: {
      const y = x * 10;
      fns.push(() => y);
      break;
    }
    default:
      fns.push(() => x);
  }
}
print(fns.map(f => f()).join(","));
function args() { return (() => arguments.length)(); }
print(args(1, 2, 3));
const tagObj = { prefix: ">", tag(s, v) { return this.prefix + s[0] + v; } };
print(tagObj.tag`a${1}`);
print((-2) ** 2, 2 ** -1, (2 ** 3) ** 2);
const nestedFns = [];
for (let i = 0; i < 2; i++) {
  for (let j = 0; j < 2; j++) {
    if (j === 1) break;
    nestedFns.push(() => i + ":" + j);
  }
}
print(nestedFns.map(f => f()).join(","));
let shadowed = "outer";
function inner() {
  let result = [];
  for (let shadowed = 0; shadowed < 2; shadowed++) result.push(() => shadowed);
  return result.map(f => f()).join("") + shadowed;
}
print(inner());
const getThis = () => typeof this;
print(getThis());
print([1, 2, 3].reduce((acc, x) => ({ ...acc, [x]: x * x }), {})[3]);
const { a = 1, ...others } = { b: 2, c: 3 };
print(a, Object.keys(others).join(""));
print(typeof (async () => {}), typeof class {});
try { null.x; } catch ({ name }) { print("destructured catch", name); }
const chained = [3, 1, 2].sort((x, y) => x - y).map(String).join("");
print(chained);
const multiline = (x) =>
  x
    .toString()
    .split("")
    .reverse()
    .join("");
print(multiline(123));
var hoistMe = hoisted();
function hoisted() { return "hoisted fn"; }
print(hoistMe);
if (true) { function blockFn() { return "block fn"; } print(blockFn()); }
print(String([..."ab"].map((c, i) => c + i)));
print([0, 0, 0].map((_, i) => i ** 2).join(","));
let counter = 0;
const inc = () => ++counter;
inc(); inc();
print(counter);
print(`${[1, 2].map(n => `<${n}>`).join("")}`);
