// A real third-party Coinbase client (ccxt's coinbase class, pinned in package.json)
// against exchange-sim --venue coinbase over TLS: every private request carries ccxt's own
// ES256 JWT, which the sim verifies, and every answer must parse as Coinbase's for a
// client written by others against the real venue.
// Usage: node ccxt_coinbase_against_sim.mjs trade BASE_URL   (a sim with USD=1000)
// Key name and EC private key from COINBASE_API_KEY / COINBASE_API_SECRET; the sim's
// certificate through NODE_EXTRA_CA_CERTS.
// Prints "ok: ..." or "FAIL: ..." per check; exits 1 if any check failed.
import ccxt from 'ccxt';

import { bad, check, raised, run, units } from './checks.mjs';

const [mode, base] = process.argv.slice(2);

// Configured for Advanced Trade (what the sim serves): balances from v3 accounts, not the
// Coinbase App's v2 accounts, and no v2 currency list.
function client(url, secret = process.env.COINBASE_API_SECRET) {
  const ex = new ccxt.coinbase({
    apiKey: process.env.COINBASE_API_KEY, secret, enableRateLimit: false,
    options: { fetchBalance: 'v3PrivateGetBrokerageAccounts' },
  });
  ex.has.fetchCurrencies = false;
  ex.urls.api.rest = url;
  return ex;
}

const account = (balance, asset) => balance.info.accounts.find((a) => a.currency === asset);

async function trade() {
  const ex = client(base);
  const symbol = 'BTC/USD';

  const serverTime = await ex.fetchTime();
  check(Math.abs(serverTime - Date.now()) < 5000, 'fetchTime (v2 time): the server time is now', serverTime);

  const markets = await ex.loadMarkets();
  const m = markets[symbol];
  check(m && m.id === 'BTC-USD' && m.spot && m.active && m.base === 'BTC' && m.quote === 'USD',
    'loadMarkets: BTC/USD is an active spot market', m && { id: m.id, spot: m.spot, active: m.active });
  check(m.precision.amount === 0.00001 && m.precision.price === 0.01 && m.limits.amount.min === 0.00001 &&
    m.limits.cost.min === 5 && m.taker === 0.001, 'loadMarkets: increments, minimums and the fee tier read as Coinbase\'s',
    { precision: m.precision, limits: m.limits, taker: m.taker });

  const before = await ex.fetchBalance();
  check(before.USD.free === 1000 && before.USD.used === 0 && (before.BTC?.free ?? 0) === 0,
    'fetchBalance: the funded account', { USD: before.USD, BTC: before.BTC });

  // A market buy spends an amount of USD (quote_size), as ccxt sends it.
  const bought = await ex.createOrder(symbol, 'market', 'buy', 100, undefined,
    { createMarketBuyOrderRequiresPrice: false, client_order_id: 'ccxt-cb-buy-1' });
  check(typeof bought.id === 'string' && bought.id.length === 36 && bought.clientOrderId === 'ccxt-cb-buy-1',
    'createOrder market buy for 100 USD: an order id, our client order id', { id: bought.id, clientOrderId: bought.clientOrderId });
  const fetched = await ex.fetchOrder(bought.id, symbol);
  check(fetched.id === bought.id && fetched.status === 'closed' && fetched.filled > 0 && fetched.side === 'buy' &&
    fetched.type === 'market' && units(fetched.info.filled_value) <= 100n * 100000000n && fetched.fee.currency === 'USD',
    'fetchOrder: filled for at most 100 USD, the fee in USD', { status: fetched.status, filled: fetched.filled, info: fetched.info.filled_value, fee: fetched.fee });

  const again = await ex.createOrder(symbol, 'market', 'buy', 100, undefined,
    { createMarketBuyOrderRequiresPrice: false, client_order_id: 'ccxt-cb-buy-1' });
  check(again.id === bought.id, 'the same client_order_id again: the same order, nothing placed twice', { again: again.id, first: bought.id });

  const sold = await ex.createOrder(symbol, 'market', 'sell', 0.0005);
  const soldOrder = await ex.fetchOrder(sold.id, symbol);
  check(soldOrder.status === 'closed' && soldOrder.filled === 0.0005, 'createOrder market sell 0.0005 BTC (base_size): filled',
    { status: soldOrder.status, filled: soldOrder.filled });

  const resting = await ex.createOrder(symbol, 'limit', 'buy', 0.01, 1000, { client_order_id: 'ccxt-cb-low-1' });
  const restingOrder = await ex.fetchOrder(resting.id, symbol);
  check(restingOrder.status === 'open' && restingOrder.filled === 0 && restingOrder.price === 1000 && restingOrder.amount === 0.01,
    'createOrder limit far below: open', { status: restingOrder.status, price: restingOrder.price });
  const open = await ex.fetchOpenOrders(symbol);
  check(open.length === 1 && open[0].id === resting.id, 'fetchOpenOrders: only the resting order', open.map((o) => o.id));
  const held = await ex.fetchBalance();
  check(account(held, 'USD').hold.value === '10.01', 'fetchBalance: the resting buy holds price × size and its fee (10.01 USD)',
    account(held, 'USD').hold);
  await ex.cancelOrder(resting.id, symbol);
  const canceled = await ex.fetchOrder(resting.id, symbol);
  check(canceled.status === 'canceled', 'cancelOrder: CANCELLED', canceled.status);
  const twice = await raised(() => ex.cancelOrder(resting.id, symbol));
  check(twice instanceof ccxt.BadRequest, 'cancelOrder again: refused (DUPLICATE_CANCEL_REQUEST)', twice && twice.constructor.name);
  const gone = await raised(() => ex.fetchOrder('00000000-0000-4000-8000-0000000003e7', symbol));
  check(gone instanceof ccxt.ExchangeError && gone.message.includes('order with this orderID was not found'),
    'fetchOrder of an unknown id: Coinbase\'s NOT_FOUND', gone && `${gone.constructor.name} ${gone.message}`);

  const trades = await ex.fetchMyTrades(symbol);
  const mine = trades.filter((t) => t.order === bought.id || t.order === sold.id);
  const boughtQty = trades.filter((t) => t.order === bought.id).reduce((s, t) => s + units(t.info.size), 0n);
  check(trades.length === mine.length && mine.length >= 2 && trades.every((t) => t.takerOrMaker === 'taker' &&
    t.fee.currency === 'USD') && boughtQty === units(fetched.info.filled_size),
    'fetchMyTrades: the two market orders\' fills, taker, fees in USD, the buy\'s adding up to its filled size',
    { n: trades.length, boughtQty: boughtQty.toString(), filled: fetched.info.filled_size });

  // To the unit: the account moved by exactly what the fills say.
  const after = await ex.fetchBalance();
  let usd = 1000n * 100000000n;
  let btc = 0n;
  for (const t of trades) {
    const cost = units(t.info.size) * units(t.info.price) / 100000000n;
    if (t.side === 'buy') { usd -= cost + units(t.info.commission); btc += units(t.info.size); }
    else { usd += cost - units(t.info.commission); btc -= units(t.info.size); }
  }
  check(units(account(after, 'USD').available_balance.value) === usd && units(account(after, 'BTC').available_balance.value) === btc &&
    account(after, 'USD').hold.value === '0', 'fetchBalance after: USD and BTC moved by the fills and their fees, exactly',
    { usd: account(after, 'USD'), btc: account(after, 'BTC'), expected: [usd.toString(), btc.toString()] });

  const tooBig = await raised(() => ex.createOrder(symbol, 'market', 'buy', 5000, undefined, { createMarketBuyOrderRequiresPrice: false }));
  check(tooBig instanceof ccxt.InsufficientFunds, 'more than the account holds: InsufficientFunds (PREVIEW_INSUFFICIENT_FUND)',
    tooBig && `${tooBig.constructor.name} ${tooBig.message}`);
  const tooSmall = await raised(() => ex.createOrder(symbol, 'limit', 'buy', 0.00001, 1000));
  // ccxt has no class for this reason: its error names it.
  check(tooSmall instanceof ccxt.ExchangeError && tooSmall.message.includes('PREVIEW_INVALID_QUOTE_SIZE_TOO_SMALL'),
    'an order below quote_min_size: refused, PREVIEW_INVALID_QUOTE_SIZE_TOO_SMALL',
    tooSmall && `${tooSmall.constructor.name} ${tooSmall.message}`);
  const other = client(base, process.env.OTHER_EC_KEY);
  other.markets = ex.markets;
  other.markets_by_id = ex.markets_by_id;
  const wrongKey = await raised(() => other.fetchBalance());
  check(wrongKey instanceof ccxt.AuthenticationError, 'a JWT signed by another key: AuthenticationError (401 unauthorized)',
    wrongKey && `${wrongKey.constructor.name} ${wrongKey.message}`);
}

await run(async () => {
  if (mode === 'trade') await trade();
  else bad(`unknown mode ${mode}: expected trade`);
});
