// Error options: cause (ES2022), for Error, the other native errors and user subclasses
const root = new Error("root");
const e1 = new Error("outer", { cause: root });
print(e1.message, e1.cause === root, Object.keys(e1).length, Object.getOwnPropertyDescriptor(e1, "cause").enumerable);
const e2 = new TypeError("bad type", { cause: 42 });
print(e2 instanceof TypeError, e2.cause, e2.name);
print("cause" in new RangeError("r", {}), "cause" in new Error("x"), "cause" in new Error("y", undefined));
print(new SyntaxError("s", { cause: undefined }).hasOwnProperty("cause"));
class AppError extends Error {
  constructor(msg, opts) { super(msg, opts); this.name = "AppError"; }
}
class DbError extends AppError {}
const e3 = new DbError("db down", { cause: e2 });
print(e3.message, e3.name, e3.cause === e2, e3 instanceof DbError, e3 instanceof Error);
try {
  try { null.x; } catch (inner) { throw new Error("wrapped", { cause: inner }); }
} catch (e) { print(e.message, e.cause instanceof TypeError); }
const Error2 = function (m, o) { this.m = m; this.o = o; };
{ const Error = Error2; const x = new Error("local", { cause: 1 }); print(x.m, x.o.cause, "cause" in x); }
