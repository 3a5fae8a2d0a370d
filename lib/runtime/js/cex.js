/* Stels.runtime.cex: exchange connectors (docs/scripting.md "Exchanges"),
 * compiled as `function (kit)` and loaded on first use of Stels.runtime
 * (host.lazy(7)).  kit: force, G, PromiseImpl, awaitValue, Stels, mode (the
 * node option cex: "" or "paper"), hosted (connectors a host registered from
 * C: [{id, call}]).  Returns the cex object.
 *
 * ES5.  The unified API follows CCXT: method names, argument order, the
 * shapes of ticker, order book, OHLCV, trade, order, balance, position and
 * market, the error class names, and each exchange's raw answer in `info`.
 * Methods return promises; inside, network answers are awaited with the
 * runtime's await. */
function (kit) {
'use strict';
var force = kit.force, G = kit.G, P = kit.PromiseImpl, wait = kit.awaitValue, Stels = kit.Stels;
var isArray = Array.isArray;

/* ---- errors: CCXT's hierarchy, the name is what the worker policy classifies ---- */
var cex = {};
function defError(name, parent) {
    var C = function (message) {
        if (!(this instanceof C)) return new C(message);
        var e = new Error(message === undefined ? '' : String(message));
        force(this, 'message', e.message);
        if (e.stack !== undefined) force(this, 'stack', String(e.stack).replace(/^Error/, name));
    };
    C.prototype = Object.create(parent.prototype);
    force(C.prototype, 'constructor', C);
    force(C.prototype, 'name', name);
    force(cex, name, C);
    return C;
}
var BaseError = defError('BaseError', Error);
var ExchangeError = defError('ExchangeError', BaseError);
var AuthenticationError = defError('AuthenticationError', ExchangeError);
var PermissionDenied = defError('PermissionDenied', AuthenticationError);
var BadRequest = defError('BadRequest', ExchangeError);
var BadSymbol = defError('BadSymbol', BadRequest);
var InsufficientFunds = defError('InsufficientFunds', ExchangeError);
var InvalidOrder = defError('InvalidOrder', ExchangeError);
var OrderNotFound = defError('OrderNotFound', InvalidOrder);
var NotSupported = defError('NotSupported', ExchangeError);
var NetworkError = defError('NetworkError', BaseError);
var DDoSProtection = defError('DDoSProtection', NetworkError);
var RateLimitExceeded = defError('RateLimitExceeded', DDoSProtection);
var ExchangeNotAvailable = defError('ExchangeNotAvailable', NetworkError);
var InvalidNonce = defError('InvalidNonce', NetworkError);
var RequestTimeout = defError('RequestTimeout', NetworkError);

/* ---- numbers ---- */
function num(v) {
    if (v === undefined || v === null || v === '') return undefined;
    var n = Number(v);
    return isFinite(n) ? n : undefined;
}
function decimals(step) {
    var s = String(step), e = s.indexOf('e-');
    if (e >= 0) return Number(s.slice(e + 2)) + (s.indexOf('.') >= 0 ? s.slice(s.indexOf('.') + 1, e).length : 0);
    return s.indexOf('.') >= 0 ? s.length - s.indexOf('.') - 1 : 0;
}
/* per step: [decimals, 10^decimals, step in units of 10^-decimals] (number to text is slow in Duktape) */
var stepCache = {};
function stepInfo(step) {
    var c = stepCache[step];
    if (!c) {
        var d = Math.min(20, decimals(step)), p = Math.pow(10, d);
        c = stepCache[step] = [d, p, Math.round(step * p)];
    }
    return c;
}
/* x to a multiple of step: truncated (amounts) or rounded (prices), as a clean decimal:
 * n steps of k units of 10^-d is n*k / 10^d, the double nearest that decimal */
function toStep(x, step, truncate) {
    if (!step) return x;
    var q = x / step, n = truncate ? Math.floor(q + 1e-9) : Math.round(q), c = stepInfo(step), u = n * c[2];
    if (Math.abs(u) < 9007199254740992 && Math.abs(c[2] / c[1] - step) < step * 1e-12) return u / c[1];
    return Number((n * step).toFixed(c[0]));
}
function nstr(x) {   /* a number as exchanges want it: no exponent */
    if (Math.abs(x) >= 1e-6 || x === 0) return String(x);
    return x.toFixed(20).replace(/0+$/, '').replace(/\.$/, '');
}
function iso(ts) { return ts === undefined || ts === null ? undefined : new Date(ts).toISOString(); }
function extend(a, b) { var o = {}, k; for (k in a) o[k] = a[k]; for (k in b) if (b[k] !== undefined) o[k] = b[k]; return o; }
function keys(o) { var r = []; for (var k in o) if (Object.prototype.hasOwnProperty.call(o, k)) r.push(k); return r; }

/* ---- markets ---- */
function makeMarket(m) {
    var symbol = m.base + '/' + m.quote + (m.settle ? ':' + m.settle : '');
    return {
        id: m.id, symbol: symbol, base: m.base, quote: m.quote, settle: m.settle || undefined,
        baseId: m.base, quoteId: m.quote, type: m.settle ? 'swap' : 'spot', spot: !m.settle, swap: !!m.settle,
        linear: m.settle ? true : undefined, contract: !!m.settle, contractSize: m.settle ? 1 : undefined,
        active: m.active !== false, category: m.category,
        precision: { amount: m.amountStep, price: m.priceStep },
        limits: { amount: { min: m.minAmount, max: m.maxAmount }, price: { min: m.minPrice, max: m.maxPrice },
                  cost: { min: m.minCost, max: undefined } },
        taker: m.taker === undefined ? 0.001 : m.taker, maker: m.maker === undefined ? 0.001 : m.maker,
        info: m.info || {}
    };
}
/* markets a paper exchange knows without a network: spot and USDT-settled linear contracts */
var PAPER_BASES = { BTC: [0.000001, 0.01], ETH: [0.00001, 0.01], SOL: [0.001, 0.01], BNB: [0.001, 0.01],
                    XRP: [0.1, 0.0001], DOGE: [1, 0.00001], ADA: [0.1, 0.0001] };
function paperMarkets(prefix) {
    var list = [];
    for (var b in PAPER_BASES) {
        var s = PAPER_BASES[b];
        list.push(makeMarket({ id: b + 'USDT', base: b, quote: 'USDT', amountStep: s[0], priceStep: s[1],
                               minAmount: s[0], minCost: 1, category: 'spot' }));
        list.push(makeMarket({ id: b + 'USDT', base: b, quote: 'USDT', settle: 'USDT', amountStep: s[0], priceStep: s[1],
                               minAmount: s[0], minCost: 1, category: 'linear' }));
    }
    return list;
}

/* ---- the exchange base ---- */
var DEFAULT_RATE = { binance: 50, bybit: 20 };

function Exchange(id, describe, config) {
    config = config || {};
    if (typeof config !== 'object') throw new TypeError('Stels.runtime.cex.' + id + ': the config must be an object');
    var self = this;
    /* the secrets live in this closure only: not properties, never in messages */
    var secret = { apiKey: config.apiKey === undefined ? '' : String(config.apiKey),
                   secret: config.secret === undefined ? '' : String(config.secret) };
    force(this, '_secrets', function () { return secret; });
    this.id = id;
    this.name = describe.name;
    this.options = extend(describe.options || {}, config.options || {});
    this.enableRateLimit = config.enableRateLimit !== false;
    this.rateLimit = config.rateLimit === undefined ? DEFAULT_RATE[id] || 50 : Number(config.rateLimit);
    this.timeout = config.timeout === undefined ? 10000 : Number(config.timeout);
    this.urls = { api: config.urls && config.urls.api ? String(config.urls.api).replace(/\/$/, '') : describe.api,
                  test: describe.test, www: describe.www };
    this._apiOverride = !!(config.urls && config.urls.api);
    this.markets = undefined;
    this.symbols = undefined;
    this.has = describe.has;
    this.paper = config.paper === true || kit.mode === 'paper' || id === 'paper';
    this.account = config.account === undefined ? id : String(config.account);
    this._config = { balances: config.balances, fee: config.fee, slippage: config.slippage, leverage: config.leverage };
    this._last = 0;
    this._timeOffset = undefined;
    if (config.sandbox) this.setSandboxMode(true);
    this.hasSecrets = function () { return secret.apiKey !== '' && secret.secret !== ''; };
    this.toJSON = function () { return { id: self.id, paper: self.paper, account: self.account }; };
}
var E = Exchange.prototype;
E.setSandboxMode = function (on) {
    if (!this._apiOverride) this.urls.api = on ? this.urls.test : this._describeApi || this.urls.api;
    this.sandbox = !!on;
};
E.milliseconds = function () { return Date.now(); };
E.iso8601 = iso;
/* a message with the secrets blanked out */
E._scrub = function (text) {
    var s = this._secrets(), t = String(text);
    if (s.apiKey.length >= 4) t = t.split(s.apiKey).join('***');
    if (s.secret.length >= 4) t = t.split(s.secret).join('***');
    return t;
};
E._throttle = function () {
    if (!this.enableRateLimit || !(this.rateLimit > 0)) return;
    var now = Date.now(), next = this._last + this.rateLimit;
    if (next > now) { wait(Stels.sleep(next - now)); now = Date.now(); }
    this._last = now;
};
/* one HTTP request: [status, parsed JSON body or the text, headers] */
E._http = function (method, url, headers, body) {
    this._throttle();
    var init = { method: method, headers: headers || {} };
    if (body !== undefined) init.body = body;
    var res, text;
    try {
        res = wait(G.fetch(url, init));
        text = wait(res.text());
    } catch (e) {
        var n = e && e.name, m = this._scrub(e && e.message);
        if (n === 'RequestTimeout' || n === 'TimeoutError' || n === 'AbortError') throw new RequestTimeout(this.id + ' ' + method + ' ' + this._path(url) + ': ' + m);
        if (n === 'PermissionDenied' || n === 'TypeError') throw new NetworkError(this.id + ' ' + method + ' ' + this._path(url) + ': ' + m);
        throw new NetworkError(this.id + ' ' + method + ' ' + this._path(url) + ': ' + m);
    }
    var data = text;
    try { data = JSON.parse(text); } catch (x) { /* not JSON: keep the text */ }
    return [res.status, data, res.headers];
};
E._path = function (url) { var q = url.indexOf('?'); return (q >= 0 ? url.slice(0, q) : url).replace(this.urls.api, ''); };
var encoder = null, HEX = [];
for (var hx = 0; hx < 256; hx++) HEX.push((hx < 16 ? '0' : '') + hx.toString(16));
E._hmacHex = function (text) {
    var s = this._secrets();
    if (!this._key) {
        var enc = new G.TextEncoder();
        this._key = wait(G.crypto.subtle.importKey('raw', enc.encode(s.secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']));
        force(this, '_key', this._key);
    }
    var enc = encoder || (encoder = new G.TextEncoder());
    var sig = new Uint8Array(wait(G.crypto.subtle.sign('HMAC', this._key, enc.encode(text))));
    var hex = '';
    for (var i = 0; i < sig.length; i++) hex += HEX[sig[i]];
    return hex;
};
E._needSecrets = function () {
    if (!this.hasSecrets()) throw new AuthenticationError(this.id + ' requires "apiKey" and "secret" credentials');
};
E._httpError = function (status, what, text) {
    var m = this.id + ' ' + what + ': HTTP ' + status + (text ? ' ' + this._scrub(String(text).slice(0, 200)) : '');
    if (status === 429) throw new RateLimitExceeded(m);
    if (status === 418) throw new DDoSProtection(m);
    if (status === 401) throw new AuthenticationError(m);
    if (status === 403) throw new PermissionDenied(m);
    if (status === 408) throw new RequestTimeout(m);
    if (status >= 500) throw new ExchangeNotAvailable(m);
    if (status >= 400) throw new ExchangeError(m);
};

E.loadMarkets = function (reload) {
    if (this.markets && !reload) return this.markets;
    var list = this.fetchMarketsSync();
    var markets = {}, byId = {}, symbols = [];
    for (var i = 0; i < list.length; i++) {
        markets[list[i].symbol] = list[i];
        byId[list[i].category + ':' + list[i].id] = list[i];
        symbols.push(list[i].symbol);
    }
    this.markets = markets;
    force(this, 'marketsById', byId);
    this.symbols = symbols.sort();
    return markets;
};
E.market = function (symbol) {
    this.loadMarkets();
    var m = this.markets[symbol];
    if (!m) throw new BadSymbol(this.id + ' does not have market symbol ' + symbol);
    return m;
};
E._byId = function (category, id) {
    return this.marketsById[category + ':' + id];
};
E.amountToPrecision = function (symbol, amount) { return toStep(Number(amount), this.market(symbol).precision.amount, true); };
E.priceToPrecision = function (symbol, price) { return toStep(Number(price), this.market(symbol).precision.price, false); };
/* rounded amount and price of an order, checked against the market's limits */
E._checkOrder = function (m, type, side, amount, price) {
    if (side !== 'buy' && side !== 'sell') throw new InvalidOrder(this.id + ': side must be "buy" or "sell", not ' + JSON.stringify(side));
    if (type !== 'limit' && type !== 'market') throw new InvalidOrder(this.id + ': type must be "limit" or "market", not ' + JSON.stringify(type));
    var a = Number(amount);
    if (!(a > 0)) throw new InvalidOrder(this.id + ' ' + m.symbol + ': amount must be a positive number, not ' + JSON.stringify(amount));
    a = toStep(a, m.precision.amount, true);
    var l = m.limits;
    if (l.amount.min !== undefined && a < l.amount.min)
        throw new InvalidOrder(this.id + ' ' + m.symbol + ': amount ' + amount + ' is below the minimum ' + l.amount.min);
    if (l.amount.max !== undefined && a > l.amount.max)
        throw new InvalidOrder(this.id + ' ' + m.symbol + ': amount ' + amount + ' is above the maximum ' + l.amount.max);
    var p;
    if (type === 'limit') {
        p = Number(price);
        if (!(p > 0)) throw new InvalidOrder(this.id + ' ' + m.symbol + ': a limit order needs a positive price, not ' + JSON.stringify(price));
        p = toStep(p, m.precision.price, false);
        if (l.price.min !== undefined && p < l.price.min) throw new InvalidOrder(this.id + ' ' + m.symbol + ': price ' + price + ' is below the minimum ' + l.price.min);
        if (l.price.max !== undefined && p > l.price.max) throw new InvalidOrder(this.id + ' ' + m.symbol + ': price ' + price + ' is above the maximum ' + l.price.max);
        if (l.cost.min !== undefined && a * p < l.cost.min)
            throw new InvalidOrder(this.id + ' ' + m.symbol + ': cost ' + (a * p) + ' is below the minimum ' + l.cost.min);
    }
    return [a, p];
};
function safeTicker(symbol, t) {
    t.symbol = symbol;
    if (t.timestamp === undefined) t.timestamp = Date.now();
    t.datetime = iso(t.timestamp);
    return t;
}

/* ---- the paper book: ["cex","paper",account,...] in Stels.net ----
 * Every change of the book is one all-or-nothing commit (kit.commit) that
 * writes the account entry and checks the versionstamp it was read at: two
 * strategies (or a deposed and a new leader) on one account never interleave
 * half an order, and a crash leaves the book before or after an operation,
 * never inside one.  The open orders are cached with the account's
 * versionstamp (every commit that changes them writes the account), so
 * listing them again is needed only when someone else changed the book. */
function Book(ex) {
    this.ex = ex; this.prefix = ['cex', 'paper', ex.account];
    this.vs = null; this.open = null; this.tx = null; this.over = null; this.prices = null;
}
var B = Book.prototype;
B.key = function (parts) { return this.prefix.concat(parts); };
B.read = function (parts) {
    if (this.over) { var o = this.over[JSON.stringify(parts)]; if (o !== undefined) return o; }
    var e = wait(Stels.net.get(this.key(parts))); return e.value ? e.value.raw : null;
};
B.write = function (parts, v) { this.tx.push([parts, v]); this.over[JSON.stringify(parts)] = v; };
B.remove = function (parts) { this.tx.push([parts]); this.over[JSON.stringify(parts)] = null; };
B.list = function (parts) {
    var l = wait(Stels.net.list({ prefix: this.key(parts) })), r = [];
    for (var i = 0; i < l.length; i++) if (l[i].value) r.push(l[i].value.raw);
    return r;
};
B.openOrders = function () { return this.open || (this.open = this.list(['open'])); };
B.price = function (symbol) { return this.prices[symbol] || (this.prices[symbol] = this.ex._paperTicker(symbol)); };
/* fn(account) on the current book, its writes committed at once; read again and redone when
 * another writer changed the book in between */
B.run = function (fn) {
    var akey = this.key(['account']);
    for (var attempt = 0; ; attempt++) {
        var e = wait(Stels.net.get(akey)), a = e.value ? e.value.raw : null;
        if (e.versionstamp === null || e.versionstamp !== this.vs) this.open = null;
        this.vs = e.versionstamp;
        if (!a) {
            var seed = this.ex._config.balances || { USDT: 10000 }, bl = {};
            for (var c in seed) bl[c] = { free: Number(seed[c]) || 0, used: 0 };
            a = { balances: bl, seq: 0, created: Date.now() };
        }
        this.tx = []; this.over = {}; this.prices = {};
        var r, tx;
        try { r = fn.call(this.ex, a); }
        catch (err) { this.open = null; this.vs = null; throw err; }   /* fn may have changed cached orders */
        finally { tx = this.tx; this.tx = null; this.over = null; this.prices = null; }
        if (!tx.length && e.versionstamp !== null) return r;
        var muts = [[akey, a]];
        for (var i = 0; i < tx.length; i++) muts.push(tx[i].length > 1 ? [this.key(tx[i][0]), tx[i][1]] : [this.key(tx[i][0])]);
        var vs = kit.commit([[akey, e.versionstamp]], muts);
        if (vs !== null) {
            if (this.open) this.apply(tx);
            this.vs = vs;
            return r;
        }
        this.open = null; this.vs = null;
        if (attempt >= 100) throw new ExchangeError(this.ex.id + ': the paper book of account ' + this.ex.account + ' kept changing; try again');
    }
};
/* the committed writes of one run, applied to the cached open orders */
B.apply = function (tx) {
    var added = false;
    for (var i = 0; i < tx.length; i++) {
        var parts = tx[i][0];
        if (parts[0] !== 'open') continue;
        for (var j = 0; j < this.open.length && this.open[j].id !== parts[1]; j++) {}
        if (tx[i].length > 1) { if (j === this.open.length) added = true; this.open[j] = tx[i][1]; }
        else if (j < this.open.length) this.open.splice(j, 1);
    }
    if (added) this.open.sort(function (x, y) { return x.id < y.id ? -1 : x.id > y.id ? 1 : 0; });
};
function bal(a, c) { return a.balances[c] || (a.balances[c] = { free: 0, used: 0 }); }
/* x to 10 decimals (as Number(x.toFixed(10)), without Duktape's slow number to text when it can) */
function fix(x) {
    if (x < 1e5 && x > -1e5) {
        var y = x * 1e10, n = Math.round(y), d = n - y;
        if (d < 0.49 && d > -0.49) return n / 1e10;   /* not near a tie: the same digits as toFixed */
    }
    return Number(x.toFixed(10));
}

/* the price of a symbol: the store's ["ticker", SYMBOL.exchange] or ["ticker", SYMBOL], else the real
 * connector's public ticker */
E._paperTicker = function (symbol) {
    var spot = symbol.split(':')[0], e = null, raw, keysTried = [['ticker', spot + '.' + this.id], ['ticker', spot]];
    for (var i = 0; i < keysTried.length && !e; i++) {
        raw = wait(Stels.net.get(keysTried[i]));
        if (raw.value && raw.value.raw && typeof raw.value.raw.last === 'number') e = raw.value.raw;
    }
    if (e) return safeTicker(symbol, { timestamp: e.timestamp || raw.value.timestamp, last: e.last, bid: num(e.bid) || e.last,
                                       ask: num(e.ask) || e.last, bidVolume: num(e.bidVolume), askVolume: num(e.askVolume),
                                       baseVolume: num(e.volume), close: e.last, info: e });
    if (this.id !== 'paper') return this.fetchTickerReal(symbol);
    throw new BadSymbol('paper: no price for ' + symbol + ' (no ["ticker","' + spot + '"] entry in Stels.net)');
};

/* apply one fill of `order` (stored shape) at `price` for `qty` to the account; returns the trade */
E._paperFill = function (a, order, m, price, qty) {
    var feeRate = this._config.fee === undefined ? m.taker : Number(this._config.fee);
    var cost = fix(price * qty), fee = fix(cost * feeRate);
    if (m.spot) {
        var base = bal(a, m.base), quote = bal(a, m.quote);
        if (order.side === 'buy') {
            var reserved = order.type === 'limit' ? fix(qty * order.price * (1 + feeRate)) : 0;
            quote.used = fix(quote.used - reserved);
            quote.free = fix(quote.free + reserved - cost - fee);
            base.free = fix(base.free + qty);
        } else {
            if (order.type === 'limit') base.used = fix(base.used - qty); else base.free = fix(base.free - qty);
            quote.free = fix(quote.free + cost - fee);
        }
    } else {
        var settle = bal(a, m.settle), pos = this._book.read(['position', m.symbol]) ||
            { symbol: m.symbol, contracts: 0, entryPrice: 0, realizedPnl: 0, margin: 0 };
        var lev = pos.leverage || Number(this._config.leverage) || 1, signed = order.side === 'buy' ? qty : -qty;
        var held = pos.side === 'short' ? -pos.contracts : pos.contracts;
        if (order.type === 'limit') { var res = fix(order.price * qty / lev + order.price * qty * feeRate); settle.used = fix(settle.used - res); settle.free = fix(settle.free + res); }
        settle.free = fix(settle.free - fee);
        var closing = held !== 0 && (held > 0) !== (signed > 0) ? Math.min(Math.abs(held), qty) : 0;
        if (closing > 0) {
            var pnl = fix((price - pos.entryPrice) * closing * (held > 0 ? 1 : -1));
            var release = fix(pos.margin * closing / Math.abs(held));
            pos.margin = fix(pos.margin - release);
            settle.used = fix(settle.used - release);
            settle.free = fix(settle.free + release + pnl);
            pos.realizedPnl = fix(pos.realizedPnl + pnl);
        }
        var opening = qty - closing, next = fix(held + signed);
        if (opening > 0) {
            var im = fix(price * opening / lev);
            settle.free = fix(settle.free - im);
            settle.used = fix(settle.used + im);
            pos.margin = fix(pos.margin + im);
            var prevAbs = Math.abs(held) - closing;
            pos.entryPrice = fix((pos.entryPrice * prevAbs + price * opening) / (prevAbs + opening));
        }
        pos.contracts = Math.abs(next);
        pos.side = next > 0 ? 'long' : next < 0 ? 'short' : undefined;
        if (next === 0) { pos.entryPrice = 0; pos.margin = 0; }
        pos.leverage = lev;
        pos.timestamp = Date.now();
        this._book.write(['position', m.symbol], pos);
    }
    order.filled = fix(order.filled + qty);
    order.remaining = fix(order.amount - order.filled);
    order.cost = fix(order.cost + cost);
    order.average = order.filled > 0 ? fix(order.cost / order.filled) : undefined;
    order.fee = { currency: m.spot ? m.quote : m.settle, cost: fix((order.fee ? order.fee.cost : 0) + fee), rate: feeRate };
    order.lastTradeTimestamp = Date.now();
    if (order.remaining <= 0) order.status = 'closed';
    var trade = { id: order.id + '-' + order.trades, order: order.id, symbol: order.symbol, type: order.type, side: order.side,
                  takerOrMaker: order.type === 'market' ? 'taker' : 'maker', price: price, amount: qty, cost: cost,
                  fee: { currency: order.fee.currency, cost: fee, rate: feeRate }, timestamp: order.lastTradeTimestamp };
    order.trades++;
    trade.datetime = iso(trade.timestamp);
    this._book.write(['trade', trade.id], trade);   /* a deterministic key: a replay after a failover overwrites it */
    return trade;
};
/* fill the open limit orders the current prices cross (each quote's size at most once per order) */
E._paperMatch = function (a, symbol) {
    var open = this._book.openOrders(), changed = false;
    for (var i = 0; i < open.length; i++) {
        var o = open[i];
        if (symbol && o.symbol !== symbol) continue;
        var m = this.market(o.symbol);
        var t = this._book.price(o.symbol);
        var crosses = o.side === 'buy' ? t.ask <= o.price : t.bid >= o.price;
        if (!crosses || o.quoteSeen === t.timestamp) continue;
        var size = o.side === 'buy' ? t.askVolume : t.bidVolume;
        var qty = size === undefined ? o.remaining : Math.min(o.remaining, toStep(size, m.precision.amount, true));
        o.quoteSeen = t.timestamp;
        if (qty > 0) this._paperFill(a, o, m, o.price, qty);
        changed = true;
        this._paperStore(o);
    }
    return changed;
};
E._paperStore = function (o) {
    if (o.status === 'open') { this._book.write(['open', o.id], o); return; }
    this._book.write(['closed', o.id], o);
    this._book.remove(['open', o.id]);
};
/* fn(account) after filling what the prices cross, as one commit of the book (Book.run) */
E._paperRun = function (symbol, fn) {
    if (!this._book) force(this, '_book', new Book(this));
    var self = this;
    return this._book.run(function (a) { self._paperMatch(a, symbol); return fn ? fn.call(self, a) : a; });
};
function publicOrder(o) {
    var r = {};
    for (var k in o) if (k !== 'quoteSeen' && k !== 'trades') r[k] = o[k];
    if (r.datetime === undefined) r.datetime = iso(o.timestamp);
    /* copies: the book's cached orders must not change when a script changes what it got */
    if (o.fee) r.fee = extend(o.fee, {});
    r.info = extend(o, {});
    if (o.fee) r.info.fee = extend(o.fee, {});
    return r;
}
E.paperCreateOrder = function (symbol, type, side, amount, price, params) {
    var m = this.market(symbol), ap = this._checkOrder(m, type, side, amount, price);
    return this._paperRun(symbol, function (a) { return this._paperCreate(a, m, symbol, type, side, ap, params); });
};
E._paperCreate = function (a, m, symbol, type, side, ap, params) {
    var feeRate = this._config.fee === undefined ? m.taker : Number(this._config.fee);
    var t = this._book.price(symbol), qty = ap[0];
    var slip = this._config.slippage === undefined ? 0 : Number(this._config.slippage);
    var px = type === 'market' ? toStep((side === 'buy' ? t.ask : t.bid) * (side === 'buy' ? 1 + slip : 1 - slip), m.precision.price, false) : ap[1];
    if (type === 'market' && m.limits.cost.min !== undefined && qty * px < m.limits.cost.min)
        throw new InvalidOrder(this.id + ' ' + symbol + ': cost ' + (qty * px) + ' is below the minimum ' + m.limits.cost.min);
    /* funds */
    if (m.spot) {
        if (side === 'buy') {
            var need = fix(qty * px * (1 + feeRate)), q = bal(a, m.quote);
            if (q.free < need) throw new InsufficientFunds(this.id + ' ' + symbol + ': buying ' + qty + ' needs ' + need + ' ' + m.quote + ', ' + q.free + ' free');
            if (type === 'limit') { q.free = fix(q.free - need); q.used = fix(q.used + need); }
        } else {
            var b = bal(a, m.base);
            if (b.free < qty) throw new InsufficientFunds(this.id + ' ' + symbol + ': selling ' + qty + ' ' + m.base + ', ' + b.free + ' free');
            if (type === 'limit') { b.free = fix(b.free - qty); b.used = fix(b.used + qty); }
        }
    } else {
        var lev = Number(this._config.leverage) || 1, s = bal(a, m.settle), pos = this._book.read(['position', symbol]);
        var held = pos ? (pos.side === 'short' ? -pos.contracts : pos.contracts) : 0;
        var reducing = held !== 0 && (held > 0) !== (side === 'buy') ? Math.min(Math.abs(held), qty) : 0;
        var margin = fix(px * (qty - reducing) / lev + px * qty * feeRate);
        if (s.free < margin) throw new InsufficientFunds(this.id + ' ' + symbol + ': ' + qty + ' contracts need ' + margin + ' ' + m.settle + ' margin, ' + s.free + ' free');
        if (type === 'limit') { var res = fix(px * qty / lev + px * qty * feeRate); s.free = fix(s.free - res); s.used = fix(s.used + res); }
    }
    a.seq = (a.seq || 0) + 1;
    var now = Date.now();
    var o = { id: String(now) + (a.seq < 1e6 ? String(1e6 + a.seq).slice(1) : String(a.seq)), clientOrderId: params && params.clientOrderId, timestamp: now, symbol: symbol,
              type: type, side: side, price: px, amount: qty, filled: 0, remaining: qty, cost: 0, average: undefined,
              status: 'open', fee: undefined, trades: 0, timeInForce: type === 'limit' ? 'GTC' : 'IOC', reduceOnly: false };
    var trade = null;
    if (type === 'market') trade = this._paperFill(a, o, m, px, qty);
    else if ((side === 'buy' ? t.ask <= px : t.bid >= px)) {
        var size = side === 'buy' ? t.askVolume : t.bidVolume;
        var fq = size === undefined ? qty : Math.min(qty, toStep(size, m.precision.amount, true));
        o.quoteSeen = t.timestamp;
        if (fq > 0) trade = this._paperFill(a, o, m, px, fq);
    }
    this._paperStore(o);
    var r = publicOrder(o);
    r.trades = trade ? [trade] : [];
    return r;
};
E._paperFind = function (id) {
    var o = this._book.read(['open', String(id)]) || this._book.read(['closed', String(id)]);
    if (!o) throw new OrderNotFound(this.id + ': order ' + id + ' does not exist');
    return o;
};
E.paperCancelOrder = function (id, symbol) { return this._paperRun(symbol, function (a) { return this._paperCancel(a, id); }); };
E._paperCancel = function (a, id) {
    var o = this._paperFind(id);
    if (o.status !== 'open') throw new OrderNotFound(this.id + ': order ' + id + ' is ' + o.status + ', not open');
    var m = this.market(o.symbol), feeRate = o.fee ? o.fee.rate : (this._config.fee === undefined ? m.taker : Number(this._config.fee));
    if (m.spot) {
        if (o.side === 'buy') { var q = bal(a, m.quote), r = fix(o.remaining * o.price * (1 + feeRate)); q.used = fix(q.used - r); q.free = fix(q.free + r); }
        else { var b = bal(a, m.base); b.used = fix(b.used - o.remaining); b.free = fix(b.free + o.remaining); }
    } else {
        var lev = Number(this._config.leverage) || 1, s = bal(a, m.settle), rs = fix(o.price * o.remaining / lev + o.price * o.remaining * feeRate);
        s.used = fix(s.used - rs); s.free = fix(s.free + rs);
    }
    o.status = 'canceled';
    this._paperStore(o);
    return publicOrder(o);
};
E.paperFetchOrder = function (id, symbol) { this._paperRun(symbol); return publicOrder(this._paperFind(id)); };
function filterSymbol(list, symbol, since, limit) {
    var r = [];
    for (var i = 0; i < list.length; i++)
        if ((!symbol || list[i].symbol === symbol) && (since === undefined || since === null || list[i].timestamp >= since)) r.push(list[i]);
    /* in time order; within one millisecond by id (order ids and trade numbers grow) */
    r.sort(function (x, y) { return x.timestamp - y.timestamp || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0); });
    return limit ? r.slice(-limit) : r;
}
E.paperFetchOpenOrders = function (symbol, since, limit) {
    this._paperRun(symbol);
    var l = [], open = this._book.openOrders();
    for (var i = 0; i < open.length; i++) if (open[i].status === 'open') l.push(open[i]);
    return filterSymbol(l, symbol, since, limit).map(publicOrder);
};
E.paperFetchClosedOrders = function (symbol, since, limit) {
    this._paperRun(symbol);
    return filterSymbol(this._book.list(['closed']), symbol, since, limit).map(publicOrder);
};
E.paperFetchMyTrades = function (symbol, since, limit) {
    this._paperRun(symbol);
    return filterSymbol(this._book.list(['trade']), symbol, since, limit);
};
E.paperFetchBalance = function () {
    var a = this._paperRun(), r = { info: null, free: {}, used: {}, total: {}, timestamp: Date.now() }, equity = 0, coins = [];
    for (var c in a.balances) {
        var x = a.balances[c], tot = fix(x.free + x.used);
        r[c] = { free: x.free, used: x.used, total: tot };
        r.free[c] = x.free; r.used[c] = x.used; r.total[c] = tot;
        var usd = tot;
        if (c !== 'USDT' && c !== 'USD' && c !== 'USDC' && tot !== 0) {
            try { usd = tot * this._paperTicker(c + '/USDT').last; } catch (e) { usd = 0; }
        }
        equity += usd;
        coins.push({ coin: c, walletBalance: String(tot), equity: String(tot), locked: String(x.used), usdValue: String(fix(usd)),
                     availableToWithdraw: String(x.free) });
    }
    r.datetime = iso(r.timestamp);
    /* Bybit v5's wallet-balance answer, so scripts written for bybit read the same fields */
    r.info = { retCode: 0, retMsg: 'OK', result: { list: [{ accountType: 'UNIFIED', totalEquity: String(fix(equity)),
               totalWalletBalance: String(fix(equity)), coin: coins }] }, time: r.timestamp };
    return r;
};
E.paperFetchPositions = function (symbols) {
    this._paperRun();
    var list = this._book.list(['position']), r = [];
    for (var i = 0; i < list.length; i++) {
        var p = list[i];
        if (!p.contracts || (symbols && symbols.indexOf(p.symbol) < 0)) continue;
        var mark = this._paperTicker(p.symbol).last, dir = p.side === 'short' ? -1 : 1;
        r.push({ symbol: p.symbol, side: p.side, contracts: p.contracts, contractSize: 1, entryPrice: p.entryPrice,
                 markPrice: mark, notional: fix(p.contracts * mark), leverage: p.leverage, initialMargin: p.margin,
                 unrealizedPnl: fix((mark - p.entryPrice) * p.contracts * dir), realizedPnl: p.realizedPnl,
                 timestamp: p.timestamp, datetime: iso(p.timestamp), marginMode: 'cross', info: p });
    }
    return r;
};

/* ---- the unified methods: each returns a promise; paper connectors simulate the private ones ---- */
var PRIVATE = { createOrder: 'paperCreateOrder', cancelOrder: 'paperCancelOrder', fetchOrder: 'paperFetchOrder',
                fetchOpenOrders: 'paperFetchOpenOrders', fetchClosedOrders: 'paperFetchClosedOrders',
                fetchMyTrades: 'paperFetchMyTrades', fetchBalance: 'paperFetchBalance', fetchPositions: 'paperFetchPositions' };
function unified(name, body) {
    force(E, name, function () {
        var self = this, args = arguments;
        try {
            var impl = self.paper && PRIVATE[name] ? self[PRIVATE[name]] : self[body];
            if (!impl) throw new NotSupported(self.id + ' ' + name + '() is not supported');
            if (!self.paper && PRIVATE[name]) self._needSecrets();
            return P.resolve(impl.apply(self, args));
        } catch (e) { return P.reject(e); }
    });
}
force(E, 'fetchMarketsSync', function () {
    if (this.id === 'paper') return paperMarkets();
    try { return this.fetchMarketsReal(); }
    catch (e) { if (this.paper && e instanceof NetworkError) return paperMarkets(); throw e; }
});
unified('fetchMarkets', 'fetchMarketsSync');
force(E, 'loadMarketsSync', E.loadMarkets);
force(E, 'loadMarkets', function (reload) {
    try { return P.resolve(this.loadMarketsSync(reload)); } catch (e) { return P.reject(e); }
});
E.market = function (symbol) {
    this.loadMarketsSync();
    var m = this.markets[symbol];
    if (!m) throw new BadSymbol(this.id + ' does not have market symbol ' + symbol);
    return m;
};
force(E, 'tickerSync', function (symbol) {
    this.market(symbol);
    if (this.id === 'paper' || (this.paper && !this.options.realPrices)) return this._paperTicker(symbol);
    return this.fetchTickerReal(symbol);
});
unified('fetchTicker', 'tickerSync');
force(E, 'tickersSync', function (symbols) {
    var r = {}, list = symbols || this.symbols || keys(this.loadMarketsSync());
    for (var i = 0; i < list.length; i++) {
        try { r[list[i]] = this.tickerSync(list[i]); }
        catch (e) { if (symbols || !(e instanceof BadSymbol)) throw e; }
    }
    return r;
});
unified('fetchTickers', 'tickersSync');
force(E, 'orderBookSync', function (symbol, limit) {
    var m = this.market(symbol);
    if (this.id === 'paper') {
        var t = this._paperTicker(symbol);
        return { symbol: symbol, bids: [[t.bid, t.bidVolume || 0]], asks: [[t.ask, t.askVolume || 0]], timestamp: t.timestamp,
                 datetime: iso(t.timestamp), nonce: undefined, info: t.info };
    }
    return this.fetchOrderBookReal(m, limit);
});
unified('fetchOrderBook', 'orderBookSync');
unified('fetchOHLCV', 'fetchOHLCVReal');
unified('fetchTrades', 'fetchTradesReal');
force(E, 'createOrderSync', function (symbol, type, side, amount, price, params) {
    var m = this.market(symbol), ap = this._checkOrder(m, type, side, amount, price);
    return this.createOrderReal(m, type, side, ap[0], ap[1], params || {});
});
unified('createOrder', 'createOrderSync');
unified('cancelOrder', 'cancelOrderReal');
unified('fetchOrder', 'fetchOrderReal');
unified('fetchOpenOrders', 'fetchOpenOrdersReal');
unified('fetchClosedOrders', 'fetchClosedOrdersReal');
unified('fetchMyTrades', 'fetchMyTradesReal');
unified('fetchBalance', 'fetchBalanceReal');
unified('fetchPositions', 'fetchPositionsReal');
E.createLimitOrder = function (symbol, side, amount, price, params) { return this.createOrder(symbol, 'limit', side, amount, price, params); };
E.createMarketOrder = function (symbol, side, amount, price, params) { return this.createOrder(symbol, 'market', side, amount, price, params); };
E.createLimitBuyOrder = function (symbol, amount, price, params) { return this.createOrder(symbol, 'limit', 'buy', amount, price, params); };
E.createLimitSellOrder = function (symbol, amount, price, params) { return this.createOrder(symbol, 'limit', 'sell', amount, price, params); };
E.createMarketBuyOrder = function (symbol, amount, params) { return this.createOrder(symbol, 'market', 'buy', amount, undefined, params); };
E.createMarketSellOrder = function (symbol, amount, params) { return this.createOrder(symbol, 'market', 'sell', amount, undefined, params); };

function subclass(id, describe, methods) {
    var C = function (config) {
        if (!(this instanceof C)) return new C(config);
        Exchange.call(this, id, describe, config);
        force(this, '_describeApi', describe.api);
    };
    C.prototype = Object.create(E);
    force(C.prototype, 'constructor', C);
    for (var k in methods) force(C.prototype, k, methods[k]);
    return C;
}
function ccxtOrderStatus(s) {
    return { NEW: 'open', PARTIALLY_FILLED: 'open', FILLED: 'closed', CANCELED: 'canceled', PENDING_CANCEL: 'canceling',
             REJECTED: 'rejected', EXPIRED: 'expired', EXPIRED_IN_MATCH: 'expired',
             New: 'open', PartiallyFilled: 'open', Untriggered: 'open', Filled: 'closed', Cancelled: 'canceled',
             PartiallyFilledCanceled: 'canceled', Rejected: 'rejected', Deactivated: 'canceled' }[s] || s;
}

/* ---- Binance spot, REST v3 (https://developers.binance.com/docs/binance-spot-api-docs/rest-api) ---- */
var BINANCE_ERRORS = { '-1003': RateLimitExceeded, '-1015': RateLimitExceeded, '-1021': InvalidNonce, '-1022': AuthenticationError,
                       '-2014': AuthenticationError, '-2015': AuthenticationError, '-1002': AuthenticationError,
                       '-1121': BadSymbol, '-2013': OrderNotFound, '-2011': OrderNotFound, '-1013': InvalidOrder,
                       '-1100': BadRequest, '-1102': BadRequest, '-1104': BadRequest, '-1111': InvalidOrder, '-1106': BadRequest,
                       '-1016': ExchangeNotAvailable, '-1001': ExchangeNotAvailable, '-1007': RequestTimeout };
var binance = subclass('binance', {
    name: 'Binance', api: 'https://api.binance.com', test: 'https://testnet.binance.vision', www: 'https://www.binance.com',
    options: { recvWindow: 5000 },
    has: { spot: true, swap: false, fetchPositions: false, fetchOHLCV: true, fetchOrderBook: true, fetchTrades: true }
}, {
    request: function (path, method, params, signed) {
        method = method || 'GET';
        var q = [], k;
        params = params || {};
        for (k in params) if (params[k] !== undefined) q.push(encodeURIComponent(k) + '=' + encodeURIComponent(params[k]));
        var headers = {};
        for (var attempt = 0; ; attempt++) {
            var query = q.slice();
            if (signed) {
                this._needSecrets();
                if (this._timeOffset === undefined) this._syncTime();
                query.push('timestamp=' + (Date.now() + this._timeOffset));
                query.push('recvWindow=' + (this.options.recvWindow || 5000));
                var text = query.join('&');
                query.push('signature=' + this._hmacHex(text));
                headers['X-MBX-APIKEY'] = this._secrets().apiKey;
            }
            var url = this.urls.api + path + (query.length ? '?' + query.join('&') : '');
            var r = this._http(method, url, headers);
            var body = r[1];
            if (r[0] === 200 && !(body && typeof body === 'object' && !isArray(body) && body.code !== undefined && body.code < 0)) return body;
            var code = body && typeof body === 'object' ? body.code : undefined;
            if (code === -1021 && signed && attempt === 0) { this._syncTime(); continue; }
            var what = method + ' ' + path;
            if (code !== undefined) {
                var msg = this.id + ' ' + what + ': ' + code + ' ' + this._scrub(body.msg);
                if (code === -2010) throw /insufficient/i.test(body.msg) ? new InsufficientFunds(msg) : new InvalidOrder(msg);
                if (/^-11\d\d$/.test(String(code)) && /symbol/i.test(body.msg)) throw new BadSymbol(msg);
                var C = BINANCE_ERRORS[String(code)];
                if (r[0] === 429 && !C) C = RateLimitExceeded;
                throw new (C || ExchangeError)(msg);
            }
            this._httpError(r[0], what, typeof body === 'string' ? body : JSON.stringify(body));
            throw new ExchangeError(this.id + ' ' + what + ': unexpected answer');
        }
    },
    _syncTime: function () {
        var before = Date.now(), t = this.request('/api/v3/time');
        if (!(Number(t && t.serverTime) > 0)) throw new ExchangeError(this.id + ': /api/v3/time answered ' + String(JSON.stringify(t)).slice(0, 100));
        this._timeOffset = Math.round(Number(t.serverTime) - (before + Date.now()) / 2);
    },
    fetchMarketsReal: function () {
        var info = this.request('/api/v3/exchangeInfo'), list = [];
        for (var i = 0; i < info.symbols.length; i++) {
            var s = info.symbols[i], f = {};
            for (var j = 0; j < (s.filters || []).length; j++) f[s.filters[j].filterType] = s.filters[j];
            var lot = f.LOT_SIZE || {}, pf = f.PRICE_FILTER || {}, nf = f.NOTIONAL || f.MIN_NOTIONAL || {};
            list.push(makeMarket({ id: s.symbol, base: s.baseAsset, quote: s.quoteAsset, category: 'spot', active: s.status === 'TRADING',
                amountStep: num(lot.stepSize), priceStep: num(pf.tickSize), minAmount: num(lot.minQty) || undefined,
                maxAmount: num(lot.maxQty) || undefined, minPrice: num(pf.minPrice) || undefined, maxPrice: num(pf.maxPrice) || undefined,
                minCost: num(nf.minNotional) || undefined, info: s }));
        }
        return list;
    },
    parseTicker: function (t) {
        var m = this._byId('spot', t.symbol);
        return safeTicker(m ? m.symbol : t.symbol, { timestamp: t.closeTime, high: num(t.highPrice), low: num(t.lowPrice),
            bid: num(t.bidPrice), bidVolume: num(t.bidQty), ask: num(t.askPrice), askVolume: num(t.askQty), open: num(t.openPrice),
            close: num(t.lastPrice), last: num(t.lastPrice), change: num(t.priceChange), percentage: num(t.priceChangePercent),
            vwap: num(t.weightedAvgPrice), baseVolume: num(t.volume), quoteVolume: num(t.quoteVolume), info: t });
    },
    fetchTickerReal: function (symbol) {
        return this.parseTicker(this.request('/api/v3/ticker/24hr', 'GET', { symbol: this.market(symbol).id }));
    },
    fetchOrderBookReal: function (m, limit) {
        var b = this.request('/api/v3/depth', 'GET', { symbol: m.id, limit: limit });
        function side(l) { var r = []; for (var i = 0; i < l.length; i++) r.push([Number(l[i][0]), Number(l[i][1])]); return r; }
        return { symbol: m.symbol, bids: side(b.bids), asks: side(b.asks), nonce: b.lastUpdateId, timestamp: undefined, datetime: undefined, info: b };
    },
    fetchOHLCVReal: function (symbol, timeframe, since, limit) {
        var k = this.request('/api/v3/klines', 'GET', { symbol: this.market(symbol).id, interval: timeframe || '1m', startTime: since, limit: limit });
        var r = [];
        for (var i = 0; i < k.length; i++) r.push([k[i][0], Number(k[i][1]), Number(k[i][2]), Number(k[i][3]), Number(k[i][4]), Number(k[i][5])]);
        return r;
    },
    fetchTradesReal: function (symbol, since, limit) {
        var m = this.market(symbol), l = this.request('/api/v3/trades', 'GET', { symbol: m.id, limit: limit }), r = [];
        for (var i = 0; i < l.length; i++)
            r.push({ id: String(l[i].id), symbol: m.symbol, price: num(l[i].price), amount: num(l[i].qty), cost: num(l[i].quoteQty),
                     side: l[i].isBuyerMaker ? 'sell' : 'buy', timestamp: l[i].time, datetime: iso(l[i].time), info: l[i] });
        return filterSymbol(r, null, since, undefined);
    },
    fetchBalanceReal: function () {
        var a = this.request('/api/v3/account', 'GET', {}, true), r = { info: a, free: {}, used: {}, total: {}, timestamp: a.updateTime };
        for (var i = 0; i < (a.balances || []).length; i++) {
            var b = a.balances[i], f = Number(b.free), u = Number(b.locked), tot = fix(f + u);
            r[b.asset] = { free: f, used: u, total: tot };
            r.free[b.asset] = f; r.used[b.asset] = u; r.total[b.asset] = tot;
        }
        r.datetime = iso(r.timestamp);
        return r;
    },
    parseOrder: function (o) {
        var m = this._byId('spot', o.symbol), filled = num(o.executedQty), amount = num(o.origQty), cost = num(o.cummulativeQuoteQty);
        var ts = o.time || o.transactTime, r = { id: String(o.orderId), clientOrderId: o.clientOrderId, timestamp: ts, datetime: iso(ts),
            lastTradeTimestamp: o.updateTime, symbol: m ? m.symbol : o.symbol, type: String(o.type).toLowerCase(),
            timeInForce: o.timeInForce, side: String(o.side).toLowerCase(), price: num(o.price), amount: amount, filled: filled,
            remaining: amount !== undefined && filled !== undefined ? fix(amount - filled) : undefined, cost: cost,
            average: filled ? fix(cost / filled) : undefined, status: ccxtOrderStatus(o.status), fee: undefined, trades: [], info: o };
        if (o.fills && o.fills.length) {
            var fee = 0;
            for (var i = 0; i < o.fills.length; i++) {
                fee += Number(o.fills[i].commission);
                r.trades.push({ id: String(o.fills[i].tradeId), order: r.id, symbol: r.symbol, side: r.side, price: Number(o.fills[i].price),
                                amount: Number(o.fills[i].qty), fee: { currency: o.fills[i].commissionAsset, cost: Number(o.fills[i].commission) }, info: o.fills[i] });
            }
            r.fee = { currency: o.fills[0].commissionAsset, cost: fix(fee) };
        }
        if (r.price === 0 && r.type === 'market') r.price = r.average;
        return r;
    },
    createOrderReal: function (m, type, side, amount, price, params) {
        var p = { symbol: m.id, side: side.toUpperCase(), type: type.toUpperCase(), quantity: nstr(amount), newOrderRespType: 'FULL',
                  newClientOrderId: params.clientOrderId };
        if (type === 'limit') { p.price = nstr(price); p.timeInForce = params.timeInForce || 'GTC'; }
        return this.parseOrder(this.request('/api/v3/order', 'POST', p, true));
    },
    cancelOrderReal: function (id, symbol) {
        return this.parseOrder(this.request('/api/v3/order', 'DELETE', { symbol: this._need(symbol, 'cancelOrder').id, orderId: id }, true));
    },
    fetchOrderReal: function (id, symbol) {
        return this.parseOrder(this.request('/api/v3/order', 'GET', { symbol: this._need(symbol, 'fetchOrder').id, orderId: id }, true));
    },
    fetchOpenOrdersReal: function (symbol, since, limit) {
        var l = this.request('/api/v3/openOrders', 'GET', { symbol: symbol ? this.market(symbol).id : undefined }, true);
        return filterSymbol(l.map(this.parseOrder, this), null, since, limit);
    },
    fetchClosedOrdersReal: function (symbol, since, limit) {
        var l = this.request('/api/v3/allOrders', 'GET', { symbol: this._need(symbol, 'fetchClosedOrders').id, startTime: since, limit: limit }, true);
        return l.map(this.parseOrder, this).filter(function (o) { return o.status !== 'open'; });
    },
    fetchMyTradesReal: function (symbol, since, limit) {
        var m = this._need(symbol, 'fetchMyTrades'), l = this.request('/api/v3/myTrades', 'GET', { symbol: m.id, startTime: since, limit: limit }, true), r = [];
        for (var i = 0; i < l.length; i++)
            r.push({ id: String(l[i].id), order: String(l[i].orderId), symbol: m.symbol, side: l[i].isBuyer ? 'buy' : 'sell',
                     takerOrMaker: l[i].isMaker ? 'maker' : 'taker', price: num(l[i].price), amount: num(l[i].qty), cost: num(l[i].quoteQty),
                     fee: { currency: l[i].commissionAsset, cost: num(l[i].commission) }, timestamp: l[i].time, datetime: iso(l[i].time), info: l[i] });
        return r;
    },
    _need: function (symbol, what) {
        if (!symbol) throw new BadRequest(this.id + ' ' + what + '() requires a symbol argument');
        return this.market(symbol);
    }
});

/* ---- Bybit v5, unified account: spot and linear (https://bybit-exchange.github.io/docs/v5/intro) ---- */
var BYBIT_ERRORS = { '10003': AuthenticationError, '10004': AuthenticationError, '10005': PermissionDenied, '10007': AuthenticationError,
                     '10006': RateLimitExceeded, '10018': RateLimitExceeded, '10002': InvalidNonce, '10016': ExchangeNotAvailable,
                     '110007': InsufficientFunds, '110004': InsufficientFunds, '110012': InsufficientFunds, '110045': InsufficientFunds,
                     '170131': InsufficientFunds, '110001': OrderNotFound, '170213': OrderNotFound, '110008': OrderNotFound,
                     '110003': InvalidOrder, '110017': InvalidOrder, '170136': InvalidOrder, '170137': InvalidOrder, '170140': InvalidOrder,
                     '10001': BadRequest, '170121': BadSymbol };
var bybit = subclass('bybit', {
    name: 'Bybit', api: 'https://api.bybit.com', test: 'https://api-testnet.bybit.com', www: 'https://www.bybit.com',
    options: { recvWindow: 5000, defaultType: 'spot' },
    has: { spot: true, swap: true, fetchPositions: true, fetchOHLCV: true, fetchOrderBook: true, fetchTrades: true }
}, {
    request: function (path, method, params, signed) {
        method = method || 'GET';
        params = params || {};
        var q = [], k, body, headers = {}, payload;
        for (k in params) if (params[k] !== undefined) q.push(encodeURIComponent(k) + '=' + encodeURIComponent(params[k]));
        for (var attempt = 0; ; attempt++) {
            if (method === 'POST') {
                var clean = {};
                for (k in params) if (params[k] !== undefined) clean[k] = params[k];
                body = JSON.stringify(clean);
                payload = body;
                headers['Content-Type'] = 'application/json';
            } else payload = q.join('&');
            if (signed) {
                this._needSecrets();
                if (this._timeOffset === undefined) this._syncTime();
                var ts = String(Date.now() + this._timeOffset), rw = String(this.options.recvWindow || 5000), key = this._secrets().apiKey;
                headers['X-BAPI-API-KEY'] = key;
                headers['X-BAPI-TIMESTAMP'] = ts;
                headers['X-BAPI-RECV-WINDOW'] = rw;
                headers['X-BAPI-SIGN'] = this._hmacHex(ts + key + rw + payload);
            }
            var url = this.urls.api + path + (method !== 'POST' && q.length ? '?' + q.join('&') : '');
            var r = this._http(method, url, headers, body), b = r[1], what = method + ' ' + path;
            if (r[0] === 200 && b && typeof b === 'object' && b.retCode === 0) return b;
            if (b && typeof b === 'object' && b.retCode !== undefined) {
                if (b.retCode === 10002 && signed && attempt === 0) { this._syncTime(); continue; }
                var msg = this.id + ' ' + what + ': ' + b.retCode + ' ' + this._scrub(b.retMsg);
                var C = BYBIT_ERRORS[String(b.retCode)];
                if (b.retCode === 10001 && /symbol/i.test(b.retMsg)) C = BadSymbol;
                else if (b.retCode === 10001 && /\/order\//.test(path)) C = InvalidOrder;
                if (!C && r[0] === 429) C = RateLimitExceeded;
                throw new (C || ExchangeError)(msg);
            }
            this._httpError(r[0], what, typeof b === 'string' ? b : JSON.stringify(b));
            throw new ExchangeError(this.id + ' ' + what + ': unexpected answer');
        }
    },
    _syncTime: function () {
        var before = Date.now(), t = this.request('/v5/market/time');
        if (!t.result || !(Number(t.result.timeSecond) > 0)) throw new ExchangeError(this.id + ': /v5/market/time answered ' + String(JSON.stringify(t)).slice(0, 100));
        this._timeOffset = Math.round(Number(t.result.timeSecond) * 1000 - (before + Date.now()) / 2);
        if (t.result.timeNano) this._timeOffset = Math.round(Number(String(t.result.timeNano).slice(0, -6)) - (before + Date.now()) / 2);
    },
    fetchMarketsReal: function () {
        var list = [], cats = ['spot', 'linear'];
        for (var c = 0; c < cats.length; c++) {
            var l = this.request('/v5/market/instruments-info', 'GET', { category: cats[c], limit: cats[c] === 'linear' ? 1000 : undefined }).result.list;
            for (var i = 0; i < l.length; i++) {
                var s = l[i], lot = s.lotSizeFilter || {}, pf = s.priceFilter || {};
                if (cats[c] === 'linear' && s.contractType && s.contractType !== 'LinearPerpetual') continue;
                list.push(makeMarket({ id: s.symbol, base: s.baseCoin, quote: s.quoteCoin, settle: cats[c] === 'linear' ? s.settleCoin : undefined,
                    category: cats[c], active: s.status === 'Trading', amountStep: num(lot.basePrecision) || num(lot.qtyStep),
                    priceStep: num(pf.tickSize), minAmount: num(lot.minOrderQty), maxAmount: num(lot.maxOrderQty) || num(lot.maxMktOrderQty),
                    minPrice: num(pf.minPrice) || undefined, maxPrice: num(pf.maxPrice) || undefined,
                    minCost: num(lot.minOrderAmt) || num(lot.minNotionalValue), info: s }));
            }
        }
        return list;
    },
    _cat: function (m) { return m ? m.category : (this.options.defaultType === 'swap' || this.options.defaultType === 'linear' ? 'linear' : 'spot'); },
    fetchTickerReal: function (symbol) {
        var m = this.market(symbol), a = this.request('/v5/market/tickers', 'GET', { category: m.category, symbol: m.id });
        var t = a.result.list[0];
        if (!t) throw new BadSymbol(this.id + ' has no ticker for ' + symbol);
        var last = num(t.lastPrice), prev = num(t.prevPrice24h);
        return safeTicker(symbol, { timestamp: a.time, high: num(t.highPrice24h), low: num(t.lowPrice24h), bid: num(t.bid1Price),
            bidVolume: num(t.bid1Size), ask: num(t.ask1Price), askVolume: num(t.ask1Size), open: prev, close: last, last: last,
            change: prev !== undefined && last !== undefined ? fix(last - prev) : undefined,
            percentage: num(t.price24hPcnt) !== undefined ? fix(num(t.price24hPcnt) * 100) : undefined,
            baseVolume: num(t.volume24h), quoteVolume: num(t.turnover24h), markPrice: num(t.markPrice), info: t });
    },
    fetchOrderBookReal: function (m, limit) {
        var b = this.request('/v5/market/orderbook', 'GET', { category: m.category, symbol: m.id, limit: limit }).result;
        function side(l) { var r = []; for (var i = 0; i < l.length; i++) r.push([Number(l[i][0]), Number(l[i][1])]); return r; }
        return { symbol: m.symbol, bids: side(b.b), asks: side(b.a), nonce: b.u, timestamp: b.ts, datetime: iso(b.ts), info: b };
    },
    fetchOHLCVReal: function (symbol, timeframe, since, limit) {
        var tf = { '1m': '1', '3m': '3', '5m': '5', '15m': '15', '30m': '30', '1h': '60', '2h': '120', '4h': '240', '6h': '360',
                   '12h': '720', '1d': 'D', '1w': 'W', '1M': 'M' }[timeframe || '1m'];
        if (!tf) throw new BadRequest(this.id + ' fetchOHLCV: unknown timeframe ' + timeframe);
        var m = this.market(symbol), l = this.request('/v5/market/kline', 'GET', { category: m.category, symbol: m.id, interval: tf, start: since, limit: limit }).result.list;
        var r = [];
        for (var i = l.length - 1; i >= 0; i--) r.push([Number(l[i][0]), Number(l[i][1]), Number(l[i][2]), Number(l[i][3]), Number(l[i][4]), Number(l[i][5])]);
        return r;
    },
    fetchTradesReal: function (symbol, since, limit) {
        var m = this.market(symbol), l = this.request('/v5/market/recent-trade', 'GET', { category: m.category, symbol: m.id, limit: limit }).result.list, r = [];
        for (var i = 0; i < l.length; i++) {
            var ts = Number(l[i].time);
            r.push({ id: l[i].execId, symbol: m.symbol, price: num(l[i].price), amount: num(l[i].size), cost: fix(num(l[i].price) * num(l[i].size)),
                     side: String(l[i].side).toLowerCase(), timestamp: ts, datetime: iso(ts), info: l[i] });
        }
        return filterSymbol(r, null, since, undefined);
    },
    fetchBalanceReal: function () {
        var a = this.request('/v5/account/wallet-balance', 'GET', { accountType: this.options.accountType || 'UNIFIED' }, true);
        var r = { info: a, free: {}, used: {}, total: {}, timestamp: a.time }, acct = a.result.list[0] || { coin: [] };
        for (var i = 0; i < acct.coin.length; i++) {
            var c = acct.coin[i], tot = num(c.walletBalance) || 0, used = (num(c.locked) || 0) + (num(c.totalPositionIM) || 0) + (num(c.totalOrderIM) || 0);
            var free = fix(tot - used);
            r[c.coin] = { free: free, used: fix(used), total: tot };
            r.free[c.coin] = free; r.used[c.coin] = fix(used); r.total[c.coin] = tot;
        }
        r.datetime = iso(r.timestamp);
        return r;
    },
    parseOrder: function (o, cat, m) {
        m = m || this._byId(cat, o.symbol);
        var amount = num(o.qty), filled = num(o.cumExecQty), cost = num(o.cumExecValue), ts = num(o.createdTime);
        var t = o.orderType ? String(o.orderType).toLowerCase() : undefined;
        return { id: o.orderId, clientOrderId: o.orderLinkId || undefined, timestamp: ts, datetime: iso(ts), lastTradeTimestamp: num(o.updatedTime),
                 symbol: m ? m.symbol : o.symbol, type: t, timeInForce: o.timeInForce, side: o.side ? String(o.side).toLowerCase() : undefined,
                 price: num(o.price) || num(o.avgPrice), amount: amount, filled: filled, remaining: num(o.leavesQty),
                 cost: cost, average: num(o.avgPrice) || (filled ? fix(cost / filled) : undefined), status: ccxtOrderStatus(o.orderStatus),
                 fee: o.cumExecFee !== undefined ? { cost: num(o.cumExecFee), currency: m ? (m.spot ? m.base : m.settle) : undefined } : undefined,
                 reduceOnly: o.reduceOnly, trades: [], info: o };
    },
    createOrderReal: function (m, type, side, amount, price, params) {
        var p = { category: m.category, symbol: m.id, side: side === 'buy' ? 'Buy' : 'Sell', orderType: type === 'limit' ? 'Limit' : 'Market',
                  qty: nstr(amount), orderLinkId: params.clientOrderId, reduceOnly: params.reduceOnly };
        if (type === 'limit') { p.price = nstr(price); p.timeInForce = params.timeInForce || 'GTC'; }
        if (type === 'market' && m.spot) p.marketUnit = 'baseCoin';
        var a = this.request('/v5/order/create', 'POST', p, true);
        return { id: a.result.orderId, clientOrderId: a.result.orderLinkId || undefined, timestamp: a.time, datetime: iso(a.time),
                 symbol: m.symbol, type: type, side: side, price: price, amount: amount, filled: undefined, remaining: undefined,
                 status: 'open', trades: [], info: a };
    },
    cancelOrderReal: function (id, symbol) {
        var m = this._need(symbol, 'cancelOrder'), a = this.request('/v5/order/cancel', 'POST', { category: m.category, symbol: m.id, orderId: id }, true);
        return { id: a.result.orderId, clientOrderId: a.result.orderLinkId || undefined, symbol: m.symbol, status: 'canceled', info: a };
    },
    _orders: function (path, symbol, extra, since, limit) {
        var m = symbol ? this.market(symbol) : undefined, cat = this._cat(m);
        var p = extend({ category: cat, symbol: m ? m.id : undefined, settleCoin: !m && cat === 'linear' ? 'USDT' : undefined, limit: limit }, extra);
        var l = this.request(path, 'GET', p, true).result.list, r = [];
        for (var i = 0; i < l.length; i++) r.push(this.parseOrder(l[i], cat, m));
        return filterSymbol(r, null, since, limit);
    },
    fetchOrderReal: function (id, symbol) {
        var l = this._orders('/v5/order/realtime', symbol, { orderId: id });
        if (!l.length) l = this._orders('/v5/order/history', symbol, { orderId: id });
        if (!l.length) throw new OrderNotFound(this.id + ': order ' + id + ' does not exist');
        return l[0];
    },
    fetchOpenOrdersReal: function (symbol, since, limit) { return this._orders('/v5/order/realtime', symbol, { openOnly: 0 }, since, limit); },
    fetchClosedOrdersReal: function (symbol, since, limit) {
        return this._orders('/v5/order/history', symbol, {}, since, limit).filter(function (o) { return o.status !== 'open'; });
    },
    fetchMyTradesReal: function (symbol, since, limit) {
        var m = symbol ? this.market(symbol) : undefined, cat = this._cat(m);
        var l = this.request('/v5/execution/list', 'GET', { category: cat, symbol: m ? m.id : undefined, startTime: since, limit: limit }, true).result.list, r = [];
        for (var i = 0; i < l.length; i++) {
            var x = l[i], mm = m || this._byId(cat, x.symbol), ts = num(x.execTime);
            r.push({ id: x.execId, order: x.orderId, symbol: mm ? mm.symbol : x.symbol, side: String(x.side).toLowerCase(),
                     takerOrMaker: x.isMaker ? 'maker' : 'taker', price: num(x.execPrice), amount: num(x.execQty), cost: num(x.execValue),
                     fee: { cost: num(x.execFee), currency: x.feeCurrency }, timestamp: ts, datetime: iso(ts), info: x });
        }
        return r;
    },
    fetchPositionsReal: function (symbols) {
        var l = this.request('/v5/position/list', 'GET', { category: 'linear', settleCoin: 'USDT' }, true).result.list, r = [];
        for (var i = 0; i < l.length; i++) {
            var p = l[i], m = this._byId('linear', p.symbol), size = num(p.size), ts = num(p.updatedTime);
            if (!size) continue;
            if (symbols && symbols.indexOf(m ? m.symbol : p.symbol) < 0) continue;
            r.push({ symbol: m ? m.symbol : p.symbol, side: p.side === 'Buy' ? 'long' : p.side === 'Sell' ? 'short' : undefined,
                     contracts: size, contractSize: 1, entryPrice: num(p.avgPrice), markPrice: num(p.markPrice), notional: num(p.positionValue),
                     leverage: num(p.leverage), initialMargin: num(p.positionIM), unrealizedPnl: num(p.unrealisedPnl),
                     realizedPnl: num(p.cumRealisedPnl), liquidationPrice: num(p.liqPrice), timestamp: ts, datetime: iso(ts),
                     marginMode: p.tradeMode === 1 ? 'isolated' : 'cross', info: p });
        }
        return r;
    },
    _need: function (symbol, what) {
        if (!symbol) throw new BadRequest(this.id + ' ' + what + '() requires a symbol argument');
        return this.market(symbol);
    }
});

var paper = subclass('paper', {
    name: 'Paper', api: '', test: '', www: '', options: {},
    has: { spot: true, swap: true, fetchPositions: true, fetchOHLCV: false, fetchOrderBook: true, fetchTrades: false }
}, {});

/* a connector a host registered from C (include/ami/cex.h): call(method, argsJSON) -> JSON text,
 * errors thrown as {name, message} */
function hostedConnector(id, call) {
    return subclass(id, { name: id, api: '', test: '', www: '', options: {}, has: { spot: true } }, {
        _needSecrets: function () {},
        _call: function (method, args) {
            var r = call(method, JSON.stringify(args));
            return r === undefined || r === null ? null : JSON.parse(r);
        },
        fetchMarketsReal: function () {
            var l = this._call('fetchMarkets', []), r = [];
            for (var i = 0; i < l.length; i++) r.push(makeMarket(extend({ category: l[i].settle ? 'linear' : 'spot' }, l[i])));
            return r;
        },
        fetchTickerReal: function (symbol) { return safeTicker(symbol, this._call('fetchTicker', [symbol])); },
        fetchBalanceReal: function () { return this._call('fetchBalance', []); },
        createOrderReal: function (m, type, side, amount, price) { return this._call('createOrder', [m.symbol, type, side, amount, price]); },
        cancelOrderReal: function (id, symbol) { return this._call('cancelOrder', [id, symbol]); },
        fetchOpenOrdersReal: function (symbol) { return this._call('fetchOpenOrders', [symbol || null]); }
    });
}
force(kit, 'hostedConnector', hostedConnector);

var exchanges = ['binance', 'bybit', 'paper'];
force(cex, 'binance', binance);
force(cex, 'bybit', bybit);
force(cex, 'paper', paper);
var hosted = kit.hosted || [];
for (var h = 0; h < hosted.length; h++) {
    if (cex[hosted[h].id]) continue;
    force(cex, hosted[h].id, hostedConnector(hosted[h].id, hosted[h].call));
    exchanges.push(hosted[h].id);
}
force(cex, 'exchanges', exchanges.sort());
force(cex, 'Exchange', Exchange);
force(cex, 'version', '1');
return cex;
}
