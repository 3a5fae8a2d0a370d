try { print(early); } catch (e) { print(e.name); }
let early = 1;
function f() {
  const value = 2;
  try { later = 3; } catch (e) { print("write before init", e.name); }
  let later;
  return value;
}
print(f());
try { new Klass(); } catch (e) { print("class", e.name); }
class Klass {}
const fine = () => early2;
let early2 = "closure after init";
print(fine());
{
  try { typeof blockScoped; } catch (e) { print("typeof", e.name); }
  let blockScoped;
}
const outerName = "outer";
function params(a = outerName) { let outerName = "body"; return a + "/" + outerName; }
print(params());
