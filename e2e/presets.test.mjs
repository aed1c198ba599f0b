// Paper presets: every preset of every lab loads without a notice (its link part names real parameters
// with valid values) and starts its run; one is followed to the end and checked against the paper.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, waitForDone } from './browser.mjs';

async function openGallery(page) {
  if ((await page.locator('#presets').getAttribute('open')) === null) await page.locator('#presets summary').click();
}

test('every paper preset loads cleanly and starts; the α = 1 preset reproduces Advani & Saxe', async () => {
  const browser = await launch();
  try {
    const { page, errors } = await openPage(browser);
    for (const lab of ['ot', 'sketching', 'training', 'generalization']) {
      await page.click(`nav.labs a[href="#/${lab}"]`);
      await page.waitForSelector('#presets');
      const count = await page.locator('#presets li').count();
      assert.ok(count >= 2, `${lab}: ${count} presets`);
      for (let k = 0; k < count; k++) {
        await openGallery(page);
        await page.click(`#preset-${k}`);
        await page.waitForSelector('#run');
        assert.equal(await page.locator('#link-notice').isHidden(), true, `${lab} preset ${k}: ${await page.locator('#link-notice').textContent()}`);
        // The run started by itself: Run is disabled while it runs (or the run is already done).
        await page.waitForFunction(() => document.querySelector('#run')?.disabled || document.querySelector('#status')?.textContent.startsWith('done'), null, { timeout: 30_000 });
        await page.click('#pause').catch(() => {});
      }
    }
    // Advani & Saxe's α = 1 (SNR 5, N = 400): best early-stopped ≈ 0.57 at t ≈ 3 in theory.
    await openGallery(page);
    await page.click('#preset-0');
    await page.waitForSelector('#chart-st-curve');
    assert.equal(await page.locator('#tab-student-teacher').getAttribute('aria-selected'), 'true');
    assert.equal(await page.locator('#alpha').inputValue(), '1');
    await waitForDone(page);
    assert.match(await page.locator('#status').textContent(), /\(theory 0\.56\d+ at t = [23]\.\d+\)/);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
