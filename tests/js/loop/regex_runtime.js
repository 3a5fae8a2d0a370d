// RegExp(source, flags) built at run time behaves as the literal with the same text
const src = "(?<year>\\d{4})-(?<month>\\d{2})";
const re = new RegExp(src), lit = /(?<year>\d{4})-(?<month>\d{2})/;
const m = re.exec("on 2024-05 and 2025-06"), ml = lit.exec("on 2024-05 and 2025-06");
print(m.groups.year, m.groups.month, m[1], m.index, JSON.stringify(m.groups) === JSON.stringify(ml.groups));
print(re.source === lit.source, re.source, re.flags, String(re), re instanceof RegExp, re.constructor === RegExp);
print("a 2024-05 b".replace(new RegExp(src), "$<month>/$<year> ($$<year>) $1"));
print("2024-05".replace(RegExp(src), (all, y, mo, off, s, g) => [all, y, mo, off, s, g.year].join("|")));
const g = new RegExp("(?<k>\\w)=(?<v>\\d)", "g");
print([..."k=1;j=2".matchAll(g)].map(x => x.groups.k + x.groups.v + "@" + x.index).join(" "));
print("k=1;j=2".replace(g, "$<v>$<k>"), "k=1;j=2".match(g).join(","), g.global);
print(new RegExp("(?<q>['\"]).*?\\k<q>").exec(`say "hi" 'x'`)[0]);
// flags s, u, y
print(new RegExp("a.b", "s").test("a\nb"), new RegExp("a.b").test("a\nb"), new RegExp("a.b", "s").dotAll, new RegExp("a.b", "si").flags);
print(new RegExp("^.$", "u").test("\u{1F600}"), new RegExp("^.$").test("\u{1F600}"), new RegExp("\\u{1F600}", "u").test("x\u{1F600}"));
print(new RegExp("^😀+$", "u").test("😀😀"), new RegExp("^[^a]$", "u").test("😀"), "a😀b".match(new RegExp(".", "gu")).length);
const st = new RegExp("foo", "y");
print(st.test("foofoo bar"), st.lastIndex, st.test("foofoo bar"), st.lastIndex, st.test("foofoo bar"), st.lastIndex, st.sticky);
// copies: RegExp(re) is re, new RegExp(re) a copy, new RegExp(re, flags) new flags
const named = /(?<a>x)\/y/gi;
print(RegExp(named) === named, new RegExp(named) === named, new RegExp(named).source, new RegExp(named, "s").flags);
print(new RegExp(named.source, named.flags + "y").flags, new RegExp(named, "i").exec("X/y").groups.a);
print(new RegExp("a/b").source, new RegExp("").source, new RegExp("(?<n>/)[/]").source, String(new RegExp("(?<n>a)", "gsuy")));
// syntax errors a literal would also get
for (const [p, f] of [["(?<a", ""], ["(?<a>.)(?<a>.)", ""], ["(?<a>.)\\k<b>", ""], ["a", "gg"], ["a", "x"], ["(", "s"]]) {
  try { new RegExp(p, f); print("no error", p, f); } catch (e) { print(e.name, e.message); }
}
// plain patterns are untouched
print(new RegExp("a+", "gi").test("xAA"), new RegExp("\\d+").exec("ab12")[0], "a,b".split(new RegExp(",")).length);
// split and search (Duktape copies the regexp for them) with rewritten patterns
print(JSON.stringify("a1b2c".split(/(?<d>\d)/)), JSON.stringify("a\nb".split(new RegExp("(?<d>.)", "s"))), "x\ny".search(new RegExp("x.y", "s")), "ab".search(/(?<n>b)/));
