// The node's dashboard in a real browser: Debian's chromium, driven by puppeteer-core
// (pinned in package.json). The page must load from the node alone with no console error,
// show the numbers /status gives, explain a decision when it is clicked, refuse a wrong
// token and halt with the right one.
// Usage: node dashboard_check.mjs URL TOKEN SCREENSHOT.png
// Prints "ok: ..." or "FAIL: ..." per check; exits 1 if any check failed.
import puppeteer from 'puppeteer-core';

const [url, token, screenshot] = process.argv.slice(2);
let failed = 0;
const ok = (what) => console.log(`ok: ${what}`);
const bad = (what) => { failed += 1; console.log(`FAIL: ${what}`); };
const check = (cond, what, detail) => (cond ? ok(what) : bad(`${what}: ${JSON.stringify(detail)}`));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 1000 });
  const problems = [];
  const origin = new URL(url).origin;
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => { if (!r.url().startsWith(origin) && !r.url().startsWith('data:')) problems.push(`request elsewhere: ${r.url()}`); });
  page.on('requestfailed', (r) => { if (!r.url().endsWith('/events')) problems.push(`request failed: ${r.url()}`); });

  const response = await page.goto(url, { waitUntil: 'domcontentloaded' });
  check(response.status() === 200 && response.headers()['content-type'].startsWith('text/html'), 'GET / serves the page',
    { status: response.status(), type: response.headers()['content-type'] });
  await page.waitForFunction(() => document.getElementById('live').textContent === 'live', { timeout: 20000 });
  ok('the page is live over server-sent events');

  // What the page shows against /status, read at the same seq (the node is quiet by now).
  const shown = () => page.evaluate(() => {
    const t = (id) => document.getElementById(id).textContent;
    const table = (id) => [...document.getElementById(id).tBodies[0].rows].map((r) => [...r.cells].map((c) => c.textContent));
    return { seq: Number(t('last-seq')), state: t('state'), equity: t('equity'), cash: t('cash'), pnl_today: t('pnl-today'),
      realized: t('realized'), unrealized: t('unrealized'), fees: t('fees'), drawdown: t('drawdown'),
      positions: table('positions'), orders: table('orders'), decisions: table('decisions'), limits: table('limits') };
  });
  let view, status;
  for (let i = 0; i < 50; i += 1) {
    status = await (await fetch(`${url}/status`)).json();
    view = await shown();
    if (view.seq === status.last_seq) break;
    await sleep(200);
  }
  check(view.seq === status.last_seq, 'the page and /status at the same seq', { page: view.seq, status: status.last_seq });
  const expected = {
    state: status.trading_state.toUpperCase(), equity: status.equity, cash: status.cash, pnl_today: status.pnl_today,
    realized: status.realized_pnl, unrealized: status.unrealized_pnl, fees: status.fees,
    drawdown: `${(status.drawdown * 100).toFixed(2)}%`,
    positions: status.positions.map((p) => [p.symbol, p.qty, p.avg_entry_price, p.last_price, p.unrealized_pnl]),
    orders: status.open_orders.map((o) => [o.client_order_id, o.symbol, o.side, o.qty]),
  };
  for (const [k, v] of Object.entries(expected))
    check(JSON.stringify(view[k]) === JSON.stringify(v), `the page shows /status's ${k}`, { page: view[k], status: v });
  check(view.limits.length === 5 && view.limits.every((r) => r[0] && r[2]), 'every risk limit with its use', view.limits);
  check(view.decisions.length > 0, `the latest decisions are listed (${view.decisions.length})`, view.decisions.length);

  // A decision, clicked: its explain chain from the journal, ending at the decision.
  const seq = view.decisions[0][0];
  await page.click('#decisions tbody tr');
  await page.waitForFunction(() => document.querySelectorAll('#explain div').length > 0, { timeout: 10000 });
  const chain = await page.$$eval('#explain div', (ds) => ds.map((d) => d.textContent));
  check(chain.some((l) => l.startsWith(`${seq}  risk decision`)) && /market data|clock tick/.test(chain[0]),
    `clicking decision ${seq} shows its chain from the market data (${chain.length} records)`, chain.slice(0, 4));
  // Under the decision, each limit it checked with its headroom, as /explain lists them.
  const limits = (await (await fetch(`${url}/explain?seq=${seq}`)).json()).chain.find((r) => r.seq === Number(seq)).limits;
  const limitLines = await page.$$eval('#explain div', (ds, s) => [...ds.find((d) => d.textContent.startsWith(`${s}  risk decision`))
    .querySelectorAll('span.why')].map((x) => x.textContent), seq);
  check(limitLines.length === limits.length && limits.every((l, i) => limitLines[i].startsWith(`${l.limit} `) && limitLines[i].includes("headroom")),
    `decision ${seq}'s ${limits.length} limit check(s), each with its headroom`, { limitLines, limits });

  await page.screenshot({ path: screenshot, fullPage: true });
  ok(`screenshot ${screenshot}`);
  check(problems.length === 0, 'no console error, no failed request, nothing fetched from elsewhere', problems);

  // Actions: a wrong token is refused and nothing changes; the right one halts.
  await page.type('#token', 'not-the-token');
  await page.type('#why', 'dashboard drill');
  await page.click('#halt');
  await page.waitForFunction(() => document.getElementById('action-result').textContent.startsWith('halt:'), { timeout: 10000 });
  const refused = await page.$eval('#action-result', (e) => e.textContent);
  check(refused === 'halt: refused (403 wrong token)', 'a wrong token is refused', refused);
  await page.$eval('#token', (e) => { e.value = ''; });
  await page.type('#token', token);
  await page.click('#halt');
  await page.waitForFunction(() => document.getElementById('action-result').textContent === 'halt: accepted', { timeout: 10000 });
  await page.waitForFunction(() => document.getElementById('state').textContent === 'HALTED', { timeout: 10000 });
  const after = await (await fetch(`${url}/status`)).json();
  check(after.trading_state === 'halted' && after.risk_reason.includes('dashboard drill'), 'the right token halts: the page and /status say HALTED',
    { state: after.trading_state, reason: after.risk_reason });

  // The refused halt is the only error the browser may report (its 403), once.
  check(problems.length === 1 && problems[0].includes('403'), 'after the actions, only the refused halt\'s 403 was reported', problems);
} catch (e) {
  bad(`unexpected ${e.constructor.name}: ${e.message}`);
} finally {
  await browser.close();
}
console.log(`${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
