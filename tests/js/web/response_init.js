// new Response(body, init): the common shapes (string or no body, integer status,
// string statusText, a plain object of string headers) and their edges, each
// printed the same way, so a fast path for the common case must agree with Node.
async function show(label, make) {
  let r;
  try { r = make(); } catch (e) { console.log(label, 'throws', e.name); return; }
  console.log(label, r.status, r.ok, JSON.stringify(r.statusText), JSON.stringify([...r.headers]),
              r.bodyUsed, JSON.stringify(await r.text()));
}
await show('plain', () => new Response('hi'));
await show('none', () => new Response());
await show('null body', () => new Response(null, { status: 204 }));
await show('status', () => new Response('x', { status: 201, statusText: 'Made' }));
await show('headers', () => new Response('x', { headers: { 'X-A': '1', 'content-type': 'text/html' } }));
await show('empty init', () => new Response('x', {}));
await show('undefined init', () => new Response('x', undefined));
await show('599', () => new Response('x', { status: 599 }));
await show('200.0', () => new Response('x', { status: 200.0 }));
await show('1000', () => new Response('x', { status: 1000 }));
await show('199', () => new Response('x', { status: 199 }));
await show('200.5', () => new Response('x', { status: 200.5 }));
await show('string status', () => new Response('x', { status: '202' }));
await show('204 with body', () => new Response('x', { status: 204 }));
await show('bad name', () => new Response('x', { headers: { 'bad name': '1' } }));
await show('bad value', () => new Response('x', { headers: { 'x-a': 'a\nb' } }));
await show('numeric value', () => new Response('x', { headers: { 'x-n': 5 } }));
await show('spaces trimmed', () => new Response('x', { headers: { 'x-s': '  v  ' } }));
await show('Headers', () => new Response('x', { headers: new Headers({ 'x-h': '1' }) }));
await show('pairs', () => new Response('x', { headers: [['x-p', '1'], ['x-p', '2']] }));
await show('index keys', () => new Response('x', { headers: { 0: 'zero', 'x-b': 'b' } }));
const bare = Object.create(null);
bare['x-bare'] = 'yes';
await show('null proto', () => new Response('x', { headers: bare }));
const got = { get 'x-g'() { return 'getter'; } };
await show('getter header', () => new Response('x', { headers: got }));
const order = [];
const init = {
  get status() { order.push('status'); return 202; },
  get statusText() { order.push('statusText'); return 'OK'; },
  get headers() { order.push('headers'); return { 'x-o': '1' }; },
};
await show('getters', () => new Response('x', init));
console.log('init read', order.length, 'times');
await show('bad statusText', () => new Response('x', { statusText: 'a\nb' }));
await show('nul statusText', () => new Response('x', { statusText: 'a\0b' }));
await show('tab statusText', () => new Response('x', { statusText: 'a\tb' }));
await show('latin statusText', () => new Response('x', { statusText: 'caf\u00e9' }));
await show('wide statusText', () => new Response('x', { statusText: '\u2603' }));
await show('number statusText', () => new Response('x', { statusText: 5 }));
await show('65736', () => new Response('x', { status: 65736 }));
await show('-1', () => new Response('x', { status: -1 }));
await show('NaN', () => new Response('x', { status: NaN }));
await show('surrogate', () => new Response('\ud800x'));
await show('unicode header', () => new Response('x', { headers: { 'x-u': 'é' } }));
const c = new Response('body', { status: 203, headers: { 'x-c': '1' } }).clone();
await show('clone', () => c);
const dup = { 'X-D': 'a', 'x-d': 'b' };
await show('dup case', () => new Response('x', { headers: dup }));
