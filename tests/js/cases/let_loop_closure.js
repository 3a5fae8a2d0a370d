const fns = [];
for (let i = 0; i < 3; i++) fns.push(() => i);
print(fns.map(f => f()).join(","));
const gs = [];
for (const x of ["a", "b", "c"]) { gs.push(() => x); }
print(gs.map(f => f()).join(","));
const hs = [];
let k = 0;
while (k < 3) { const j = k * 10; hs.push(() => j); k++; }
print(hs.map(f => f()).join(","));
// break/continue/return through the per-iteration function
function find(list, want) {
  for (let i = 0; i < list.length; i++) {
    const cb = () => list[i];
    if (list[i] === "skip") continue;
    if (list[i] === "stop") break;
    if (cb() === want) return "found " + i;
  }
  return "none";
}
print(find(["a", "skip", "b"], "b"), find(["a", "stop", "b"], "b"), find(["x"], "b"));
outer: for (let i = 0; i < 3; i++) {
  for (let j = 0; j < 3; j++) {
    const f = () => i * 10 + j;
    if (j === 1) continue outer;
    if (i === 2) break outer;
    print("ij", f());
  }
}
const ms = [];
for (let i = 0, n = 2; i < n; i++) { let y = i + 100; ms.push(() => y + i); }
print(ms.map(f => f()).join(","));
