// continue/break to labels on nested loops and to two labels on one loop (a: b: for…of), with and without per-iteration bindings
const r = [];
outer: for (let i = 0; i < 3; i++) {
  inner: for (let j = 0; j < 3; j++) {
    if (j === 1) continue outer;
    if (i === 2) break inner;
    r.push(() => i + "" + j);
  }
  r.push(() => "end" + i);
}
print(r.map(f => f()).join(","));
const s = [];
a: b: for (let i = 0; i < 4; i++) {
  if (i === 1) continue a;
  if (i === 2) continue b;
  s.push(() => i);
}
print(s.map(f => f()).join(","));
const t = [];
x: for (const k of [1, 2, 3]) {
  y: for (const m of [1, 2, 3]) {
    if (m === 2) continue x;
    t.push(() => k * 10 + m);
    if (k === 3) break x;
  }
}
print(t.map(f => f()).join(","));
const u = [];
o1: o2: for (let i = 0; i < 3; i++) {
  i1: i2: for (let j = 0; j < 3; j++) {
    if (j === 0) continue i1;
    if (j === 1) continue o2;
    u.push(() => "never");
  }
  u.push(() => "never2");
}
print(u.length);
const v = [];
let n = 0;
w1: while (n < 3) {
  n++;
  let c = n;
  w2: do {
    if (c === 2) continue w1;
    v.push(() => c);
  } while (false);
}
print(v.map(f => f()).join(","));
const w = [];
L1: for (let i = 0; i < 2; i++) {
  L2: for (let j = 0; j < 2; j++) {
    L3: for (let k = 0; k < 3; k++) {
      if (k === 1) continue L2;
      if (j === 1) continue L1;
      w.push(() => `${i}${j}${k}`);
    }
  }
}
print(w.map(f => f()).join(","));
const z = [];
out: for (let i = 0; i < 3; i++) {
  switch (i) {
    case 1: continue out;
    default: z.push(() => i);
  }
}
print(z.map(f => f()).join(","));
const q1 = [];
a: b: for (const x of [1, 2, 3]) { if (x === 2) continue a; q1.push(x); }
print(q1.join(","));
const q2 = [];
a: b: for (const x of [1, 2, 3]) { if (x === 2) continue b; q2.push(() => x); }
print(q2.map(f => f()).join(","));
const q3 = [];
o: for (const x of [1, 2]) { a: b: for (const y of [1, 2, 3]) { if (y === 2) continue a; if (x === 2) continue o; q3.push(x * 10 + y); } }
print(q3.join(","));
const q4 = [];
a: b: for (const x of [1, 2, 3]) { if (x === 2) break a; q4.push(x); }
print(q4.join(","));
const q5 = [];
a: b: for (const x of [1, 2, 3]) { if (x === 2) continue a; q5.push(() => x); }
print(q5.map(f => f()).join(","));
