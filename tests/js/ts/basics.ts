// TypeScript stripped of its types: every construct the lowering removes
interface Point { x: number; y?: number; readonly z: string }
interface Named<T> extends Point { name: T }
type Pair<A, B = string> = [A, B] | { a: A; b: B };
type Fn = (a: number, ...rest: string[]) => void;
declare const injected: number;
declare function ext(a: string): void;
declare namespace NS { const v: number; }
import type { Foo } from "./foo";
export type { Foo as Bar };

const n: number = 1, s: string = "two";
let maybe!: number;
let u: string | undefined;
let tuple: [number, string?] = [1];
let f: (x: number) => number = (x: number): number => x * 2;
let obj: { a: number; b: Array<Map<string, number>> } = { a: 1, b: [] };
print(n, s, maybe, u, tuple.length, f(4), obj.a);

function add<T extends number>(a: T, b?: T, ...more: T[]): number {
  return a + (b ?? 0) + more.length;
}
function over(a: string): string;
function over(a: number): number;
function over(a: any): any { return a; }
print(add<number>(1, 2, 3, 4), add(5), over("o"), over(7));

const id = <T,>(x: T): T => x;
const arr = [3, 1, 2] as const;
const sat = { k: 1 } satisfies Record<string, number>;
const el = (document_like() as any as { v: number }).v;
function document_like(): unknown { return { v: 9 }; }
let len = (u as string | undefined)?.length ?? -1;
print(id<string>("id"), arr.length, sat.k, el, len);

let m = new Map<string, number[]>();
m.set("a", [1]);
print(m.get("a")!.length, m.get("a")![0]);
function isStr(x: unknown): x is string { return typeof x === "string"; }
function assertNum(x: unknown): asserts x is number { if (typeof x !== "number") throw new Error("nope"); }
assertNum(3);
print(isStr("q"), isStr(1));

abstract class Shape<T = number> implements Point {
  x: number = 0;
  y?: number;
  readonly z: string = "z";
  declare tag: string;
  static count: number = 0;
  private static secret?: string;
  [key: string]: any;
  protected abstract area(): number;
  public describe(this: Shape, unit: string = "u"): string { return this.area() + unit; }
}
class Square extends Shape<number> implements Named<string> {
  name: string = "sq";
  constructor(public side: number, private readonly label?: string, protected override_: boolean = false) {
    super();
    Square.count++;
  }
  protected area(): number { return this.side * this.side; }
  get lbl(): string { return this.label ?? "none"; }
  set lbl(v: string) { }
  method<U>(u: U): U[] { return [u]; }
  optional?(): void;
}
const sq = new Square(3, "L");
print(sq.describe(), sq.describe("m2"), sq.side, sq.lbl, Square.count, sq.method<number>(1).length, "tag" in sq);
print(Object.keys(sq).join(","));

class Plain { constructor(readonly a: number, public b = a + 1) { } }
const pl = new Plain(1);
print(pl.a, pl.b);

enum Color { Red, Green = 5, Blue, Named = "nm" }
const enum Dir { Up = 1, Down = Up * 2, Left = Down + 1 }
enum Str { 'a-b' = 1, c }
print(Color.Red, Color.Green, Color.Blue, Color[5], Color.Named, Dir.Down, Dir.Left, Str['a-b'], Str.c, Str[2]);

try { JSON.parse("{"); } catch (e: unknown) { print((e as Error).name); }
let cond = n > 0 ? (s) : "no";
print(cond, n < 2, n > 0);
for (const k of [1, 2] as number[]) print(k);
const generic = function <T>(x: T): T { return x; };
print(generic(5), typeof ext, typeof injected);
