// Without WebGPU the page says so and runs the CPU path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { launch, openPage, waitForDone, ARTIFACTS, URL } from './browser.mjs';

test('no WebGPU: CPU fallback banner and a CPU run', async () => {
  const browser = await launch({ webgpu: false });
  try {
    const { page, errors } = await openPage(browser, undefined, `${URL}#/kernels`);
    const banner = await page.locator('#device-banner').textContent();
    assert.match(banner, /^CPU fallback: WebGPU unavailable/, banner);
    assert.equal(await page.locator('#backend option[value="gpu"]').isDisabled(), true);
    await page.fill('#trials', '5');
    await page.locator('#trials').dispatchEvent('change');
    await page.click('#run');
    await waitForDone(page);
    assert.match(await page.locator('#status').textContent(), /^done: trial 5\/5 · cpu only/);
    await page.screenshot({ path: join(ARTIFACTS, 'kernels-cpu-fallback.png'), fullPage: true });

    // The OT lab falls back too: log-domain Sinkhorn runs on the CPU and says so.
    await page.click('nav.labs a[href="#/ot"]');
    await page.fill('#n', '60');
    await page.locator('#n').dispatchEvent('change');
    await page.fill('#m', '60');
    await page.locator('#m').dispatchEvent('change');
    await page.click('#run');
    await waitForDone(page);
    const status = await page.locator('#status').textContent();
    assert.match(status, /log-sinkhorn \(CPU, f64[^)]*\)/, status);
    assert.match(status, /sns \(CPU, f64[^)]*\)/, status);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test('the GPU device lost mid-run: a clear message, then Reset continues on the CPU', async () => {
  const browser = await launch();
  try {
    const { page, errors } = await openPage(browser, undefined, `${URL}#/kernels`);
    assert.match(await page.locator('#device-banner').textContent(), /^WebGPU · /);
    await page.fill('#trials', '100000');
    await page.locator('#trials').dispatchEvent('change');
    await page.click('#run');
    await page.waitForFunction(() => /^running: trial [1-9]/.test(document.querySelector('#status').textContent));
    // The fault-injection hook marks the device lost as the driver's callback would.
    assert.equal(await page.evaluate(() => window.regulaFaults.loseDevice()), true);
    await page.waitForSelector('#status.error', { timeout: 30_000 });
    const message = await page.locator('#status').textContent();
    assert.match(message, /GPU device was lost .*press Reset to continue on the CPU/, message);
    await page.click('#reset');
    await page.fill('#trials', '4');
    await page.locator('#trials').dispatchEvent('change');
    await page.click('#run');
    await waitForDone(page);
    assert.match(await page.locator('#status').textContent(), /^done: trial 4\/4 · cpu only/);
    assert.match(await page.locator('#device-banner').textContent(), /^CPU fallback: .*device was lost/);
    // Other labs now build their runs on the CPU too.
    await page.click('nav.labs a[href="#/ot"]');
    await page.fill('#n', '40');
    await page.locator('#n').dispatchEvent('change');
    await page.fill('#m', '40');
    await page.locator('#m').dispatchEvent('change');
    await page.click('#run');
    await waitForDone(page);
    assert.match(await page.locator('#status').textContent(), /log-sinkhorn \(CPU, f64[^)]*\)/);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
