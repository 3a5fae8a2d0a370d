const {a, ...r} = {a: 1, b: 2};
let f = async (x = 1) => { await x; return `t${x}`; };
class A extends B { static m() { super.m?.(); } }
for (const [k, v] of Object.entries(r)) logger.info(k ?? v);
