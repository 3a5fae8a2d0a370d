let x = 1;
{
  let x = 2;
  print("inner", x);
}
print("outer", x);
function f() {
  if (true) { const x = "block"; print(x); }
  return x;
}
print(f());
let total = 0;
for (let i = 0; i < 3; i++) { let i2 = i * 2; total += i2; }
for (let i = 0; i < 2; i++) { total += i; }
print(total);
{ let u; print(u); u = 5; }
for (let n = 0; n < 2; n++) { let fresh; print("fresh", fresh); fresh = n; }
const c = 3;
try { c = 4; } catch (e) { print(e instanceof TypeError); }
function shadow(a) { { let a = "inner"; print(a); } return a; }
print(shadow("param"));
var g = "global-ish";
function usesOuter() { { let g = "mine"; } return g; }
print(usesOuter());
switch (1) { case 1: { let s = "case"; print(s); } }
const fixed = 1;
try { [fixed] = [2]; } catch (e) { print("destructuring const", e instanceof TypeError, fixed); }
try { fixed += 1; } catch (e) { print("compound const", e instanceof TypeError, fixed); }
try { for (const q of [1, 2]) { q++; } } catch (e) { print("const loop var", e instanceof TypeError); }
