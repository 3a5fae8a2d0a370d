try { JSON.parse("{"); } catch { print("optional catch binding"); }
print(1_000_000, 0b1010, 0o17, 0xff, .5, 1e3);
const label = "x";
lbl: { print("in block"); break lbl; }
print("after");
const big = { a: [1, { b: 2 }] };
print(JSON.stringify(big));
print(typeof undefinedThing);
var count = 0;
do count++; while (count < 3)
print(count);
print(void 0 === undefined, !!"x");
const fns = { "async": 1, get: 2, set: 3, of: 4, let: 5, static: 6 };
print(fns.async + fns.get + fns.set + fns.of + fns.let + fns.static);
let async = 2;
print(async);
print([1, 2, 3].includes(2));
print("\u{1F600}".length);
return;
print("unreachable");
