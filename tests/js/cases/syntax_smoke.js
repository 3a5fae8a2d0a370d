const o = { a: { b: { c: () => "deep" } } };
const t = 1 ? 2 ? "x" : "y" : "z";
const curry = a => b => c => a * b * c;
print(t, curry(2)(3)(4), o?.a?.b?.c?.(), typeof typeof 1, void 0);
let a1 = 1, b1 = 2;
[a1, b1] = [b1, a1];
({ a1 } = { a1: a1 * 10 });
print(a1, b1);
let la = null, lb = null;
la ||= lb ||= "chained";
print(la, lb);
const q = { "b-c": 1, 'single': 2, 3: "three", [`t${1}`]: 4, };
print(q["b-c"], q.single, q[3], q.t1);
class M {
  static static() { return "static named static"; }
  async get() { return "async get"; }
  get async() { return "getter named async"; }
  "quoted method"() { return "quoted"; }
  123() { return "numeric"; }
  get [Symbol.toStringTag]() { return "MTag"; }
}
const m = new M();
print(M.static(), await m.get(), m.async, m["quoted method"](), m[123](), String(m));
let x = 5;
const y = x
++x
print(y, x);
const div = (x + 1) / 2, post = x++ / 2;
print(div, post);
print((-2) ** 2, 2 ** -2);
do x--; while (x > 3)
print(x);
for (;;) { break; }
var { v1, v2 = "d" } = { v1: "v" };
print(v1, v2);
let let_ = [1]; let [l0] = let_;
print(l0);
const arr = [1, , 3,];
print(arr.length, 1 in arr);
print([..."ab"].concat([...[]]).length);
const fnExpr = function named(n) { return n ? named(n - 1) + 1 : 0; };
print(fnExpr(3));
print(((a, b = a * 2, ...r) => a + b + r.length)(1, undefined, 9, 9));
print(`${`${`${"deep"}`}`}`);
if (x) print("if without braces"); else print("else");
print([1, 2, 3].map((n) => n ** 2).filter(Boolean).reduce((s, n) => s + n));
print(new (class { constructor() { this.v = "anon class" } })().v);
print(Object.entries({ k: 1 }).map(([k, v]) => `${k}=${v}`).join());
