const enc = new TextEncoder(), dec = new TextDecoder();
console.log(enc.encoding, dec.encoding, dec.fatal, dec.ignoreBOM);
const strs = ['', 'abc', 'héllo', '€', '𝄞 music', '\u0000x', 'a\uD800b', '日本語'];
for (let i = 0; i < strs.length; i++) { const s = strs[i];
  const b = enc.encode(s);
  console.log(i, b.length, Array.from(b).join(','), JSON.stringify(dec.decode(b)));
}
const bad = new Uint8Array([0x61, 0xff, 0x62, 0xc3, 0x28, 0xe2, 0x82, 0xf0, 0x9f, 0x98, 0x80, 0xed, 0xa0, 0x80]);
console.log(JSON.stringify(dec.decode(bad)));
try { new TextDecoder('utf-8', { fatal: true }).decode(bad); } catch (e) { console.log('fatal', e.name); }
console.log(JSON.stringify(dec.decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x68, 0x69]))));
console.log(JSON.stringify(new TextDecoder('utf-8', { ignoreBOM: true }).decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x68]))));
console.log(dec.decode(new Uint8Array([104, 105]).buffer), dec.decode(new DataView(new Uint8Array([0, 104, 105]).buffer, 1)));
try { new TextDecoder('klingon'); } catch (e) { console.log('label', e.name); }
const into = new Uint8Array(4);
console.log(JSON.stringify(enc.encodeInto('a€b', into)), Array.from(into).join(','));
for (const s of ['', 'f', 'fo', 'foo', 'hello world', '\u00ff\u00fe\u0000']) console.log(JSON.stringify(s), btoa(s), JSON.stringify(atob(btoa(s))));
console.log(JSON.stringify(atob(' aGV sbG8 = ')), JSON.stringify(atob('YQ')), JSON.stringify(atob('YWI')));
for (const s of ['a', '=', 'YQ=', 'Y===', '@@@@']) { try { atob(s); console.log('ok', s); } catch (e) { console.log('atob', JSON.stringify(s), e.name); } }
try { btoa('€'); } catch (e) { console.log('btoa', e.name); }
