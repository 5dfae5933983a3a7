// What the ccxt scripts against exchange-sim share: checks that print "ok: ..." or
// "FAIL: ..." and an exit code, the error a call raised, exact decimal units.
let failed = 0;
export const ok = (what) => console.log(`ok: ${what}`);
export const bad = (what) => { failed += 1; console.log(`FAIL: ${what}`); };
export const check = (cond, what, detail) => (cond ? ok(what) : bad(`${what}: ${JSON.stringify(detail)}`));

// Runs the script's checks, then exits 1 if any failed.
export async function run(body) {
  try {
    await body();
  } catch (e) {
    bad(`unexpected ${e.constructor.name}: ${e.message}`);
  }
  console.log(`${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

// The error class ccxt raises for a call, or null if it succeeded.
export async function raised(call) {
  try {
    await call();
    return null;
  } catch (e) {
    return e;
  }
}

// Decimal strings as exact integers of 1e-8 (the sim's and the journal's unit).
export function units(text) {
  const [whole, frac = ''] = String(text).split('.');
  const sign = whole.startsWith('-') ? -1n : 1n;
  return sign * (BigInt(whole.replace('-', '')) * 100000000n + BigInt((frac + '00000000').slice(0, 8)));
}
