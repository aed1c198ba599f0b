// The page's security: a strict Content-Security-Policy (wasm compilation only, no 'unsafe-eval', no
// inline script but trunk's hashed loader, style attributes the only inline allowance), no policy violation
// anywhere in the labs, and no request that leaves the origin. Also: switching labs while a step or a run is
// in flight never panics (a late frame must not touch the closed page, nor GPU error scopes interleave).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, URL } from './browser.mjs';

test('strict CSP, no violations, no third-party requests; leaving a lab mid-run is safe', async () => {
  const browser = await launch();
  try {
    const page = await browser.newPage();
    await page.addInitScript(() => {
      window.__violations = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    const origin = new globalThis.URL(URL).origin;
    const foreign = [];
    page.on('request', (r) => {
      const u = r.url();
      if (!u.startsWith(origin) && !u.startsWith('data:') && !u.startsWith('blob:')) foreign.push(u);
    });
    const errors = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await page.goto(URL);
    await page.waitForFunction(() => !document.querySelector('#device-banner')?.textContent.startsWith('Looking'), null, { timeout: 60_000 });
    const policy = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    assert.ok(policy, 'the page carries a policy');
    assert.match(policy, /script-src 'self' 'wasm-unsafe-eval' 'sha256-[A-Za-z0-9+/=]+'/, policy);
    assert.ok(!policy.includes("'unsafe-eval'"), policy);
    // The one allowance: style attributes (plotters measures chart text with a styled span).
    assert.equal(policy.match(/'unsafe-inline'/g)?.length ?? 0, 1, policy);
    assert.match(policy, /style-src-attr 'unsafe-inline'/, policy);
    assert.match(policy, /default-src 'none'/);
    // Every lab mounts and runs its default once under the policy.
    for (const lab of ['kernels', 'ot', 'sketching', 'training', 'generalization', 'solvers']) {
      await page.click(`nav.labs a[href="#/${lab}"]`);
      await page.waitForSelector('#run');
      await page.click('#step');
      await page.waitForTimeout(300);
    }
    // Leaving a lab while its run is in flight: the run stops quietly (no panic from a late frame).
    for (const lab of ['training', 'ot', 'kernels', 'generalization', 'solvers']) {
      await page.click(`nav.labs a[href="#/${lab}"]`);
      await page.waitForSelector('#run');
      await page.click('#run');
      await page.waitForTimeout(150);
    }
    await page.click('nav.labs a[href="#/sketching"]');
    await page.waitForTimeout(1000);
    assert.deepEqual(await page.evaluate(() => window.__violations), [], 'CSP violations');
    assert.deepEqual(foreign, [], 'requests that left the origin');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
