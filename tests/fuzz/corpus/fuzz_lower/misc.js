label: for (;;) { break label; }
var s = /a(?:b|c)+/g; x ||= y &&= z ??= 2 ** 3;
