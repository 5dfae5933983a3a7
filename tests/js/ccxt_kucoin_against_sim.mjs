// A real third-party KuCoin client (ccxt's kucoin class, pinned in package.json) against
// exchange-sim --venue kucoin over TLS: every private request carries ccxt's own KC-API-*
// signature and passphrase HMAC, which the sim verifies, and every answer must parse as
// KuCoin's for a client written by others against the real venue.
// Usage: node ccxt_kucoin_against_sim.mjs trade|rate-limit BASE_URL   (trade: a sim with USDT=1000)
// Key, secret and passphrase from KUCOIN_API_KEY / KUCOIN_API_SECRET / KUCOIN_API_PASSPHRASE;
// the sim's certificate through NODE_EXTRA_CA_CERTS.
// Prints "ok: ..." or "FAIL: ..." per check; exits 1 if any check failed.
import ccxt from 'ccxt';

import { bad, check, raised, run, units } from './checks.mjs';

const [mode, base] = process.argv.slice(2);

// Spot only (the sim is no futures venue); every REST family of the class points at the sim.
function client(url, password = process.env.KUCOIN_API_PASSPHRASE) {
  const ex = new ccxt.kucoin({
    apiKey: process.env.KUCOIN_API_KEY, secret: process.env.KUCOIN_API_SECRET, password, enableRateLimit: false,
    options: { fetchMarkets: { types: ['spot'] } },
  });
  for (const api of Object.keys(ex.urls.api)) ex.urls.api[api] = url;
  return ex;
}

const account = (balance, asset) => balance.info.data.find((a) => a.currency === asset);

async function trade() {
  const ex = client(base);
  const symbol = 'BTC/USDT';

  const serverTime = await ex.fetchTime();
  check(Math.abs(serverTime - Date.now()) < 5000, 'fetchTime: the server time is now', serverTime);

  const markets = await ex.loadMarkets();
  const m = markets[symbol];
  check(m && m.id === 'BTC-USDT' && m.spot && m.active && m.base === 'BTC' && m.quote === 'USDT',
    'loadMarkets: BTC/USDT is an active spot market', m && { id: m.id, spot: m.spot, active: m.active });
  check(m.precision.amount === 0.00001 && m.precision.price === 0.01 && m.limits.amount.min === 0.00001 &&
    m.limits.cost.min === 5 && m.taker === 0.001, 'loadMarkets: increments, minimums and the fee read as KuCoin\'s',
    { precision: m.precision, limits: m.limits, taker: m.taker });

  const before = await ex.fetchBalance();
  check(before.USDT.free === 1000 && before.USDT.used === 0 && (before.BTC?.free ?? 0) === 0,
    'fetchBalance: the funded trade account', { USDT: before.USDT, BTC: before.BTC });

  const bought = await ex.createOrder(symbol, 'market', 'buy', 0.001, undefined, { clientOid: 'ccxt-kc-buy-1' });
  check(typeof bought.id === 'string' && bought.id.length === 24 && bought.clientOrderId === 'ccxt-kc-buy-1',
    'createOrder market buy 0.001 BTC: a 24-digit order id, our clientOid', { id: bought.id, clientOrderId: bought.clientOrderId });
  const fetched = await ex.fetchOrder(bought.id, symbol);
  check(fetched.id === bought.id && fetched.status === 'closed' && fetched.filled === 0.001 && fetched.side === 'buy' &&
    fetched.type === 'market' && fetched.fee.currency === 'USDT',
    'fetchOrder: filled 0.001, the fee in USDT', { status: fetched.status, filled: fetched.filled, fee: fetched.fee });
  // fetchOrder wants an id; its spot half looks an order up by clientOid alone.
  const byClient = await ex.fetchSpotOrder(undefined, symbol, { clientOid: 'ccxt-kc-buy-1' });
  check(byClient.id === bought.id, 'fetchOrder by clientOid: the same order', byClient.id);
  const again = await raised(() => ex.createOrder(symbol, 'market', 'buy', 0.001, undefined, { clientOid: 'ccxt-kc-buy-1' }));
  check(again instanceof ccxt.InvalidOrder, 'the same clientOid again: refused (126033 Duplicate order), nothing placed twice',
    again && `${again.constructor.name} ${again.message}`);

  const spent = await ex.createOrder(symbol, 'market', 'buy', undefined, undefined, { cost: 20 });
  const spentOrder = await ex.fetchOrder(spent.id, symbol);
  check(spentOrder.status === 'closed' && spentOrder.cost > 0 && spentOrder.cost <= 20,
    'createOrder market buy for 20 USDT (funds): filled for at most 20', { cost: spentOrder.cost });
  const sold = await ex.createOrder(symbol, 'market', 'sell', 0.0005);
  const soldOrder = await ex.fetchOrder(sold.id, symbol);
  check(soldOrder.status === 'closed' && soldOrder.filled === 0.0005, 'createOrder market sell 0.0005 BTC: filled',
    { status: soldOrder.status, filled: soldOrder.filled });

  const resting = await ex.createOrder(symbol, 'limit', 'buy', 0.01, 1000, { clientOid: 'ccxt-kc-low-1' });
  const restingOrder = await ex.fetchOrder(resting.id, symbol);
  check(restingOrder.status === 'open' && restingOrder.filled === 0 && restingOrder.price === 1000 && restingOrder.amount === 0.01,
    'createOrder limit far below: open', { status: restingOrder.status, price: restingOrder.price });
  const open = await ex.fetchOpenOrders(symbol);
  check(open.length === 1 && open[0].id === resting.id, 'fetchOpenOrders: only the resting order', open.map((o) => o.id));
  const held = await ex.fetchBalance();
  check(account(held, 'USDT').holds === '10.01', 'fetchBalance: the resting buy holds price × size and its fee (10.01 USDT)',
    account(held, 'USDT'));
  await ex.cancelOrder(resting.id, symbol);
  const canceled = await ex.fetchOrder(resting.id, symbol);
  check(canceled.status === 'canceled', 'cancelOrder: canceled', canceled.status);
  const twice = await raised(() => ex.cancelOrder(resting.id, symbol));
  check(twice instanceof ccxt.OrderNotFound, 'cancelOrder again: OrderNotFound (order_not_exist_or_not_allow_to_cancel)',
    twice && twice.constructor.name);
  const gone = await raised(() => ex.fetchOrder('0000000000000000000003e7', symbol));
  check(gone instanceof ccxt.OrderNotFound, 'fetchOrder of an unknown id: OrderNotFound', gone && `${gone.constructor.name} ${gone.message}`);

  const trades = await ex.fetchMyTrades(symbol);
  const boughtQty = trades.filter((t) => t.order === bought.id).reduce((s, t) => s + units(t.info.size), 0n);
  check(trades.length >= 3 && trades.every((t) => t.takerOrMaker === 'taker' && t.fee.currency === 'USDT') &&
    boughtQty === 100000n, 'fetchMyTrades: the market orders\' fills, taker, fees in USDT, the first adding up to 0.001',
    { n: trades.length, boughtQty: boughtQty.toString() });

  // To the unit: the account moved by exactly what the fills say.
  const after = await ex.fetchBalance();
  let usdt = 1000n * 100000000n;
  let btc = 0n;
  for (const t of trades) {
    const cost = units(t.info.size) * units(t.info.price) / 100000000n;
    if (t.side === 'buy') { usdt -= cost + units(t.info.fee); btc += units(t.info.size); }
    else { usdt += cost - units(t.info.fee); btc -= units(t.info.size); }
  }
  check(units(account(after, 'USDT').available) === usdt && units(account(after, 'BTC').available) === btc &&
    account(after, 'USDT').holds === '0', 'fetchBalance after: USDT and BTC moved by the fills and their fees, exactly',
    { usdt: account(after, 'USDT'), btc: account(after, 'BTC'), expected: [usdt.toString(), btc.toString()] });

  const tooBig = await raised(() => ex.createOrder(symbol, 'market', 'buy', 1));
  check(tooBig instanceof ccxt.InsufficientFunds, 'more than the account holds: InsufficientFunds (200004)',
    tooBig && `${tooBig.constructor.name} ${tooBig.message}`);
  const tooSmall = await raised(() => ex.createOrder(symbol, 'limit', 'buy', 0.00001, 1000));
  check(tooSmall instanceof ccxt.BadRequest && tooSmall.message.includes('funds below the minimum'),
    'an order below minFunds: refused (400100)', tooSmall && `${tooSmall.constructor.name} ${tooSmall.message}`);
  const wrong = client(base, 'not-the-passphrase');
  wrong.markets = ex.markets;
  wrong.markets_by_id = ex.markets_by_id;
  wrong.options.hf = true;
  const refused = await raised(() => wrong.fetchBalance());
  check(refused instanceof ccxt.AuthenticationError && refused.message.includes('400004'),
    'a wrong passphrase: AuthenticationError (400004)', refused && `${refused.constructor.name} ${refused.message}`);
}

// A sim answering bursts of 429: ccxt meets KuCoin's {"code":"429000"} (it maps no class of
// its own to that code, so an ExchangeError naming it), then the next request passes.
async function rateLimit() {
  const ex = client(base);
  let limited = null;
  for (let i = 0; i < 6 && !limited; i += 1) limited = await raised(() => ex.fetchTime());
  check(limited instanceof ccxt.ExchangeError && limited.message.includes('"code":"429000"'),
    '429 with KuCoin\'s code 429000: an ExchangeError naming it', limited && `${limited.constructor.name} ${limited.message}`);
  let passed = null;
  for (let i = 0; i < 6 && !passed; i += 1) passed = await ex.fetchTime().catch(() => null);
  check(passed !== null, 'after the burst, requests pass again', passed);
}

await run(async () => {
  if (mode === 'trade') await trade();
  else if (mode === 'rate-limit') await rateLimit();
  else bad(`unknown mode ${mode}: expected trade or rate-limit`);
});
