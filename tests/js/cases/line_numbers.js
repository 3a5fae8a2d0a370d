const a = 1;
let b = `x
y`;
const f = () => {
  const { c } = { c: 3 };
  return c;
};
function thrower() {
  throw new Error("line 9");
}
try { thrower(); } catch (e) { print(e.message); }
class K {
  m() {
    return [1].map(x => x?.y ?? undefinedVar);
  }
}
new K().m();
