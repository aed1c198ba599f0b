// The foundation end to end: the page finds WebGPU, runs the kernel check, and the charts update live.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { launch, openPage, canvasData, waitForDone, ARTIFACTS, URL } from './browser.mjs';

test('kernel check runs on WebGPU and plots live', async () => {
  const browser = await launch();
  try {
    const { page, errors } = await openPage(browser, undefined, `${URL}#/kernels`);
    const banner = await page.locator('#device-banner').textContent();
    assert.match(banner, /^WebGPU · /, `banner: ${banner}`);

    const emptyDiff = await canvasData(page, 'chart-diff');
    await page.fill('#rows', '300');
    await page.locator('#rows').dispatchEvent('change');
    await page.fill('#trials', '40');
    await page.locator('#trials').dispatchEvent('change');
    await page.click('#run');
    // Live: the chart gains points while the run is still going or just after its first frames.
    await page.waitForFunction(() => Number(document.querySelector('figure.chart')?.dataset.points) > 0, null, { timeout: 60_000 });
    await waitForDone(page);
    const status = await page.locator('#status').textContent();
    assert.match(status, /^done: trial 40\/40/, status);
    assert.match(status, /twins agree/, status);
    assert.equal(await page.locator('#cli-line').textContent(), 'regula kernels --rows 300 --cols 512 --op lse --axis cols --trials 40 --seed 1 --backend auto --json');
    const points = Number(await page.locator('figure.chart').first().getAttribute('data-points'));
    assert.ok(points >= 1 && points <= 40, `points ${points}`);
    assert.notEqual(await canvasData(page, 'chart-diff'), emptyDiff, 'the difference chart did not change');
    await page.screenshot({ path: join(ARTIFACTS, 'kernels-webgpu.png'), fullPage: true });

    // Step advances exactly one trial after a reset; the keyboard does the same (`r` reset, `s` step,
    // space run/pause).
    await page.click('#reset');
    await page.click('#step');
    await page.waitForFunction(() => document.querySelector('#status').textContent.startsWith('paused: trial 1/'));
    await page.keyboard.press('r');
    await page.waitForFunction(() => document.querySelector('#status').textContent.startsWith('Ready'));
    await page.keyboard.press('s');
    await page.waitForFunction(() => document.querySelector('#status').textContent.startsWith('paused: trial 1/'));
    await page.locator('h2').click();
    await page.keyboard.press(' ');
    await waitForDone(page);
    await page.click('#reset');

    // The backend switch: the same check on the CPU twin alone.
    await page.click('#reset');
    await page.selectOption('#backend', 'cpu');
    await page.click('#run');
    await waitForDone(page);
    assert.match(await page.locator('#status').textContent(), /cpu only/);

    // Bad input: a typed error in words, and Run is disabled; no panic.
    await page.fill('#rows', '0');
    await page.locator('#rows').dispatchEvent('change');
    assert.match(await page.locator('#param-error').textContent(), /`rows` must be at least 1/);
    assert.equal(await page.locator('#run').isDisabled(), true);
    await page.fill('#rows', '100000');
    await page.locator('#rows').dispatchEvent('change');
    assert.match(await page.locator('#param-error').textContent(), /must be at most/);

    // Navigation: every lab opens inside the same shell.
    await page.click('nav.labs a[href="#/generalization"]');
    assert.match(await page.locator('main h2').textContent(), /Generalization/);
    assert.equal(await page.locator('nav.labs a.active').textContent(), 'Generalization');

    assert.deepEqual(errors, [], 'console errors');
  } finally {
    await browser.close();
  }
});

test('narrow (phone) layout shows the whole shell', async () => {
  const browser = await launch();
  try {
    const { page, errors } = await openPage(browser, { width: 390, height: 844 }, `${URL}#/kernels`);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `horizontal overflow: ${width}px`);
    await page.screenshot({ path: join(ARTIFACTS, 'kernels-phone.png'), fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
