// generators and async functions: parameters (defaults, destructuring, rest, arguments, reassigned),
// for-of / spread / destructuring / yield* stepping a generator while user code also calls next, throw and return
function* count(n = 3, { step } = { step: 1 }, ...extra) {
  n = n * 1;
  for (let i = 0; i < n; i += step) yield i;
  yield arguments.length;
  yield* extra;
}
print([...count()].join(","), [...count(4, { step: 2 }, "x", "y")].join(","));
async function add(a, { b }, c = 10, ...r) { await null; a += 1; return [a + b + c, r.length, arguments.length].join("|"); }
print(await add(1, { b: 2 }), await add(1, { b: 2 }, 3, 4, 5));
const g = count(6);
const seen = [];
for (const v of g) { seen.push(v); if (v === 1) seen.push("next:" + g.next().value); if (v === 4) break; }
print(seen.join(","), JSON.stringify(g.next()));
const h = count(3);
h.next = function () { return { value: "own", done: seen.push("own") > 12 }; };
const own = [];
for (const v of h) own.push(v);
print(own.length, own[0]);
function* inner() { try { yield 1; yield 2; } catch (e) { yield "caught " + e; } finally { print("inner finally"); } }
function* outer() { const r = yield* inner(); yield "after"; }
const o = outer();
print(o.next().value, o.throw("boom").value, o.next().value, o.next().done);
const [a1, , a3, ...rest] = count(5);
print(a1, a3, rest.join(","));
const results = [];
const it = count(2)[Symbol.iterator]();
let r;
while (!(r = it.next()).done) results.push(r);
print(results.map(x => x.value).join(","), results[0] !== results[1]);
function* early() { try { yield 1; yield 2; } finally { print("early finally"); } }
for (const v of early()) { print("got", v); break; }
const m = new Map([[1, "a"]]);
function* pairs() { yield* m; }
print(JSON.stringify([...pairs()]), Array.from(count(2)).join(","));
