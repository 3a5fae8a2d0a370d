// let/const/class/function bindings in the cases of a switch inside a loop are fresh each iteration
const fs = [];
for (let i = 0; i < 4; i++) {
  switch (i % 3) {
    case 0: let x = "a" + i; fs.push(() => x); break;
    case 1: { const z = "b" + i; fs.push(() => z); } // falls through
    default: const y = "d" + i; fs.push(() => y);
  }
}
print(fs.map(f => f()).join(","));
// break, continue to the loop and return from inside such a switch
function f(list) {
  const out = [];
  for (const v of list) {
    switch (typeof v) {
      case "number": let n = v * 2; out.push(() => n); continue;
      case "string": let s = v + "!"; out.push(() => s); break;
      case "boolean": return out.map(g => g()).join(",") + " stop";
    }
    out.push(() => "after " + v);
  }
  return out.map(g => g()).join(",");
}
print(f([1, "x", 2]));
print(f([3, true, "y"]));
let k = 0;
const hs = [];
outer: while (k < 5) {
  k++;
  switch (k) {
    case 2: continue outer;
    case 4: break outer;
    default: class C { v() { return k; } } const c = new C(); const kk = k; hs.push(() => kk + ":" + c.v());
  }
}
print(hs.map(h => h()).join(","));
