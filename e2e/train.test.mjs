// The training lab end to end: a Playground-style run with live curves and the decision boundary, a live
// hyperparameter change that continues the run, the exact Hessian view, divergence reported, bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { launch, openPage, canvasData, waitForDone, hoverReadout, ARTIFACTS, URL } from './browser.mjs';

async function setField(page, id, value) {
  await page.fill(`#${id}`, value);
  await page.locator(`#${id}`).dispatchEvent('change');
}

const points = async (page, id) => Number(await page.locator(`#${id}`).locator('xpath=..').getAttribute('data-points'));

test('training lab: train, continue, Hessian, divergence', async () => {
  const browser = await launch();
  try {
    const { page, errors } = await openPage(browser);
    await page.click('nav.labs a[href="#/training"]');
    await page.waitForSelector('#chart-loss');
    const empty = await canvasData(page, 'chart-boundary');
    const emptyNet = await canvasData(page, 'chart-network');
    await page.selectOption('#dataset', 'xor');
    await setField(page, 'epochs', '30');
    await page.click('#run');
    await waitForDone(page);
    let status = await page.locator('#status').textContent();
    // SwiftShader is a software adapter: `auto` ran the CPU path beside it, and says so.
    assert.match(status, /^done \(CPU, f64; software GPU, the CPU is faster\): step 480 \[epoch 30\.0\]/, status);
    // Asked for, the GPU runs (a new run: the backend is part of the experiment).
    await page.selectOption('#backend', 'gpu');
    await page.click('#run');
    await waitForDone(page);
    status = await page.locator('#status').textContent();
    // 200 points, 160 for training, batch 10: 16 steps per epoch.
    assert.match(status, /^done \(GPU, f32: each epoch in one workgroup\): step 480 \[epoch 30\.0\] · train loss [0-9.]+ · test loss [0-9.]+ · test accuracy (0\.[89]\d+|1\.000) · λmax [0-9.]+ \(Completed\)/, status);
    assert.ok(await points(page, 'chart-loss') > 4);
    assert.ok(await points(page, 'chart-error') > 4);
    assert.notEqual(await canvasData(page, 'chart-boundary'), empty, 'decision boundary not drawn');
    // The pictures export as vectors too: the boundary's cells as rectangles, the points as circles.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#chart-boundary-svg')]);
    assert.equal(download.suggestedFilename(), 'chart-boundary.svg');
    const svg = (await readFile(await download.path())).toString();
    assert.match(svg, /^<svg[^>]+width="600" height="320"/, svg.slice(0, 120));
    assert.ok((svg.match(/<rect/g) ?? []).length > 100, 'the boundary raster as rectangles');
    assert.ok((svg.match(/<circle/g) ?? []).length > 20, 'the points');
    assert.notEqual(await canvasData(page, 'chart-network'), emptyNet, 'weights not drawn');
    await page.screenshot({ path: join(ARTIFACTS, 'train-xor.png'), fullPage: true });

    // More epochs continue the same run.
    await setField(page, 'epochs', '40');
    assert.match(await page.locator('#status').textContent(), /^paused \(GPU[^)]*\): step 480 /);
    await page.click('#run');
    await waitForDone(page);
    assert.match(await page.locator('#status').textContent(), /^done \(GPU[^)]*\): step 640 \[epoch 40\.0\]/);

    // The exact Hessian of the 2-8-8-1 net (105 parameters) and its spectrum.
    await page.click('#hessian-compute');
    await page.waitForFunction(() => /105 parameters: λmax/.test(document.querySelector('#hessian-note').textContent), null, { timeout: 60_000 });
    assert.match(await page.locator('#hessian-caption').textContent(), /% of the 105² entries/);
    assert.ok(await points(page, 'chart-density') > 100);

    // Divergence is reported, and nothing non-finite is plotted.
    await setField(page, 'lr', '200');
    await setField(page, 'epochs', '100');
    await page.click('#run');
    await waitForDone(page);
    status = await page.locator('#status').textContent();
    assert.match(status, /diverged/, status);
    await page.screenshot({ path: join(ARTIFACTS, 'train-diverged.png'), fullPage: true });

    // Bad input.
    await setField(page, 'lr', 'abc');
    assert.match(await page.locator('#status').textContent(), /`lr` is invalid: `[^`]*` is not a finite number/);
    await setField(page, 'lr', '0');
    assert.match(await page.locator('#param-error').textContent(), /`lr`/);
    await setField(page, 'lr', '0.1');
    await setField(page, 'batch', '500');
    assert.match(await page.locator('#param-error').textContent(), /`batch` must be at most 160/);
    assert.equal(await page.locator('#run').isDisabled(), true);

    // A batch past the one-workgroup kernel's 256 trains layer by layer (tiled matmul) on the GPU:
    // digits, 1,437 training rows, batch 300 → 5 steps per epoch, the last one short.
    await page.selectOption('#dataset', 'digits');
    await setField(page, 'batch', '300');
    await setField(page, 'lr', '0.1');
    await setField(page, 'epochs', '2');
    await page.click('#run');
    await waitForDone(page);
    status = await page.locator('#status').textContent();
    assert.match(status, /^done \(GPU, f32: tiled matmul per layer\): step 10 \[epoch 2\.0\] · train loss [0-9.]+/, status);
    assert.deepEqual(errors, [], 'console errors');
  } finally {
    await browser.close();
  }
});

test('training lab without WebGPU: the CPU path runs and says so', async () => {
  const browser = await launch({ webgpu: false });
  try {
    const { page, errors } = await openPage(browser);
    await page.click('nav.labs a[href="#/training"]');
    await page.waitForSelector('#chart-loss');
    await setField(page, 'epochs', '5');
    await page.click('#run');
    await waitForDone(page);
    assert.match(await page.locator('#status').textContent(), /^done \(CPU, f64[^)]*\): step 80 \[epoch 5\.0\]/);

    // Per-layer activations in the layer field; a bad name is said, not applied.
    await setField(page, 'hidden', '6:relu,4:sigmoid');
    await page.click('#run');
    await waitForDone(page);
    assert.match(await page.locator('#status').textContent(), /^done \(CPU, f64[^)]*\): step 80 /);
    assert.equal(await page.locator('#hidden').inputValue(), '6:relu,4:sigmoid');
    await setField(page, 'hidden', '8:swish');
    assert.match(await page.locator('#status').textContent(), /`activation` cannot be `swish`/);

    // Playground's layer buttons: add a layer (copies the last width and, with per-layer names, the shared
    // activation), narrow and widen it, remove it; the text field follows, and the net trains.
    await setField(page, 'hidden', '6:relu,4:sigmoid');
    await page.click('#layer-add');
    assert.equal(await page.locator('#hidden').inputValue(), '6:relu,4:sigmoid,4:tanh');
    await page.click('#layer-2-narrow');
    await page.click('#layer-2-narrow');
    await page.click('#layer-0-widen');
    assert.equal(await page.locator('#hidden').inputValue(), '7:relu,4:sigmoid,2:tanh');
    assert.equal(await page.locator('#layer-2-width').textContent(), '2');
    await page.click('#run');
    await waitForDone(page);
    assert.match(await page.locator('#status').textContent(), /^done \(CPU, f64[^)]*\): step 80 /);
    await page.click('#layer-remove');
    await page.click('#layer-remove');
    await page.click('#layer-remove');
    assert.equal(await page.locator('#hidden').inputValue(), '');
    assert.equal(await page.locator('#layer-remove').isDisabled(), true);
    for (let k = 0; k < 6; k++) await page.click('#layer-add');
    assert.equal(await page.locator('#hidden').inputValue(), '4,4,4,4,4,4');
    assert.equal(await page.locator('#layer-add').isDisabled(), true);
    await setField(page, 'hidden', '8,8');

    // Own data: 2 inputs and a class per line; label smoothing on; a malformed file names its line.
    let csv = 'x,y,label\n';
    for (let i = 0; i < 100; i++) {
      const x = Math.sin(i * 1.7) * 3, y = Math.cos(i * 2.3) * 3;
      csv += `${x},${y},${x * y > 0 ? 1 : 0}\n`;
    }
    await page.setInputFiles('#train-file', { name: 'mine.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.waitForFunction(() => !document.querySelector('#train-uploaded').hidden);
    assert.match(await page.locator('#train-uploaded').textContent(), /Uploaded mine\.csv: 100 rows × 2 inputs, 2 classes/);
    // The preview: the file's first rows as read, its columns named by their role.
    const preview = await page.locator('#train-preview-0').evaluate((t) => ({
      caption: t.caption.textContent,
      head: [...t.tHead.rows[0].cells].map((c) => c.textContent),
      rows: [...t.tBodies[0].rows].map((r) => [...r.cells].map((c) => c.textContent)),
    }));
    assert.equal(preview.caption, 'mine.csv: 100 rows read, the first 5 shown');
    assert.deepEqual(preview.head, ['x1', 'x2', 'class']);
    assert.equal(preview.rows.length, 5);
    assert.deepEqual(preview.rows[1], [(Math.sin(1.7) * 3).toFixed(4), (Math.cos(2.3) * 3).toFixed(4), '0']);
    await setField(page, 'label-smoothing', '0.1');
    await page.click('#run');
    await waitForDone(page);
    assert.match(await page.locator('#status').textContent(), /^done \(CPU, f64[^)]*\): step 40 \[epoch 5\.0\]/);
    await page.setInputFiles('#train-file', { name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from('1,2,0\n3,x,1\n') });
    await page.waitForFunction(() => !document.querySelector('#train-upload-error').hidden);
    assert.equal(await page.locator('#train-upload-error').textContent(), 'bad.csv, line 2: field 2 (`x`) is not a number');
    assert.deepEqual(errors, [], 'console errors');
  } finally {
    await browser.close();
  }
});

test('training lab: the status line says how many epochs a second the run trains', async () => {
  const browser = await launch({ webgpu: false });
  try {
    const { page, errors } = await openPage(browser);
    await page.click('nav.labs a[href="#/training"]');
    await page.waitForSelector('#chart-loss');
    // Long enough to be seen running: the CPU path trains many epochs per animation frame.
    await setField(page, 'epochs', '1000000');
    await page.click('#run');
    await page.waitForFunction(() => /^running .* · [0-9.]+ epochs\/s · train loss/.test(document.querySelector('#status').textContent), null, { timeout: 30_000 });
    const status = await page.locator('#status').textContent();
    console.log(status);
    const rate = Number(status.match(/ · ([0-9.]+) epochs\/s/)[1]);
    const epoch = Number(status.match(/\[epoch ([0-9.]+)/)[1]);
    // Reported, not timed (this machine is shared): a positive figure, and the curves hold a point per epoch.
    assert.ok(rate > 0 && epoch > 0, status);
    await page.click('#pause');
    await page.waitForFunction(() => /^paused/.test(document.querySelector('#status').textContent));
    const paused = await page.locator('#status').textContent();
    assert.doesNotMatch(paused, /epochs\/s/, 'no rate while paused');
    const shown = Number(paused.match(/\[epoch ([0-9.]+)/)[1]);
    // A point per epoch for the first thousand (then every 10th, …: the trainer thins long runs out).
    assert.ok(await points(page, 'chart-loss') >= Math.min(Math.floor(shown), 900), `${await points(page, 'chart-loss')} points for ${shown} epochs`);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

// The Sweep tab: a grid of small nets trained side by side, the phase diagram filling in, its data exported,
// and a cell opening its net as a single run from that net's own link.
test('training sweep: the phase diagram fills in and a cell opens its net', async () => {
  const browser = await launch();
  try {
    const grid = 'train.data.kind=xor&train.data.n=60&train.config.hidden=4&train.config.epochs=6&sweep.x_values=0.03,0.3,300&sweep.y=l2&sweep.y_values=0,0.001&sweep.seeds=2';
    const { page, errors } = await openPage(browser, undefined, `${URL}#/training?v=2&tab=sweep&${grid}`);
    await page.waitForSelector('#chart-sweep');
    assert.equal(await page.locator('#tab-sweep').getAttribute('aria-selected'), 'true');
    assert.match(await page.locator('#status').textContent(), /12 nets: 6 cells × 2 seeds/);
    assert.equal(await page.locator('#link-notice').isHidden(), true);
    const empty = await canvasData(page, 'chart-sweep');
    await page.click('#run');
    await waitForDone(page);
    let status = await page.locator('#status').textContent();
    // SwiftShader is a software adapter: auto trains the sweep on the CPU, and says so; η = 300 diverges.
    assert.match(status, /^done \(CPU, f64; software GPU, the CPU is faster\): 12 of 12 nets done · [1-9]\d* diverged · 0 could not run · \d+ net-steps\/s/, status);
    assert.equal(await points(page, 'chart-sweep'), 6);
    assert.notEqual(await canvasData(page, 'chart-sweep'), empty, 'phase diagram not drawn');
    const text = await hoverReadout(page, 'chart-sweep');
    assert.match(text, /^learning rate η = [0-9.]+, L2 rate = [0-9.]+: (test error = [0-9.]+|diverged) \(2 of 2 nets done/, text);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#chart-sweep-csv')]);
    const csv = (await readFile(await download.path())).toString().trim().split('\n');
    assert.equal(csv.length, 7, csv.join('\n'));
    assert.match(csv[0], /^learning rate η,L2 rate,value,nets,done,diverged,error$/);
    // Asked for the GPU, the same grid trains in one dispatch per epoch, a workgroup per net.
    await page.selectOption('#backend', 'gpu');
    await page.click('#run');
    await waitForDone(page);
    status = await page.locator('#status').textContent();
    assert.match(status, /^done \(GPU, f32: one workgroup per net, all nets in one dispatch\): 12 of 12 nets done/, status);
    await page.screenshot({ path: join(ARTIFACTS, 'train-sweep.png'), fullPage: true });
    // A click on the cell η = 0.3, L2 = 0 (middle column, bottom row) opens its first net as a single run.
    const width = await page.locator('#chart-sweep').evaluate((c) => c.clientWidth);
    const s = width / 600;
    await page.locator('#chart-sweep').click({ position: { x: 300 * s, y: 208 * s } });
    await page.waitForSelector('#chart-loss');
    assert.equal(await page.locator('#tab-single').getAttribute('aria-selected'), 'true');
    assert.equal(await page.locator('#lr').inputValue(), '0.3');
    assert.equal(await page.locator('#dataset').inputValue(), 'xor');
    await waitForDone(page);
    assert.match(await page.locator('#status').textContent(), /^done \(GPU, f32[^)]*\): step \d+ \[epoch 6\.0\]/);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
