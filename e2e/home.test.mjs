// The first visit: the home page says what Regula is and lists every lab page with its question, a
// thumbnail and a button that runs the paper's figure; on a phone every panel label stays beside its field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { launch, openPage, waitForDone, ARTIFACTS, URL, pauseIfRunning, hoverReadout } from './browser.mjs';

const active = (page) => page.locator('nav.labs a[aria-current="page"]').getAttribute('href');

test('the home page lists every lab and each card\'s button runs its paper\'s figure', async () => {
  const browser = await launch();
  try {
    const { page, errors } = await openPage(browser);
    await page.waitForSelector('#home');
    assert.equal(await active(page), '#/');
    const cards = await page.locator('.home .card').evaluateAll((cs) => cs.map((c) => c.dataset.page));
    assert.deepEqual(cards, ['ot', 'sketching', 'training', 'generalization', 'solvers']);
    // Thumbnails load (same origin, under the CSP).
    await page.waitForFunction(() => [...document.querySelectorAll('.home .card img')].every((i) => i.complete && i.naturalWidth > 0), null, { timeout: 30_000 });
    assert.equal(await page.locator('.diagnostics a[href="#/kernels"]').count(), 1, 'the kernel check under Diagnostics');
    await page.screenshot({ path: join(ARTIFACTS, 'home.png'), fullPage: true });
    for (const slug of cards) {
      await page.click('nav.labs a[href="#/"]');
      await page.waitForSelector(`#figure-${slug}`);
      await page.click(`#figure-${slug}`);
      await page.waitForFunction((s) => document.querySelector('nav.labs a[aria-current="page"]')?.getAttribute('href') === `#/${s}`, slug);
      await page.waitForSelector('#run');
      assert.equal(await page.locator('#link-notice').isHidden(), true, `${slug}: ${await page.locator('#link-notice').textContent()}`);
      // The figure's run started by itself (Run is disabled while it runs) or is already done.
      await page.waitForFunction(() => document.querySelector('#run')?.disabled || document.querySelector('#status')?.textContent.startsWith('done'), null, { timeout: 60_000 });
      assert.equal(await page.locator('#status.error').count(), 0, `${slug}: ${await page.locator('#status').textContent()}`);
      await pauseIfRunning(page);
      // Back returns to the home page.
      await page.goBack();
      await page.waitForSelector('#home');
    }
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test('on a phone (390 × 844) every panel label stays beside its field, on every lab', async () => {
  const browser = await launch();
  try {
    const { page, errors } = await openPage(browser, { width: 390, height: 844 });
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= 390, 'the home page fits');
    for (const lab of ['ot', 'sketching', 'training', 'generalization', 'solvers', 'kernels']) {
      await page.click(`nav.labs a[href="#/${lab}"]`);
      await page.waitForSelector('.panel .field');
      const apart = await page.locator('.panel .field').evaluateAll((fields) => fields.flatMap((f) => {
        const label = f.querySelector(':scope > label, :scope > .label');
        const control = [...f.children].find((c) => c !== label && c.matches('input, select, div, span'));
        if (!label || !control || f.classList.contains('muted')) return [];
        const l = label.getBoundingClientRect();
        const c = control.getBoundingClientRect();
        if (l.width === 0 || c.width === 0) return []; // hidden with its field
        const sameRow = l.top < c.bottom && c.top < l.bottom;
        return sameRow && l.right <= c.left + 2 ? [] : [`${label.textContent.trim()}: label ${Math.round(l.left)},${Math.round(l.top)} control ${Math.round(c.left)},${Math.round(c.top)}`];
      }));
      assert.deepEqual(apart, [], `${lab}: labels apart from their fields`);
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= 390, `${lab}: horizontal overflow`);
    }
    await page.screenshot({ path: join(ARTIFACTS, 'training-phone.png'), fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test('charts are crisp on a high-DPI screen: device pixels × devicePixelRatio, read-out in CSS pixels', async () => {
  const browser = await launch();
  try {
    const { page, errors } = await openPage(browser, { width: 1280, height: 900 }, `${URL}#/ot`, { deviceScaleFactor: 2 });
    await page.waitForSelector('#chart-error-iter');
    await page.click('#run');
    await waitForDone(page);
    const dims = await page.locator('#chart-error-iter').evaluate((c) => ({ w: c.width, h: c.height, css: c.dataset.cssWidth, client: c.clientWidth }));
    assert.deepEqual([dims.w, dims.h, dims.css], [1200, 640, '600'], JSON.stringify(dims));
    assert.ok(dims.client > 300 && dims.client < 1280, JSON.stringify(dims));
    // The hover read-out still finds the drawn points (their coordinates are CSS pixels of the drawing).
    const readout = await hoverReadout(page, 'chart-error-iter');
    assert.match(readout, /iteration = \d+, error = /, readout);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
