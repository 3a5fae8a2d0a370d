// URL parsing: each case prints the parts, or "invalid"
const cases = [
  ['https://example.com'], ['HTTP://EXAMPLE.COM:80/a/b/../c/./d?x=1#h'], ['https://user:pa ss@host.com:8443/p?q=a b#f g'],
  ['http://127.1/'], ['http://0x7f.0.0.1:8080/x'], ['http://[::1]:3000/'], ['http://[2001:db8:0:0:0:0:2:1]/'],
  ['ws://localhost:9000/socket'], ['wss://example.com:443/'], ['file:///etc/passwd'], ['mailto:someone@example.com'],
  ['data:text/plain,hello world'], ['foo://bar/baz?x#y'], ['https://example.com/%7Efoo/é?é=ü#é'],
  ['/path?x=1', 'https://example.com/a/b'], ['../up', 'https://example.com/a/b/c'], ['?q=2', 'https://example.com/a?q=1#f'],
  ['#frag', 'https://example.com/a?q=1'], ['//other.org/x', 'https://example.com/'], ['rel', 'https://example.com/dir/file'],
  ['', 'https://example.com/a?b#c'], ['http:\\\\example.com\\a\\b'], ['  https://trim.me/ \n'], ['https://ex\tample.com/'],
  ['https://example.com/a/%2e%2E/b'], ['https://example.com:65535/'], ['https://example.com:65536/'], ['not a url'],
  ['https://'], ['http://exa mple.com/'], ['https://[::1/'], ['http://1.2.3.4.5/'], ['http://256.0.0.1/'],
  ['https://example.com/?a=1&b=2&a=3'], ['HTTPS://Example.COM./'], ['http://example.com:/x'],
];
for (const [input, base] of cases) {
  try {
    const u = base === undefined ? new URL(input) : new URL(input, base);
    console.log(JSON.stringify([input, base ?? null, u.href, u.protocol, u.username, u.password, u.host, u.hostname,
                                u.port, u.pathname, u.search, u.hash, u.origin]));
  } catch (e) {
    console.log(JSON.stringify([input, base ?? null, 'invalid', e instanceof TypeError]));
  }
}
console.log(URL.canParse('https://x.y'), URL.canParse('nope'));
const u = new URL('https://example.com/a?x=1');
u.searchParams.append('y', 'two words');
u.searchParams.set('x', '3');
console.log(u.href, u.search);
u.pathname = '/new path';
u.hash = 'top';
u.port = '8080';
console.log(u.href, String(u), JSON.stringify({ u }));
u.search = '?k=v';
console.log(u.searchParams.get('k'), u.href);
u.hostname = 'other.example';
console.log(u.href, u.host);
