// yield* forwards throw() and return() to the inner iterator; catch clauses in generators do not see return()
const log = [];
function* inner() {
  try {
    while (true) {
      try { const v = yield "i"; log.push("got " + v); }
      catch (e) { log.push("inner caught " + e); yield "recovered"; }
    }
  } finally { log.push("inner finally"); }
}
function* outer() {
  try { const r = yield* inner(); log.push("never " + r); }
  finally { log.push("outer finally"); }
}
let g = outer();
print(JSON.stringify([g.next(), g.next(1), g.throw("boom"), g.next(2)]));
print(JSON.stringify(g.return(7)), JSON.stringify(g.next()));
print(log.join("; "));
// return() of the inner decides: its finally yields, so the outer goes on
function* stubborn() { try { yield 1; } finally { yield "cleanup"; } }
function* wrap() { yield* stubborn(); yield "after"; }
g = wrap();
print(JSON.stringify([g.next(), g.return(5), g.next(), g.next()]));
// a catch in a generator does not catch return()
function* guarded() { try { yield 1; yield 2; } catch (e) { log.push("caught " + e); } finally { log.push("fin"); } }
g = guarded();
g.next();
print(JSON.stringify(g.return(9)), log.slice(-1)[0], log.some(x => String(x).indexOf("caught [object") === 0));
function* guarded2() { try { yield 1; } catch { yield "bad"; } }
g = guarded2(); g.next();
print(JSON.stringify(g.return(3)));
// throw() into yield* over an iterator without throw(): TypeError, and the iterator is closed
let closed = false;
const plain = { [Symbol.iterator]() { return { next: () => ({ value: 1, done: false }), return() { closed = true; return {}; } }; } };
function* overPlain() { yield* plain; }
g = overPlain(); g.next();
try { g.throw(new Error("x")); } catch (e) { print(e instanceof TypeError, closed); }
// return() through yield* of an array (no return method): completes
function* overArr() { try { yield* [1, 2, 3]; } finally { log.push("arr fin"); } }
g = overArr(); g.next();
print(JSON.stringify(g.return(4)), log.slice(-1)[0]);
// async generators
async function* ainner() { try { yield "a"; yield "b"; } finally { log.push("ainner finally"); } }
async function* aouter() { try { yield* ainner(); } catch (e) { log.push("never"); } }
const ag = aouter();
print(JSON.stringify(await ag.next()), JSON.stringify(await ag.return(8)), log.slice(-1)[0]);
async function* athrower() { try { yield 1; } catch (e) { yield "ainner caught " + e; } }
async function* aouter2() { yield* athrower(); }
const ag2 = aouter2();
await ag2.next();
print(JSON.stringify(await ag2.throw("zap")));
