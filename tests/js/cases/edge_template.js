const user = { name: "Ann", tags: ["a", "b"] };
print(`User: ${user.name}, tags: ${user.tags.map(t => `<${t}>`).join("")}`);
print(`${1}${2}${3}`);
print(`a${`b${`c${`d`}`}`}`);
print(`brace } in text { and ${"${"} literal`);
print(`obj: ${{}.constructor.name} fn: ${(() => "arrow")()}`);
const html = (s, ...v) => s.reduce((acc, str, i) => acc + str + (i < v.length ? `[${v[i]}]` : ""), "");
print(html`<p>${"x"}</p><b>${2 + 2}</b>`);
print(`line1
  line2\tTab ${"end"}`);
print(`\u{48}\u0069 \x21`);
print(`${[1, 2, 3].map((x) => {
  return x * 2;
}).join("-")}`);
const tagRaw = (s) => s.raw[0];
print(tagRaw`\n\t\unicode`);
print(`${null} ${undefined} ${true} ${0.5}`);
print(`value: ${{ toString() { return "TS"; }, valueOf() { return "VO"; } }}`);
