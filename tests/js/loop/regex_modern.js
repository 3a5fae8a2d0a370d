// named groups: exec, match, matchAll, replace ($<name>, replacer's groups), \k
const re = /(?<year>\d{4})-(?<month>\d{2})/;
const m = re.exec("on 2024-05 and 2025-06");
print(m.groups.year, m.groups.month, m[1], m.index);
print(Object.keys(m.groups).join(","), Object.getPrototypeOf(m.groups) === null);
const m2 = "x 1999-12".match(/(?<y>\d+)-(?<mo>\d+)/);
print(m2.groups.y, m2.groups.mo);
print("a 2024-05 b".replace(/(?<y>\d+)-(?<m>\d+)/, "$<m>/$<y> ($$<y>) $1"));
print("2024-05".replace(/(?<y>\d+)-(?<m>\d+)/, (all, y, mo, off, s, g) => [all, y, mo, off, s, g.y, g.m].join("|")));
print("a1b2c3".replaceAll(/(?<d>\d)/g, "<$<d>>"));
for (const x of "k=1;j=2".matchAll(/(?<key>\w)=(?<val>\d)/g)) print(x.groups.key, x.groups.val, x.index);
print(/(?<q>['"]).*?\k<q>/.exec(`say "hi" 'x'`)[0]);
print(/(?<a>x)\k<a>1/.test("xx1"), /(?<a>x)\k<a>1/.test("xx"));
const opt = /(?<a>a)|(?<b>b)/.exec("b");
print(opt.groups.a, opt.groups.b, "a" in opt.groups);
print(/(a)/.exec("a").groups);
print(/\k<x>/.test("k<x>"));
// the s (dotAll) flag
print(/a.b/s.test("a\nb"), /a.b/.test("a\nb"), /a[.]b/s.test("a\nb"), /a.b/s.dotAll);
print("l1\nl2".replace(/1.l/s, "-"));
// the u flag
print(/^.$/u.test("\u{1F600}"), /^.$/.test("\u{1F600}"), /\u{1F600}/u.test("x\u{1F600}"), /^\u{41}$/u.test("A"));
print(/^[^a]$/u.test("\u{1F600}"), /^\S$/u.test("\u{1F600}"), /^(?:😀)+$/u.test("😀😀"), /^😀+$/u.test("😀😀"));
print("a😀b".match(/./gu).length, "a😀b".match(/./g).length);
// the y (sticky) flag
const st = /foo/y;
print(st.test("foofoo bar"), st.lastIndex, st.test("foofoo bar"), st.lastIndex, st.test("foofoo bar"), st.lastIndex);
const tok = /\s*(\d+|[+*])/y, out = [];
let t;
while ((t = tok.exec("1 + 22 * 3")) !== null) out.push(t[1]);
print(out.join(" "), tok.sticky, tok.global);
const g2 = /a/gy;
print("aab".replace(/a/g, "x"), g2.exec("aab") !== null, g2.lastIndex, g2.exec("aab") !== null, g2.exec("aab"));
