const enc = new TextEncoder();
const hex = (b) => Array.from(new Uint8Array(b)).map((x) => x.toString(16).padStart(2, '0')).join('');
for (const alg of ['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512', 'sha-256', { name: 'SHA-256' }])
  console.log(JSON.stringify(alg), hex(await crypto.subtle.digest(alg, enc.encode('The quick brown fox'))));
console.log(hex(await crypto.subtle.digest('SHA-256', new Uint8Array(0))));
try { await crypto.subtle.digest('MD5', enc.encode('x')); } catch (e) { console.log('md5', e.name); }
for (const hash of ['SHA-1', 'SHA-256', 'SHA-512']) {
  const key = await crypto.subtle.importKey('raw', enc.encode('secret-key'), { name: 'HMAC', hash }, false, ['sign', 'verify']);
  const sig = await crypto.subtle.sign('HMAC', key, enc.encode('symbol=BTCUSDT&timestamp=1'));
  console.log(hash, key.type, key.algorithm.name, key.algorithm.hash.name, hex(sig));
  console.log(await crypto.subtle.verify('HMAC', key, sig, enc.encode('symbol=BTCUSDT&timestamp=1')),
              await crypto.subtle.verify('HMAC', key, sig, enc.encode('tampered')));
}
const onlySign = await crypto.subtle.importKey('raw', enc.encode('k'), { name: 'HMAC', hash: { name: 'SHA-256' } }, false, ['sign']);
try { await crypto.subtle.verify('HMAC', onlySign, new Uint8Array(32), enc.encode('x')); } catch (e) { console.log('usage', e.name); }
const u = crypto.randomUUID();
console.log(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(u), u !== crypto.randomUUID());
const r = crypto.getRandomValues(new Uint8Array(32));
console.log(r.length, Array.from(r).some((x) => x !== 0));
console.log(crypto.getRandomValues(new Uint32Array(4)).length);
try { crypto.getRandomValues(new Uint8Array(65537)); } catch (e) { console.log('quota', e.name); }
try { crypto.getRandomValues(new Float64Array(2)); } catch (e) { console.log('float', e.name); }
const t0 = performance.now();
console.log(typeof t0, t0 >= 0, performance.now() >= t0, typeof performance.timeOrigin);
