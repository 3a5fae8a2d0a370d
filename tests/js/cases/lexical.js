/* block comment
   spanning lines */ const \u0061bc = 1; // trailing comment
const ünïcödé = 2, $dollar = 3, _under = 4, \u{62}cd = 5;
print(abc, ünïcödé, $dollar, _under, bcd);
print("\u{1F600}".length, "\x41\u0042\103", 'single \'quoted\'', "tab\tend".length);
print("line \
continued");
print(0.1 + 0.2, 1e-7, 5e21, 0x1F, 1_0.0_1, .5e1);
const re = /[/*]/g; /* not a comment start: */ const re2 = /\/\*/;
print(re.test("*"), re2.test("/*"));
print(`template // not a comment ${"/* nor this */"}`);
const a = 1, b = 2, g = 1;
print(a / b / g, a /b/ g);
const fetchList = async () => [1, 2];
const getAll = async ({ items = [] } = {}) => items.length;
let n = 0;
for (const x of await fetchList()) n += x;
print(n, await getAll({ items: [1, 2, 3] }), await getAll());
print(`awaited ${await Promise.resolve("in template")}`);
const obj = { await: 1, yield: 2, let: 3, static: 4, async: 5, get: 6, set: 7, of: 8, new: 9, class: 10 };
print(Object.keys(obj).join(","), obj.new + obj.class);
