// ccxt's USDⓈ-M class (binanceusdm, pinned in package.json) against `exchange-sim --venue
// binance_usdm` over TLS: markets, leverage, a short at market and its fills, a resting
// limit listed and canceled, the position and the wallet, and fapi's error codes. A client written by others against the real /fapi reads the sim's
// answers as Binance's.
// Usage: node ccxt_usdm_against_sim.mjs trade BASE_URL   (a sim with USDT=1000)
// Key and secret from BINANCE_API_KEY / BINANCE_API_SECRET; the sim's certificate through
// NODE_EXTRA_CA_CERTS. Prints "ok: ..." or "FAIL: ..." per check; exits 1 if any failed.
import ccxt from 'ccxt';

import { bad, check, raised, run, units } from './checks.mjs';

const [mode, base] = process.argv.slice(2);

function client(url) {
  const ex = new ccxt.binanceusdm({
    apiKey: process.env.BINANCE_API_KEY,
    secret: process.env.BINANCE_API_SECRET,
    enableRateLimit: false,
    options: {
      fetchMarkets: { types: ['linear'] }, fetchCurrencies: false, fetchMargins: false,
      fetchBalance: { useV2: true }, fetchPositionsRisk: { useV2: true },
    },
  });
  for (const api of ['fapiPublic', 'fapiPrivate']) ex.urls.api[api] = `${url}/fapi/v1`;
  for (const api of ['fapiPublicV2', 'fapiPrivateV2']) ex.urls.api[api] = `${url}/fapi/v2`;
  return ex;
}

async function trade() {
  const ex = client(base);
  const symbol = 'BTC/USDT:USDT';

  const markets = await ex.loadMarkets();
  const m = markets[symbol];
  check(m && m.id === 'BTCUSDT' && m.swap && m.linear && m.settle === 'USDT' && m.active,
    'loadMarkets: BTC/USDT:USDT is an active linear perpetual settled in USDT', m && { id: m.id, swap: m.swap, linear: m.linear });
  check(m.precision.amount === 0.00001 && m.precision.price === 0.01 && m.limits.amount.min === 0.00001 && m.limits.cost.min === 5,
    'loadMarkets: LOT_SIZE, PRICE_FILTER and MIN_NOTIONAL read as fapi\'s', { precision: m.precision, limits: m.limits });

  let last = 0;
  for (let i = 0; i < 100 && !(last > 0); i += 1) {
    last = Number((await ex.fapiPublicGetTickerPrice({ symbol: 'BTCUSDT' })).price);
    if (!(last > 0)) await new Promise((r) => setTimeout(r, 100));
  }
  check(last > 1000, 'GET /fapi/v1/ticker/price through the implicit API', last);

  const leverage = await ex.setLeverage(10, symbol);
  check(Number(leverage.leverage) === 10, 'setLeverage: 10x', leverage);

  const sold = await ex.createOrder(symbol, 'market', 'sell', 0.01, undefined, { clientOrderId: 'ccxt-short-1' });
  check(sold.status === 'closed' && sold.filled === 0.01 && sold.side === 'sell' && sold.clientOrderId === 'ccxt-short-1',
    'createOrder market sell: a short of 0.01, filled', { status: sold.status, filled: sold.filled, side: sold.side });

  const trades = await ex.fetchMyTrades(symbol);
  const qty = trades.reduce((s, t) => s + units(t.info.qty), 0n);
  const quote = trades.reduce((s, t) => s + units(t.info.quoteQty), 0n);
  const fee = trades.reduce((s, t) => s + units(t.info.commission), 0n);
  check(trades.length >= 1 && trades.every((t) => t.order === sold.id && t.side === 'sell' && t.fee.currency === 'USDT') &&
    qty === 1000000n && fee === quote / 1000n,
    'fetchMyTrades: the short\'s fills, 0.01 BTC, the 0.1% fee in USDT', { n: trades.length, qty: `${qty}`, fee: `${fee}` });

  const fetched = await ex.fetchOrder(sold.id, symbol);
  check(fetched.id === sold.id && fetched.status === 'closed' && units(fetched.info.cumQuote) === quote,
    'fetchOrder: the same order, its cumQuote the fills\' quote quantity', { id: fetched.id, cumQuote: fetched.info.cumQuote });

  const resting = await ex.createOrder(symbol, 'limit', 'sell', 0.01, Math.round(last * 2), { clientOrderId: 'ccxt-high-1' });
  check(resting.status === 'open' && resting.filled === 0, 'createOrder limit far above: open', resting.status);
  const open = await ex.fetchOpenOrders(symbol);
  check(open.length === 1 && open[0].id === resting.id, 'fetchOpenOrders: only the resting order', open.map((o) => o.id));
  const canceled = await ex.cancelOrder(resting.id, symbol);
  check(canceled.status === 'canceled', 'cancelOrder: canceled', canceled.status);
  const again = await raised(() => ex.cancelOrder(resting.id, symbol));
  check(again instanceof ccxt.OrderNotFound, 'cancelOrder again: OrderNotFound (-2011)', again && again.constructor.name);

  const positions = await ex.fetchPositionsRisk([symbol]);
  const p = positions.find((x) => x.symbol === symbol);
  check(p && p.side === 'short' && p.contracts === 0.01 && p.leverage === 10 && p.marginMode === 'cross',
    'fetchPositionsRisk: short 0.01 at 10x, cross', p && { side: p.side, contracts: p.contracts, leverage: p.leverage });

  const balance = await ex.fetchBalance();
  check(units(balance.info.totalWalletBalance) === 1000n * 100000000n - fee,
    'fetchBalance: the wallet is the deposit less the fee, exactly', balance.info.totalWalletBalance);

  // ccxt picks its class for a fapi code (InvalidOrder for -2022, ...) by the host name
  // (fapi.binance.com); against the sim's address it raises ExchangeError with the body, so
  // the code is what is checked.
  const fapiError = (e, code) => e instanceof ccxt.ExchangeError && e.message.includes(`"code":${code},`);
  const reduceTooMuch = await raised(() => ex.createOrder(symbol, 'market', 'buy', 0.02, undefined, { reduceOnly: true }));
  check(fapiError(reduceTooMuch, -2022), 'reduce-only buy of more than the short: -2022 ReduceOnly Order is rejected',
    reduceTooMuch && reduceTooMuch.message);
  const tooBig = await raised(() => ex.createOrder(symbol, 'market', 'sell', 5));
  check(fapiError(tooBig, -2019), 'a short beyond the margin: -2019 Margin is insufficient', tooBig && tooBig.message);
  const tooSmall = await raised(() => ex.createOrder(symbol, 'limit', 'sell', 0.00001, Math.round(last * 2)));
  check(fapiError(tooSmall, -4164), 'under the minimum notional: -4164', tooSmall && tooSmall.message);
  const closed = await ex.createOrder(symbol, 'market', 'buy', 0.01, undefined, { reduceOnly: true });
  check(closed.status === 'closed' && closed.filled === 0.01, 'a reduce-only buy closes the short', closed.status);
}

await run(async () => {
  if (mode === 'trade') await trade();
  else bad(`unknown mode ${mode}: expected trade`);
});
