const re = /(?<y>\d{4})-(?<m>\d\d)\k<y>[^\u{1F600}.]/gsuy, t = /a.b(?:c|\S)*/s;
const o = { __proto__: Object.prototype, m() { return super.toString(); }, get g() { return super.x; }, set s(v) { super.s = v; } };
function early() { return late + 1; }
a: b: for (const x of [1, 2]) { switch (x) { case 1: let k = x; (() => k)(); continue a; } }
function* g() { try { yield* [1]; } catch (e) { yield e; } }
class A { constructor(m) { this.e = new Error(m, { cause: m }); } }
let late = 1;
