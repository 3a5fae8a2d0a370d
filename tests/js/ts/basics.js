// TypeScript stripped of its types: every construct the lowering removes







const n = 1, s = "two";
let maybe;
let u;
let tuple = [1];
let f = (x) => x * 2;
let obj = { a: 1, b: [] };
print(n, s, maybe, u, tuple.length, f(4), obj.a);

function add(a, b, ...more) {
  return a + (b ?? 0) + more.length;
}


function over(a) { return a; }
print(add(1, 2, 3, 4), add(5), over("o"), over(7));

const id = (x) => x;
const arr = [3, 1, 2];
const sat = { k: 1 };
const el = (document_like()).v;
function document_like() { return { v: 9 }; }
let len = (u)?.length ?? -1;
print(id("id"), arr.length, sat.k, el, len);

let m = new Map();
m.set("a", [1]);
print(m.get("a").length, m.get("a")[0]);
function isStr(x) { return typeof x === "string"; }
function assertNum(x) { if (typeof x !== "number") throw new Error("nope"); }
assertNum(3);
print(isStr("q"), isStr(1));

class Shape {
  x = 0;
  y;
  z = "z";

  static count = 0;
  static secret;


  describe(unit = "u") { return this.area() + unit; }
}
class Square extends Shape {
  name = "sq";
  constructor(side, label, override_ = false) {
    super(); this.side = side; this.label = label; this.override_ = override_;
    Square.count++;
  }
  area() { return this.side * this.side; }
  get lbl() { return this.label ?? "none"; }
  set lbl(v) { }
  method(u) { return [u]; }

}
const sq = new Square(3, "L");
print(sq.describe(), sq.describe("m2"), sq.side, sq.lbl, Square.count, sq.method(1).length, "tag" in sq);
print(Object.keys(sq).join(","));

class Plain { constructor(a, b = a + 1) { this.a = a; this.b = b; } }
const pl = new Plain(1);
print(pl.a, pl.b);

var Color = {}; Color[Color.Red = 0] = "Red"; Color[Color.Green = 5] = "Green"; Color[Color.Blue = 6] = "Blue"; Color.Named = "nm";
var Dir = {}; Dir[Dir.Up = 1] = "Up"; Dir[Dir.Down = 2] = "Down"; Dir[Dir.Left = 3] = "Left";
var Str = {}; Str[Str['a-b'] = 1] = 'a-b'; Str[Str.c = 2] = "c";
print(Color.Red, Color.Green, Color.Blue, Color[5], Color.Named, Dir.Down, Dir.Left, Str['a-b'], Str.c, Str[2]);

try { JSON.parse("{"); } catch (e) { print((e).name); }
let cond = n > 0 ? (s) : "no";
print(cond, n < 2, n > 0);
for (const k of [1, 2]) print(k);
const generic = function (x) { return x; };
print(generic(5), typeof ext, typeof injected);
