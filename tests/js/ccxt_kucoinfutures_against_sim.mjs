// ccxt's KuCoin Futures class (kucoinfutures, pinned in package.json) against `exchange-sim
// --venue kucoin_futures` over TLS: every private request carries ccxt's own KC-API-*
// signature and passphrase HMAC, which the sim verifies. The contract as a market (lots of
// 0.001 BTC), the margin mode and cross leverage, a short at market and its fills, lookups
// by id and clientOid, a resting limit listed and canceled, the position, the account, and
// KuCoin Futures' error codes as ccxt's classes: a client written by others against the
// real venue reads the sim's answers as KuCoin's.
// Usage: node ccxt_kucoinfutures_against_sim.mjs trade BASE_URL   (a sim with USDT=1000)
// Key, secret and passphrase from KUCOIN_FUTURES_API_KEY / _SECRET / _PASSPHRASE; the sim's
// certificate through NODE_EXTRA_CA_CERTS. Prints "ok: ..." or "FAIL: ..." per check;
// exits 1 if any check failed.
import ccxt from 'ccxt';

import { bad, check, raised, run, units } from './checks.mjs';

const [mode, base] = process.argv.slice(2);

function client(url) {
  const ex = new ccxt.kucoinfutures({
    apiKey: process.env.KUCOIN_FUTURES_API_KEY, secret: process.env.KUCOIN_FUTURES_API_SECRET,
    password: process.env.KUCOIN_FUTURES_API_PASSPHRASE, enableRateLimit: false,
    options: { hf: false },  // the spot account's HF status is api.kucoin.com's to say, not this venue's
  });
  for (const api of Object.keys(ex.urls.api)) ex.urls.api[api] = url;
  ex.has.fetchCurrencies = false;  // the currencies list is spot's (api.kucoin.com), not this venue's
  return ex;
}

async function trade() {
  const ex = client(base);
  const symbol = 'BTC/USDT:USDT';

  const serverTime = await ex.fetchTime();
  check(Math.abs(serverTime - Date.now()) < 5000, 'fetchTime: the server time is now', serverTime);

  // The spot margin lists are api.kucoin.com's too: not asked of a futures venue.
  const markets = await ex.loadMarkets(false, { marginables: false });
  const m = markets[symbol];
  check(m && m.id === 'XBTUSDTM' && m.swap && m.linear && m.settle === 'USDT' && m.active && m.base === 'BTC',
    'loadMarkets: XBTUSDTM is BTC/USDT:USDT, an active linear perpetual settled in USDT',
    m && { id: m.id, swap: m.swap, linear: m.linear, active: m.active });
  check(m.contractSize === 0.001 && m.precision.amount === 1 && m.precision.price === 0.1 && m.limits.leverage.max === 125,
    'loadMarkets: lots of 0.001 BTC, whole lots, a tick of 0.1, 125x at most', { contractSize: m.contractSize, precision: m.precision });

  const before = await ex.fetchBalance({ code: 'USDT' });
  check(before.USDT.free === 1000 && before.USDT.total === 1000, 'fetchBalance: the funded USDT account', before.USDT);

  const margin = await ex.setMarginMode('cross', symbol);
  check(margin.marginMode === 'cross' && margin.info.marginMode === 'CROSS', 'setMarginMode cross', margin);
  await ex.setLeverage(10, symbol, { marginMode: 'cross' });
  const leverage = await ex.futuresPrivateGetGetCrossUserLeverage({ symbol: 'XBTUSDTM' });
  check(leverage.data.leverage === '10', 'setLeverage: 10x cross, read back', leverage.data);

  const sold = await ex.createOrder(symbol, 'market', 'sell', 10, undefined, { clientOid: 'ccxt-kf-short-1', marginMode: 'cross' });
  check(typeof sold.id === 'string' && sold.id.length === 24, 'createOrder market sell 10 lots: a 24-digit order id', sold.id);
  const fetched = await ex.fetchOrder(sold.id, symbol);
  check(fetched.id === sold.id && fetched.status === 'closed' && fetched.filled === 10 && fetched.amount === 10 &&
    fetched.side === 'sell' && fetched.clientOrderId === 'ccxt-kf-short-1' && fetched.average > 1000,
    'fetchOrder: filled 10 lots, our clientOid, an average price', { status: fetched.status, filled: fetched.filled, average: fetched.average });
  // fetchOrder wants an id; its contract half looks an order up by clientOid alone.
  const byClient = await ex.fetchContractOrder(undefined, symbol, { clientOid: 'ccxt-kf-short-1' });
  check(byClient.id === sold.id, 'fetchOrder by clientOid: the same order', byClient.id);
  const again = await raised(() => ex.createOrder(symbol, 'market', 'sell', 1, undefined, { clientOid: 'ccxt-kf-short-1', marginMode: 'cross' }));
  check(again instanceof ccxt.InvalidOrder, 'the same clientOid again: refused (300012), nothing placed twice',
    again && `${again.constructor.name} ${again.message}`);

  const trades = await ex.fetchMyTrades(symbol);
  const lots = trades.reduce((s, t) => s + t.amount, 0);
  const value = trades.reduce((s, t) => s + units(t.info.value), 0n);
  const fee = trades.reduce((s, t) => s + units(t.info.fee), 0n);
  check(trades.length >= 1 && trades.every((t) => t.order === sold.id && t.side === 'sell' && t.fee.currency === 'USDT') &&
    lots === 10 && fee === value / 1000n && units(fetched.info.filledValue) === value,
    'fetchMyTrades: the short\'s fills, 10 lots, the 0.1% fee in USDT, their value the order\'s',
    { n: trades.length, lots, value: `${value}`, fee: `${fee}` });

  const resting = await ex.createOrder(symbol, 'limit', 'sell', 1, Math.round(fetched.average * 2), { clientOid: 'ccxt-kf-high-1', marginMode: 'cross' });
  const restingOrder = await ex.fetchOrder(resting.id, symbol);
  check(restingOrder.status === 'open' && restingOrder.filled === 0, 'createOrder limit far above: open', restingOrder.status);
  const open = await ex.fetchOpenOrders(symbol);
  check(open.length === 1 && open[0].id === resting.id, 'fetchOpenOrders: only the resting order', open.map((o) => o.id));
  await ex.cancelOrder(resting.id, symbol);
  const canceled = await ex.fetchOrder(resting.id, symbol);
  check(canceled.status === 'canceled', 'cancelOrder: canceled', canceled.status);
  const twice = await raised(() => ex.cancelOrder(resting.id, symbol));
  check(twice instanceof ccxt.BadRequest, 'cancelOrder again: 100004, not cancelable', twice && `${twice.constructor.name} ${twice.message}`);
  const unknown = await raised(() => ex.fetchOrder('0000000000000000000000ff', symbol));
  check(unknown instanceof ccxt.OrderNotFound, 'fetchOrder of an id it never had: OrderNotFound (100001)',
    unknown && unknown.constructor.name);

  const positions = await ex.fetchPositions([symbol]);
  const p = positions.find((x) => x.symbol === symbol);
  check(p && p.side === 'short' && p.contracts === 10 && p.contractSize === 0.001 && p.leverage === 10 && p.marginMode === 'cross',
    'fetchPositions: short 10 lots at 10x, cross', p && { side: p.side, contracts: p.contracts, leverage: p.leverage, marginMode: p.marginMode });
  const account = await ex.fetchBalance({ code: 'USDT' });
  const cost = units(p.info.posCost);  // a short's cost is below zero
  check(units(account.info.data.positionMargin) === (cost < 0n ? -cost : cost) / 10n && account.USDT.free < 1000,
    'fetchBalance: the short holds its cost over 10 in margin', account.info.data);

  const isolated = await raised(() => ex.createOrder(symbol, 'market', 'sell', 1, undefined, { marginMode: 'isolated' }));
  check(isolated instanceof ccxt.BadRequest && isolated.message.includes('CROSS'),
    'an isolated order on a cross symbol: refused', isolated && isolated.message);
  const switchOpen = await raised(() => ex.setMarginMode('isolated', symbol));
  check(switchOpen instanceof ccxt.BadRequest, 'the margin mode while a position is open: refused', switchOpen && switchOpen.message);
  const reduceTooMuch = await raised(() => ex.createOrder(symbol, 'market', 'buy', 20, undefined, { reduceOnly: true, marginMode: 'cross' }));
  check(reduceTooMuch instanceof ccxt.InvalidOrder, 'a reduce-only buy of more than the short: refused (300009)',
    reduceTooMuch && `${reduceTooMuch.constructor.name} ${reduceTooMuch.message}`);
  const tooBig = await raised(() => ex.createOrder(symbol, 'market', 'sell', 5000, undefined, { marginMode: 'cross' }));
  check(tooBig instanceof ccxt.InsufficientFunds, 'a short beyond the margin: InsufficientFunds (300003)',
    tooBig && `${tooBig.constructor.name} ${tooBig.message}`);
  const closed = await ex.createOrder(symbol, 'market', 'buy', 10, undefined, { reduceOnly: true, marginMode: 'cross' });
  const closedOrder = await ex.fetchOrder(closed.id, symbol);
  check(closedOrder.status === 'closed' && closedOrder.filled === 10, 'a reduce-only buy closes the short', closedOrder.status);
  const flat = await ex.setMarginMode('isolated', symbol);
  check(flat.marginMode === 'isolated', 'flat again: back to isolated', flat);
}

await run(async () => {
  if (mode === 'trade') await trade();
  else bad(`unknown mode ${mode}: expected trade`);
});
