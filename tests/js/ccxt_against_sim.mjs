// A real third-party Binance client (ccxt, pinned in package.json) against exchange-sim
// over TLS: if the simulator's answers drift from Binance's shapes, signatures or error
// codes, a client written by others against the real venue notices, not only ours.
// Usage: node ccxt_against_sim.mjs trade BASE_URL        (a sim with USDT=1000)
//        node ccxt_against_sim.mjs rate-limit BASE_URL   (a sim with --burst-429-every 2)
// Key and secret from BINANCE_API_KEY / BINANCE_API_SECRET; the sim's certificate through
// NODE_EXTRA_CA_CERTS.
// Prints "ok: ..." or "FAIL: ..." per check; exits 1 if any check failed.
import ccxt from 'ccxt';

import { bad, check, raised, run, units } from './checks.mjs';

const [mode, base] = process.argv.slice(2);

function client(url, secret = process.env.BINANCE_API_SECRET) {
  const ex = new ccxt.binance({
    apiKey: process.env.BINANCE_API_KEY,
    secret,
    enableRateLimit: false,
    options: { fetchMarkets: { types: ['spot'] }, fetchMargins: false, fetchCurrencies: false },
    });
  ex.urls.api.public = `${url}/api/v3`;
  ex.urls.api.private = `${url}/api/v3`;
  return ex;
}

const rawBalance = (balance, asset) => balance.info.balances.find((b) => b.asset === asset);

async function trade() {
  const ex = client(base);
  const symbol = 'BTC/USDT';

  const serverTime = await ex.fetchTime();
  check(Math.abs(serverTime - Date.now()) < 5000, 'fetchTime: the server time is now', serverTime);

  const markets = await ex.loadMarkets();
  const m = markets[symbol];
  check(m && m.id === 'BTCUSDT' && m.spot && m.active && m.base === 'BTC' && m.quote === 'USDT',
    'loadMarkets: BTC/USDT is an active spot market', m && { id: m.id, spot: m.spot, active: m.active });
  check(m.precision.amount === 0.00001 && m.precision.price === 0.01 && m.limits.amount.min === 0.00001 &&
    m.limits.cost.min === 5, 'loadMarkets: LOT_SIZE, PRICE_FILTER and NOTIONAL read as Binance\'s', { precision: m.precision, limits: m.limits });

  // The sim sells nothing before its replay has printed a trade.
  let last = 0;
  for (let i = 0; i < 100 && !(last > 0); i += 1) {
    last = Number((await ex.publicGetTickerPrice({ symbol: 'BTCUSDT' })).price);
    if (!(last > 0)) await new Promise((r) => setTimeout(r, 100));
  }
  check(last > 1000, 'GET ticker/price through the implicit API', last);

  const before = await ex.fetchBalance();
  check(before.USDT.free === 1000 && before.USDT.used === 0 && (before.BTC?.free ?? 0) === 0,
    'fetchBalance: the funded account', { USDT: before.USDT, BTC: before.BTC });

  const bought = await ex.createOrder(symbol, 'market', 'buy', 0.001, undefined, { clientOrderId: 'ccxt-buy-1' });
  check(bought.status === 'closed' && bought.filled === 0.001 && bought.remaining === 0 && bought.clientOrderId === 'ccxt-buy-1' &&
    bought.trades.length >= 1 && bought.fee && bought.fee.currency === 'BTC' && Math.abs(bought.fee.cost - 0.000001) < 1e-12,
    'createOrder market buy: filled, with its fills and the 0.1% fee in BTC',
    { status: bought.status, filled: bought.filled, clientOrderId: bought.clientOrderId, fee: bought.fee });

  const dup = await raised(() => ex.createOrder(symbol, 'market', 'buy', 0.001, undefined, { clientOrderId: 'ccxt-buy-1' }));
  check(dup instanceof ccxt.InvalidOrder, 'the same clientOrderId again: InvalidOrder (-2010 duplicate)', dup && dup.constructor.name);

  const fetched = await ex.fetchOrder(bought.id, symbol);
  check(fetched.id === bought.id && fetched.status === 'closed' && fetched.filled === 0.001 && fetched.cost === bought.cost,
    'fetchOrder by id: the same order, filled', { id: fetched.id, status: fetched.status, cost: fetched.cost });
  const byClient = await ex.fetchOrder(undefined, symbol, { origClientOrderId: 'ccxt-buy-1' });
  check(byClient.id === bought.id, 'fetchOrder by client order id', byClient.id);

  const resting = await ex.createOrder(symbol, 'limit', 'buy', 0.01, 1000, { clientOrderId: 'ccxt-low-1' });
  check(resting.status === 'open' && resting.filled === 0 && resting.price === 1000, 'createOrder limit far below: open', resting.status);
  const open = await ex.fetchOpenOrders(symbol);
  check(open.length === 1 && open[0].id === resting.id, 'fetchOpenOrders: only the resting order', open.map((o) => o.id));
  const locked = await ex.fetchBalance();
  check(rawBalance(locked, 'USDT').locked === '10', 'fetchBalance: the resting buy locks price × quantity (10 USDT)', rawBalance(locked, 'USDT'));
  const canceled = await ex.cancelOrder(resting.id, symbol);
  check(canceled.status === 'canceled' && canceled.id === resting.id, 'cancelOrder: canceled', canceled.status);
  const again = await raised(() => ex.cancelOrder(resting.id, symbol));
  check(again instanceof ccxt.OrderNotFound, 'cancelOrder again: OrderNotFound (-2011)', again && again.constructor.name);
  const gone = await raised(() => ex.fetchOrder('987654321', symbol));
  check(gone instanceof ccxt.OrderNotFound, 'fetchOrder of an unknown id: OrderNotFound (-2013)', gone && gone.constructor.name);

  const trades = await ex.fetchMyTrades(symbol);
  const qty = trades.reduce((s, t) => s + units(t.info.qty), 0n);
  const quote = trades.reduce((s, t) => s + units(t.info.quoteQty), 0n);
  const fee = trades.reduce((s, t) => s + units(t.info.commission), 0n);
  check(trades.length === bought.trades.length && trades.every((t) => t.order === bought.id && t.side === 'buy' &&
    t.takerOrMaker === 'taker' && t.fee.currency === 'BTC') && qty === 100000n && fee === 100n,
    'fetchMyTrades: the market order\'s fills, taker, fee in BTC, adding up to 0.001 BTC less 0.000001 of fee',
    { n: trades.length, qty: qty.toString(), fee: fee.toString() });
  check(quote === units(fetched.info.cummulativeQuoteQty), 'the fills\' quote quantities add up to the order\'s cummulativeQuoteQty',
    { fills: quote.toString(), order: fetched.info.cummulativeQuoteQty });

  // To the unit: the account moved by exactly what the fills say.
  const after = await ex.fetchBalance();
  const usdt = units(rawBalance(after, 'USDT').free);
  const btc = units(rawBalance(after, 'BTC').free);
  check(usdt === 1000n * 100000000n - quote && btc === qty - fee && rawBalance(after, 'USDT').locked === '0',
    'fetchBalance after: USDT less the fills\' cost, BTC the fills less the fee, exactly',
    { usdt: rawBalance(after, 'USDT'), btc: rawBalance(after, 'BTC'), quote: quote.toString() });

  const tooSmall = await raised(() => ex.createOrder(symbol, 'limit', 'buy', 0.00001, 1000));
  // ccxt maps Binance's -1013 to BadRequest, whatever the filter: the message names it.
  check(tooSmall instanceof ccxt.BadRequest && tooSmall.message.includes('Filter failure: NOTIONAL'),
    'an order under the minimum notional: BadRequest, -1013 Filter failure: NOTIONAL', tooSmall && `${tooSmall.constructor.name} ${tooSmall.message}`);
  const tooBig = await raised(() => ex.createOrder(symbol, 'market', 'buy', 5));
  check(tooBig instanceof ccxt.InsufficientFunds, 'more than the account holds: InsufficientFunds (-2010)', tooBig && `${tooBig.constructor.name} ${tooBig.message}`);
  const wrongSecret = await raised(() => client(base, 'not-the-secret').fetchBalance());
  check(wrongSecret instanceof ccxt.AuthenticationError, 'a wrong secret: AuthenticationError (-1022)', wrongSecret && wrongSecret.constructor.name);
}

// A sim that answers every second request with 429 and Retry-After: ccxt sees a rate limit.
async function rateLimit() {
  const faulty = client(base);
  let limited = null;
  for (let i = 0; i < 4 && !limited; i += 1) limited = await raised(() => faulty.fetchTime());
  check(limited instanceof ccxt.RateLimitExceeded || limited instanceof ccxt.DDoSProtection,
    'a 429 burst: ccxt raises its rate-limit error', limited && `${limited.constructor.name} ${limited.message}`);
}

await run(async () => {
  if (mode === 'trade') await trade();
  else if (mode === 'rate-limit') await rateLimit();
  else bad(`unknown mode ${mode}: expected trade or rate-limit`);
});
