// reading or writing a let/const/class from a closure before its declaration ran throws ReferenceError
function early() { return x; }
try { early(); } catch (e) { print(e.name, e.message); }
let x = 1;
print(early());
const read = () => cfg.name;
try { read(); } catch (e) { print(e.name, e.message); }
const cfg = { name: "cfg" };
print(read());
function setY(v) { y = v; }
try { setY(5); } catch (e) { print(e.name, e.message); }
let y = 0;
setY(6);
print(y);
function bump() { z++; return z; }
try { bump(); } catch (e) { print(e.name, e.message); }
let z = 10;
print(bump());
function make() { return new K(); }
try { make(); } catch (e) { print(e.name, e.message); }
class K { constructor() { this.k = "K"; } }
print(make().k);
function typeofEarly() { return typeof w; }
try { typeofEarly(); } catch (e) { print(e.name, e.message); }
let w;
print(typeofEarly(), w);
// inside a function: each call has its own bindings
function outer(callFirst) {
  const get = () => v;
  if (callFirst) { try { get(); } catch (e) { return "tdz " + e.message; } }
  const v = "ok";
  return get();
}
print(outer(true), outer(false));
// in a block in a loop
const fs = [];
for (let i = 0; i < 2; i++) {
  const f = () => late + i;
  try { f(); } catch (e) { fs.push(e.name); }
  let late = 100;
  fs.push(f());
}
print(fs.join(","));
// a closure created after the declaration: no check needed, still right
let after = "a";
const g = () => after;
after = "b";
print(g());
