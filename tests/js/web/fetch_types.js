const h = new Headers({ 'Content-Type': 'text/plain', 'X-Multi': 'a' });
h.append('x-multi', ' b ');
h.append('Set-Cookie', 'a=1');
h.append('set-cookie', 'b=2');
console.log(h.get('content-type'), h.get('X-MULTI'), h.has('x-none'), h.get('x-none'), JSON.stringify(h.getSetCookie()));
console.log(JSON.stringify([...h]), JSON.stringify([...h.keys()]));
h.set('x-multi', 'c'); h.delete('content-type');
console.log(JSON.stringify([...h.entries()]));
try { h.append('bad name', 'x'); } catch (e) { console.log('name', e.name); }
console.log(JSON.stringify([...new Headers([['a', '1'], ['b', '2']])]));
const r = new Response('hello', { status: 404, statusText: 'Nope', headers: { 'X-Y': 'z' } });
console.log(r.status, r.ok, r.statusText, r.headers.get('x-y'), r.headers.get('content-type'), r.bodyUsed);
console.log(await r.text(), r.bodyUsed);
try { await r.text(); } catch (e) { console.log('reuse', e.name); }
const j = Response.json({ a: [1, 2] }, { status: 201 });
console.log(j.status, j.headers.get('content-type'), JSON.stringify(await j.json()));
const bin = new Response(new Uint8Array([1, 2, 3]));
console.log(Array.from(new Uint8Array(await bin.arrayBuffer())).join(','), bin.headers.get('content-type'));
try { await new Response('{bad').json(); } catch (e) { console.log('json', e.name); }
try { new Response('x', { status: 99 }); } catch (e) { console.log('status', e.name); }
console.log(Response.redirect('https://example.com/x', 301).headers.get('location'), Response.error().type, Response.error().status);
const q = new Request('https://example.com/api?x=1', { method: 'post', body: JSON.stringify({ k: 1 }), headers: { 'content-type': 'application/json' } });
console.log(q.method, q.url, q.headers.get('content-type'), q.redirect, q.signal.aborted, await q.text());
const f = new Request('https://example.com/f', { method: 'PUT', body: new URLSearchParams({ a: 'b c' }) });
console.log(f.headers.get('content-type'), await f.text());
try { new Request('https://example.com', { method: 'GET', body: 'x' }); } catch (e) { console.log('get body', e.name); }
try { new Request('/relative'); } catch (e) { console.log('relative', e.name); }
const c = new AbortController();
const seen = [];
c.signal.addEventListener('abort', (ev) => seen.push(ev.type));
c.signal.onabort = () => seen.push('onabort');
console.log(c.signal.aborted);
c.abort();
c.abort();
console.log(c.signal.aborted, c.signal.reason.name, c.signal.reason instanceof DOMException, seen.join(','));
try { c.signal.throwIfAborted(); } catch (e) { console.log('thrown', e.name); }
const a2 = AbortSignal.abort('why');
console.log(a2.aborted, a2.reason);
try { await fetch('https://example.com', { signal: a2 }); } catch (e) { console.log('fetch aborted', e); }
