// The sketching lab end to end: trials accumulating on WebGPU, the ℓ2/ℓ∞ charts and table,
// sketch-and-precondition reaching x*, bad input, and the nuclear-norm tab.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { launch, openPage, canvasData, waitForDone, ARTIFACTS } from './browser.mjs';

async function setField(page, id, value) {
  await page.fill(`#${id}`, value);
  await page.locator(`#${id}`).dispatchEvent('change');
}

/** The results table as { sketch: [cells…] }. */
async function table(page) {
  return page.locator('#sketch-table tbody tr').evaluateAll((rows) =>
    Object.fromEntries(rows.map((r) => [r.dataset.sketch, [...r.querySelectorAll('td')].map((td) => td.textContent)])));
}

test('sketching lab: sketch-and-solve live on WebGPU, then sketch-and-precondition', async () => {
  const browser = await launch();
  try {
    const { page, errors } = await openPage(browser);
    await page.click('nav.labs a[href="#/sketching"]');
    await page.waitForSelector('#chart-eps2');
    const empty = await canvasData(page, 'chart-epsinf');
    // SwiftShader is a software adapter: `auto` runs the CPU path beside it (faster here), a dense sketch a
    // few rows per frame — at the default size (4096 × 32, m up to 1024) the page keeps drawing frames while
    // a Gaussian trial is applied.
    await page.click('#run');
    await page.waitForFunction(() => /trials on CPU, f64; software GPU, the CPU is faster/.test(document.querySelector('#status')?.textContent), null, { timeout: 30_000 });
    const frames = await page.evaluate(() => new Promise((done) => {
      let n = 0;
      const t0 = performance.now();
      const tick = () => { n++; if (performance.now() - t0 < 1000) requestAnimationFrame(tick); else done(n); };
      requestAnimationFrame(tick);
    }));
    assert.ok(frames >= 20, `${frames} frames in a second while the CPU trials run`);
    await page.click('#pause');
    // Then ask for WebGPU.
    await page.selectOption('#backend', 'gpu');
    await setField(page, 'n', '1024');
    await setField(page, 'd', '8');
    await setField(page, 'm', '128');
    await setField(page, 'trials', '12');
    assert.match(await page.locator('#m-sweep').textContent(), /m = 16, 32, 64, 128$/);
    await page.click('#run');
    await waitForDone(page);
    const status = await page.locator('#status').textContent();
    assert.match(status, /^done: 192 \/ 192 trials on WebGPU/, status); // 4 sketches × 4 sizes × 12 trials
    // The same run headless (the CLI's tests run this line as printed).
    assert.equal(await page.locator('#cli-line').textContent(),
      'regula sketch --design spiky --n 1024 --d 8 --m 128 --sketches gaussian,srht,countsketch,osnap --s 4 --trials 12 --seed 0 --solver solve --tol 0.00000000000001 --backend gpu --json');
    const rows = await table(page);
    assert.deepEqual(Object.keys(rows).sort(), ['countsketch', 'gaussian', 'osnap', 'srht']);
    for (const [name, cells] of Object.entries(rows)) {
      assert.equal(cells[1], '12', `${name} trials`);
      for (const v of cells.slice(2, 8)) assert.ok(Number.isFinite(Number(v)) && Number(v) >= 0, `${name}: ${cells}`);
    }
    // Dense sketches spread the error: Gaussian's ε₂ is the usual √(d/m)-ish size.
    const gaussEps2 = Number(rows.gaussian[2]);
    assert.ok(gaussEps2 > 0.05 && gaussEps2 < 1, `gaussian ε₂ median ${gaussEps2}`);
    for (const id of ['chart-eps2', 'chart-epsinf', 'chart-spike']) {
      const points = Number(await page.locator(`#${id}`).locator('xpath=..').getAttribute('data-points'));
      assert.equal(points, 16, `${id}: one point per (sketch, m)`);
    }
    assert.notEqual(await canvasData(page, 'chart-epsinf'), empty, 'ε∞ chart not drawn');
    await page.screenshot({ path: join(ARTIFACTS, 'sketch-solve.png'), fullPage: true });

    // Sketch-and-precondition: every sketch reaches x* (LSQR on AR⁻¹), the residual chart fills.
    await page.selectOption('#solver', 'precondition');
    await setField(page, 'trials', '2');
    await page.click('#run');
    await waitForDone(page);
    const pre = await table(page);
    // The table has every sketch's row before its rows are checked (an empty table would pass the loop).
    assert.deepEqual(Object.keys(pre).sort(), ['countsketch', 'gaussian', 'osnap', 'srht']);
    for (const [name, cells] of Object.entries(pre)) {
      const m = cells[8].match(/(\d+) its · ‖x − x\*‖\/‖x\*‖ ≤ ([0-9.e+-]+)/);
      assert.ok(m, `${name}: ${cells[8]}`);
      assert.ok(Number(m[2]) < 1e-10, `${name}: relative error ${m[2]}`);
    }
    const lsqrPoints = Number(await page.locator('#chart-lsqr').locator('xpath=..').getAttribute('data-points'));
    assert.ok(lsqrPoints > 8, `LSQR chart points ${lsqrPoints}`);
    await page.screenshot({ path: join(ARTIFACTS, 'sketch-precondition.png'), fullPage: true });

    // Bad input: m < d is refused before a run; a malformed CSV names its line.
    await setField(page, 'm', '4');
    assert.match(await page.locator('#param-error').textContent(), /`m` must be at least 8, got 4/);
    assert.equal(await page.locator('#run').isDisabled(), true);
    await page.setInputFiles('#matrix-file', { name: 'A.csv', mimeType: 'text/csv', buffer: Buffer.from('1,2\n3\n') });
    await page.waitForFunction(() => !document.querySelector('#upload-error').hidden);
    assert.equal(await page.locator('#upload-error').textContent(), 'A.csv, line 2: 1 fields, but earlier lines have 2');
    assert.deepEqual(errors, [], 'console errors');
  } finally {
    await browser.close();
  }
});

test('sketching lab: an uploaded A and b, and the nuclear-norm tab', async () => {
  const browser = await launch({ webgpu: false });
  try {
    const { page, errors } = await openPage(browser);
    await page.click('nav.labs a[href="#/sketching"]');
    await page.waitForSelector('#chart-eps2');
    // 200 × 3 A and b from a formula; CPU fallback.
    let a = 'x1,x2,x3\n', b = '';
    for (let i = 0; i < 200; i++) {
      a += `${Math.sin(i)},${Math.cos(3 * i)},${(i % 7) - 3}\n`;
      b += `${Math.sin(0.1 * i) + 0.01 * i}\n`;
    }
    await page.setInputFiles('#matrix-file', { name: 'A.csv', mimeType: 'text/csv', buffer: Buffer.from(a) });
    await page.setInputFiles('#rhs-file', { name: 'b.csv', mimeType: 'text/csv', buffer: Buffer.from(b) });
    await page.waitForFunction(() => document.body.textContent.includes('Uploaded: A 200 × 3'));
    const previews = await page.locator('.previews table').evaluateAll((ts) => ts.map((t) => ({
      caption: t.caption.textContent,
      head: [...t.tHead.rows[0].cells].map((c) => c.textContent),
      first: [...t.tBodies[0].rows[0].cells].map((c) => c.textContent),
    })));
    assert.deepEqual(previews, [
      { caption: 'A.csv: 200 rows read, the first 5 shown', head: ['a1', 'a2', 'a3'], first: ['0', '1', '-3'] },
      { caption: 'b.csv: 200 rows read, the first 5 shown', head: ['b'], first: ['0'] },
    ]);
    await page.uncheck('#sketches-srht');
    await page.uncheck('#sketches-countsketch');
    await setField(page, 'm', '24');
    await setField(page, 'trials', '5');
    await page.click('#run');
    await waitForDone(page);
    const status = await page.locator('#status').textContent();
    assert.match(status, /^done: 30 \/ 30 trials on CPU fallback/, status);
    const line = await page.locator('#cli-line').textContent();
    assert.ok(line.startsWith('regula sketch --design ') && line.endsWith(' --matrix A.csv --rhs b.csv --json'), line);
    assert.deepEqual(Object.keys(await table(page)).sort(), ['gaussian', 'osnap']);

    // Nuclear norm: the proxy ranks the collapsed matrix above the i.i.d. one; the SVD does not.
    await page.click('#tab-nuclear');
    await setField(page, 'n', '128');
    await setField(page, 'd', '512');
    await page.click('#run');
    await page.waitForFunction(() => document.querySelectorAll('#nn-table tbody tr').length === 3, null, { timeout: 60_000 });
    const rows = await page.locator('#nn-table tbody tr').evaluateAll((rs) => rs.map((r) => [...r.querySelectorAll('td')].map((t) => t.textContent)));
    const [, iid, rank1] = rows;
    assert.equal(iid[0], 'i.i.d. rows');
    assert.ok(Number(rank1[2]) > Number(iid[2]), `proxy: rank 1 ${rank1[2]} vs iid ${iid[2]}`);
    assert.ok(Number(rank1[1]) < 0.2 * Number(iid[1]), `nuclear norm: rank 1 ${rank1[1]} vs iid ${iid[1]}`);
    assert.ok(Number(iid[3]) > 0.4 && Number(iid[3]) < 0.7, `iid ratio ${iid[3]}`);
    assert.equal(await page.locator('#cli-line').textContent(), 'regula nuclear --n 128 --d 512 --rank 1 --collapse 0.5 --json');
    assert.ok(Number(await page.locator('#chart-spectrum').locator('xpath=..').getAttribute('data-points')) === 128);
    await page.screenshot({ path: join(ARTIFACTS, 'sketch-nuclear.png'), fullPage: true });
    assert.deepEqual(errors, [], 'console errors');
  } finally {
    await browser.close();
  }
});
