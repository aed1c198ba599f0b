// The OT lab end to end: SNS against log-domain Sinkhorn live, the plan and the Hessian's sparsity drawn,
// a malformed upload reported with its line number.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { launch, openPage, canvasData, waitForDone, ARTIFACTS, URL, hoverReadout } from './browser.mjs';

async function setField(page, id, value) {
  await page.fill(`#${id}`, value);
  await page.locator(`#${id}`).dispatchEvent('change');
}

test('OT lab: compare log-sinkhorn with SNS (placement and why), plan and sparsity views', async () => {
  const browser = await launch();
  try {
    const { page, errors } = await openPage(browser);
    await page.click('nav.labs a[href="#/ot"]');
    await page.waitForSelector('#chart-error-iter');
    const emptyPlan = await canvasData(page, 'chart-plan');
    await setField(page, 'max-iter', '3000');
    await page.click('#run');
    await waitForDone(page);
    const status = await page.locator('#status').textContent();
    // SwiftShader is a software adapter: `auto` keeps log-domain Sinkhorn on the CPU beside it and says why
    // (on a hardware GPU it runs there); SNS to 1e-9 is below f32's floor either way.
    assert.match(status, /log-sinkhorn \(CPU, f64; software GPU, the CPU is faster\)/, status);
    assert.match(status, /sns \(CPU, f64[^)]*\): iteration \d+ \[newton\] · marginal error [0-9.]+e-1[0-9]/, status);
    assert.match(status, /\(Tolerance\)/, status);
    const points = Number(await page.locator('figure.chart').first().getAttribute('data-points'));
    assert.ok(points > 2, `points ${points}`);
    assert.notEqual(await canvasData(page, 'chart-plan'), emptyPlan, 'the plan was not drawn');
    assert.match(await page.locator('#sparsity-caption').textContent(), /hold 0\.\d+ of P's mass/);
    await page.screenshot({ path: join(ARTIFACTS, 'ot-compare.png'), fullPage: true });

    // Chart tools. Hover: sweep the pointer over the chart until the read-out names a drawn point.
    const readout = await hoverReadout(page, 'chart-error-iter');
    assert.match(readout, /^(log-sinkhorn|sns)[^:]*: iteration = \d+, error = [0-9.e-]+$/, readout);
    await page.locator('#chart-error-iter').dispatchEvent('mouseleave');
    assert.equal(await page.locator('#chart-error-iter-readout').textContent(), '');
    // A linear y axis and a hidden series each redraw the chart; undoing both restores it.
    const before = await canvasData(page, 'chart-error-iter');
    await page.uncheck('#chart-error-iter-logy');
    const linear = await canvasData(page, 'chart-error-iter');
    assert.notEqual(linear, before, 'log → linear did not redraw');
    await page.uncheck('#chart-error-iter-show-0');
    assert.notEqual(await canvasData(page, 'chart-error-iter'), linear, 'hiding a series did not redraw');
    await page.check('#chart-error-iter-show-0');
    await page.check('#chart-error-iter-logy');
    assert.equal(await canvasData(page, 'chart-error-iter'), before, 'the toggles did not round-trip');
    // Export: the chart as SVG (the same drawing: title, axis label, one polyline per series), the plan
    // picture as PNG.
    const saved = async (button) => {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
      return { name: download.suggestedFilename(), text: await readFile(await download.path()) };
    };
    const svg = await saved('#chart-error-iter-svg');
    assert.equal(svg.name, 'chart-error-iter.svg');
    const text = svg.text.toString();
    assert.match(text, /^<svg[^>]+width="600" height="320"/, text.slice(0, 120));
    assert.match(text, /Marginal error \(ℓ1\) vs iteration/);
    assert.ok((text.match(/<polyline/g) ?? []).length >= 2, 'a polyline per series');
    const plan = await saved('#chart-plan-png');
    assert.equal(plan.name, 'chart-plan.png');
    assert.deepEqual([...plan.text.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], 'a PNG file');
    const planSvg = (await saved('#chart-plan-svg')).text.toString();
    assert.match(planSvg, /^<svg[^>]+width="600" height="320"/, planSvg.slice(0, 120));
    assert.ok((planSvg.match(/<rect/g) ?? []).length > 100, "the plan's cells as rectangles");

    // A new stopping rule continues the run instead of restarting it.
    await page.selectOption('#method', 'sns');
    await setField(page, 'max-iter', '22');
    await page.click('#run');
    await waitForDone(page);
    assert.match(await page.locator('#status').textContent(), /iteration 22 \[newton\].*\(MaxIterations\)/);
    await setField(page, 'max-iter', '3000');
    assert.match(await page.locator('#status').textContent(), /^paused: sns \(CPU, f64[^)]*\): iteration 22 /);
    await page.click('#run');
    await waitForDone(page);
    const resumed = await page.locator('#status').textContent();
    assert.match(resumed, /\(Tolerance\)/, resumed);
    assert.ok(Number(resumed.match(/iteration (\d+)/)[1]) > 22, resumed);

    // Point clouds: the plan is drawn as lines between matched points.
    await page.selectOption('#problem', 'moons');
    await page.selectOption('#method', 'sns');
    await page.click('#run');
    await waitForDone(page);
    const moons = await page.locator('#status').textContent();
    assert.match(moons, /sns \(CPU, f64[^)]*\).* · Hessian keeps (99\.\d|100\.0) % of P's mass \(Tolerance\)/, moons);
    // The automatic density: ten per row hold a fraction of a moons plan's mass (SNS then crawled, 300
    // iterations without reaching 1e-9); k doubles until 99 % is kept and SNS converges in ~30.
    assert.ok(Number(moons.match(/iteration (\d+)/)[1]) < 60, moons);
    const kept = await page.locator('#sparsity-caption').textContent();
    assert.ok(Number(kept.match(/k = (\d+) per row/)[1]) > 10, kept);
    assert.ok(Number(kept.match(/hold ([0-9.]+) of P's mass/)[1]) >= 0.99, kept);
    await page.screenshot({ path: join(ARTIFACTS, 'ot-moons.png'), fullPage: true });

    // A tolerance f32 can meet puts SNS's dense passes on the GPU (its CG stays on the CPU, in f64) — asked
    // for here, SwiftShader being a software adapter.
    await page.selectOption('#backend', 'gpu');
    await page.selectOption('#problem', 'random');
    await setField(page, 'eps-slider', '-2.7');
    await setField(page, 'tol', '1e-5');
    await page.click('#run');
    await waitForDone(page);
    const split = await page.locator('#status').textContent();
    assert.match(split, /sns \(dense passes: GPU f32; CG: CPU f64\): iteration \d+ \[newton\] · marginal error [0-9.]+e-[0-9]+ .*\(Tolerance\)/, split);
    assert.ok(Number(split.match(/iteration (\d+)/)[1]) < 60, split);
    await setField(page, 'tol', '1e-10');

    // Bad input: eps is checked, and a malformed CSV names its line.
    await setField(page, 'tol', '-1');
    assert.match(await page.locator('#param-error').textContent(), /`tol` is invalid/);
    // Own point clouds: each file's preview shows its first rows as read (weights normalised).
    await page.setInputFiles('#source-file', { name: 'a.csv', mimeType: 'text/csv', buffer: Buffer.from('x,y,weight\n0,0,1\n1,0,3\n') });
    await page.setInputFiles('#target-file', { name: 'b.csv', mimeType: 'text/csv', buffer: Buffer.from('0,1\n1,1\n') });
    await page.waitForFunction(() => document.querySelectorAll('.previews table').length === 2);
    const previews = await page.locator('.previews table').evaluateAll((ts) => ts.map((t) => ({
      caption: t.caption.textContent,
      head: [...t.tHead.rows[0].cells].map((c) => c.textContent),
      rows: [...t.tBodies[0].rows].map((r) => [...r.cells].map((c) => c.textContent)),
    })));
    assert.deepEqual(previews, [
      { caption: 'a.csv: 2 rows read', head: ['x1', 'x2', 'weight (normalised)'], rows: [['0', '0', '0.2500'], ['1', '0', '0.7500']] },
      { caption: 'b.csv: 2 rows read', head: ['x1', 'x2', 'weight (normalised)'], rows: [['0', '1', '0.5000'], ['1', '1', '0.5000']] },
    ]);
    // The headless line runs the uploaded files, not the generated problem (the CLI's files replace it).
    const line = await page.locator('#cli-line').textContent();
    assert.match(line, / --source a\.csv --target b\.csv --json$/, line);
    await page.setInputFiles('#source-file', { name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from('0,0\n1,zz\n') });
    await page.waitForFunction(() => !document.querySelector('#upload-error').hidden);
    assert.equal(await page.locator('#upload-error').textContent(), 'bad.csv, line 2: field 2 (`zz`) is not a number');
    assert.deepEqual(errors, [], 'console errors');
  } finally {
    await browser.close();
  }
});

test('OT lab: 20,000 × 20,000 point clouds run on WebGPU, costs computed on the fly', async () => {
  // A dense f32 cost would need 1.6 GB (over the browser's storage-buffer limit); the kernels recompute
  // ‖x_i − y_j‖² from the points. One iteration (2 × 4·10⁸ log-sum-exp terms, plus ⟨C,P⟩'s pass) takes
  // ~35 s on SwiftShader's CPU emulation here, milliseconds on a GPU.
  const browser = await launch();
  try {
    const { page, errors } = await openPage(browser);
    await page.click('nav.labs a[href="#/ot"]');
    await page.waitForSelector('#chart-error-iter');
    await page.selectOption('#backend', 'gpu');
    await page.selectOption('#problem', 'gaussian');
    await page.selectOption('#method', 'log-sinkhorn');
    await setField(page, 'n', '20000');
    await setField(page, 'm', '20000');
    await setField(page, 'max-iter', '1');
    await page.click('#run');
    await waitForDone(page, 300_000);
    const status = await page.locator('#status').textContent();
    assert.match(status, /log-sinkhorn \(GPU, f32\): iteration 1 \[sinkhorn\] · marginal error [0-9.]+e[-0-9]+ · ⟨C,P⟩ 0\.\d+ \(MaxIterations\)/, status);
    assert.deepEqual(errors, [], 'console errors');
  } finally {
    await browser.close();
  }
});

test('OT sweep: iterations over ε × n fill in, the batch runs on WebGPU, a cell opens its problem', async () => {
  const browser = await launch();
  try {
    const grid = 'solver.tol=0.0001&sweep.x_values=0.01,0.1,0.5&sweep.y=n&sweep.y_values=8,24&sweep.seeds=2';
    const { page, errors } = await openPage(browser, undefined, `${URL}#/ot?v=2&tab=sweep&${grid}`);
    await page.waitForSelector('#chart-sweep');
    assert.equal(await page.locator('#tab-sweep').getAttribute('aria-selected'), 'true');
    assert.match(await page.locator('#status').textContent(), /12 problems: 6 cells × 2 seeds/);
    assert.equal(await page.locator('#link-notice').isHidden(), true);
    const empty = await canvasData(page, 'chart-sweep');
    await page.click('#run');
    await waitForDone(page);
    let status = await page.locator('#status').textContent();
    // SwiftShader is a software adapter: auto solves on the CPU (f64), and says so.
    assert.match(status, /^done \(CPU, f64; software GPU, the CPU is faster\): 12 of 12 problems done · 0 diverged · 0 could not run · \d+ problem-iterations\/s/, status);
    assert.equal(await points(page), 6);
    assert.notEqual(await canvasData(page, 'chart-sweep'), empty, 'phase diagram not drawn');
    const text = await hoverReadout(page, 'chart-sweep');
    assert.match(text, /^ε = [0-9.]+, points n \(= m\) = \d+: iterations = \S+ \(2 of 2 problems done, 0 diverged; iteration \d+\)/, text);
    const cpuCsv = await csv(page);
    assert.equal(cpuCsv.length, 7, cpuCsv.join('\n'));
    assert.match(cpuCsv[0], /^ε,points n \(= m\),value,problems,done,diverged,error$/);
    // Asked for the GPU, every problem is solved in one dispatch per round, a workgroup per problem; the
    // iteration counts agree with the CPU's within f32's rounding.
    await page.selectOption('#backend', 'gpu');
    await page.click('#run');
    await waitForDone(page);
    status = await page.locator('#status').textContent();
    assert.match(status, /^done \(GPU, f32: one workgroup per problem, all problems in one dispatch\): 12 of 12 problems done · 0 diverged/, status);
    const gpuCsv = await csv(page);
    for (let r = 1; r < 7; r++) {
      const [a, b] = [Number(cpuCsv[r].split(',')[2]), Number(gpuCsv[r].split(',')[2])];
      assert.ok(Math.abs(a - b) <= 2, `row ${r}: CPU ${a} vs GPU ${b} iterations`);
    }
    await page.screenshot({ path: join(ARTIFACTS, 'ot-sweep.png'), fullPage: true });
    // A click on the cell ε = 0.1, n = 8 (middle column, bottom row) opens its first problem as a single run.
    const width = await page.locator('#chart-sweep').evaluate((c) => c.clientWidth);
    const s = width / 600;
    await page.locator('#chart-sweep').click({ position: { x: 300 * s, y: 208 * s } });
    await page.waitForSelector('#chart-error-iter');
    assert.equal(await page.locator('#tab-single').getAttribute('aria-selected'), 'true');
    assert.equal(await page.locator('#eps').inputValue(), '0.1');
    assert.equal(await page.locator('#n').inputValue(), '8');
    assert.equal(await page.locator('#method').inputValue(), 'log-sinkhorn');
    await waitForDone(page);
    assert.match(await page.locator('#status').textContent(), /^done/);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

async function points(page) {
  return Number(await page.locator('#chart-sweep').evaluate((c) => c.closest('figure').dataset.points));
}

async function csv(page) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#chart-sweep-csv')]);
  return (await readFile(await download.path())).toString().trim().split('\n');
}
