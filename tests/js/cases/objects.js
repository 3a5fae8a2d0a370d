const x = 1, y = 2;
const k = "dyn";
const o = {
  x, y,
  [k]: "v",
  [`t${x}`]: "tpl",
  m() { return this.x + this.y; },
  get g() { return "G" + this.x; },
  set s(v) { this._s = v; },
  async am() { return 5; },
  "quoted key": 1,
  12: "num",
  default: "kw",
};
o.s = 9;
print(o.x, o.y, o.dyn, o.t1, o.m(), o.g, o._s, o["quoted key"], o[12], o.default);
print(Object.keys(o).join(","));
const c = { [k + "2"]: 1, get [k]() { return "computed getter"; } };
print(c.dyn2, c.dyn);
print(await o.am());
