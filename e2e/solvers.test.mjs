// The solvers lab end to end: sparse regression on random vs adversarial supports — a small run to the end,
// both charts with their points, the latest Lasso's path drawn, bad input named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { launch, openPage, waitForDone, ARTIFACTS } from './browser.mjs';

async function setField(page, id, value) {
  await page.fill(`#${id}`, value);
  await page.locator(`#${id}`).dispatchEvent('change');
}

const points = async (page, id) => Number(await page.locator(`#${id}`).locator('xpath=..').getAttribute('data-points'));

test('solvers lab: sparse regression, random vs adversarial supports', async () => {
  const browser = await launch();
  try {
    const { page, errors } = await openPage(browser);
    await page.click('nav.labs a[href="#/solvers"]');
    await page.waitForSelector('#chart-sparse-error');
    assert.match(await page.locator('#cli-line').textContent(), /^regula solvers sparse /);
    await setField(page, 'n', '20,40');
    await setField(page, 'trials', '2');
    await page.click('#run');
    await waitForDone(page, 120_000);
    const status = await page.locator('#status').textContent();
    // 2 N × 2 trials × 2 supports × 4 estimators.
    // SwiftShader is a software adapter: `auto` keeps the Lasso's cross-validation on the CPU and says why.
    assert.match(status, /^done \(CPU, f64; software GPU, the CPU is faster\): 32 of 32 fits \([0-9.]+ s\) · N = 40: median prediction error of Lasso \(CV\) — random 0\.\d+, adversarial 0\.\d+/, status);
    // 8 curves × 2 values of N on each chart.
    assert.equal(await points(page, 'chart-sparse-error'), 16);
    assert.equal(await points(page, 'chart-sparse-recall'), 16);
    assert.equal(await page.locator('#chart-sparse-path ~ figcaption').isHidden(), true, 'the path is drawn');
    await page.screenshot({ path: join(ARTIFACTS, 'solvers-sparse.png'), fullPage: true });
    await setField(page, 'k', '50');
    assert.match(await page.locator('#param-error').textContent(), /`n`.*below k = 50/);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
