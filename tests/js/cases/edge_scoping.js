const out = [];
{
  let a = 1;
  { let a = 2; out.push(a); }
  out.push(a);
}
{
  let a = 3;
  out.push(a);
}
print(out.join(","));
function f(x) {
  const r = [];
  if (x) { let x = "shadow"; r.push(x); }
  r.push(x);
  try { throw 1; } catch (x) { let y = x + 1; r.push(y); }
  r.push(x);
  return r.join(",");
}
print(f("param"));
let g = "top";
function readsTop() { return g; }
{ let g = "block"; print(readsTop(), g); }
print(g);
const closures = [];
for (let i = 0; i < 3; i++) {
  let j = i;
  closures.push(function () { return j + i; });
}
print(closures.map(c => c()).join(","));
function tdzFree() {
  let v;
  for (let i = 0; i < 2; i++) { let v; if (i === 0) v = "set"; out.push(String(v)); }
  return v;
}
print(tdzFree(), out.slice(3).join(","));
var arguments2 = 1;
const cls = class Named { who() { return Named.name; } };
print(new cls().who());
