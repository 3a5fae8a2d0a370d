const add = (a, b) => a + b;
const sq = x => x * x;
const obj = () => ({ a: 1, b: [2, 3] });
const noop = () => {};
print(add(2, 3), sq(7), JSON.stringify(obj()), noop());
const nested = a => b => c => a + b + c;
print(nested(1)(2)(3));
const defaults = (a = 10, { b, c = 3 } = {}, ...rest) => [a, b, c, rest.length];
print(JSON.stringify(defaults()), JSON.stringify(defaults(1, { b: 2 }, 7, 8)));
print([1, 2, 3].map((x, i) => x * i).join(","));
const ret = () =>
  42;
print(ret());
