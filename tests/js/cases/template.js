const name = "world", n = 3;
print(`hello ${name}`);
print(`sum ${1 + 2} and ${n * 2}!`);
print(`nested ${`inner ${name.toUpperCase()} ${`deep ${n}`}`} end`);
print(`multi
line ${n}
text`);
print(`esc \` \${not} \u0041 \x42 \n`.length);
print(`${{ a: 1 }.a}${[1, 2]}`);
print(`obj ${JSON.stringify({ k: `v${n}` })}`);
function tag(strings, ...vals) {
  return strings.raw.join("|") + "#" + strings.join("|") + "#" + vals.join(",");
}
print(tag`a${1}b${2}c`);
print(tag`line\n${"x"}`);
const sites = [];
function same(s) { sites.push(s); return s; }
for (let i = 0; i < 2; i++) same`x`;
print(sites[0] === sites[1], Object.isFrozen(sites[0]));
print(`${"}"}`, `{${"{"}}`);
print(String.raw`a\n${1 + 1}\t`, String.raw({ raw: ["x", "y", "z"] }, 1, 2, 3));
