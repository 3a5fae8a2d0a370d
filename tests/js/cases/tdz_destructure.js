// writing a let by destructuring before its declaration ran throws ReferenceError, from the same function and from closures
function t(name, f) { try { f(); print(name, "no error"); } catch (e) { print(name, e.name, e.message); } }
t("array", () => { [a] = [1]; let a; });
t("object", () => { ({ a } = { a: 1 }); let a; });
t("renamed key", () => { ({ k: a } = { k: 1 }); let a; });
t("nested", () => { [{ a }] = [{ a: 1 }]; let a; });
t("default", () => { [a = 1] = []; let a; });
t("rest", () => { [...a] = [1]; let a; });
t("for-of head", () => { for ([a] of [[1]]); let a; });
t("closure array", () => { const f = () => { [a] = [1]; }; f(); let a; });
t("closure object", () => { const f = () => { ({ a } = { a: 1 }); }; f(); let a; });
t("closure rest", () => { const f = () => { ({ ...a } = { q: 1 }); }; f(); let a; });
t("closure for-of", () => { const f = () => { for ([a] of [[1]]); }; f(); let a; });
t("hoisted function", () => { function g() { [b, c] = [1, 2]; } g(); let b, c; });
const order = [];
t("value before the check", () => { const f = () => { [a = order.push("default")] = []; }; f(); let a; });
print(order.length);
t("after the declaration", () => { const f = () => { [a, { b: c }] = [1, { b: 2 }]; return a + c; }; let a, c; print(f()); });
t("const", () => { const f = () => { [k] = [2]; }; const k = 1; f(); });
