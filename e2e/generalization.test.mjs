// The generalization lab end to end: the student–teacher curve with its theory, the α sweep, double
// descent, epoch-wise double descent, noisy labels (CE vs ELR vs forward correction), self-distillation
// (calibration), continual learning (EWC over several draws), the quadratic teacher, bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { launch, openPage, waitForDone, ARTIFACTS } from './browser.mjs';

async function setField(page, id, value) {
  await page.fill(`#${id}`, value);
  await page.locator(`#${id}`).dispatchEvent('change');
}

const points = async (page, id) => Number(await page.locator(`#${id}`).locator('xpath=..').getAttribute('data-points'));

test('generalization lab: student–teacher, double descent, epoch-wise, noisy labels, self-distillation, continual, quadratic', async () => {
  const browser = await launch();
  try {
    const { page, errors } = await openPage(browser);
    await page.click('nav.labs a[href="#/generalization"]');
    await page.waitForSelector('#chart-st-curve');

    // docs/methods.md's setting at α = 2 with N = 200: the curve streams 200 time points, theory beside it.
    await setField(page, 'alpha', '2');
    await setField(page, 'n-inputs', '200');
    await page.click('#run');
    await waitForDone(page);
    let status = await page.locator('#status').textContent();
    assert.match(status, /^done \(CPU, f64\): t = 10000\.000 · test error 0\.[34]\d+ \(theory 0\.4000\) · best early-stopped 0\.3\d+ at t = [0-9.]+ \(theory 0\.35\d+ at t = [0-9.]+\)/, status);
    assert.equal(await points(page, 'chart-st-curve'), 4 * 200);
    await page.screenshot({ path: join(ARTIFACTS, 'gen-student-teacher.png'), fullPage: true });

    // The α sweep: 29 values of α, best early-stopped and final per α.
    await setField(page, 'n-inputs', '60');
    await page.check('#sweep');
    await page.locator('#sweep').dispatchEvent('change');
    await page.waitForSelector('#chart-st-sweep');
    await page.click('#run');
    await waitForDone(page);
    assert.match(await page.locator('#status').textContent(), /^done \(CPU, f64\): 29 of 29 values of α/);
    assert.equal(await points(page, 'chart-st-sweep'), 4 * 29);

    // Bad input: said, and Run disabled.
    await setField(page, 'alpha', '0');
    assert.match(await page.locator('#param-error').textContent(), /`alpha`/);
    assert.equal(await page.locator('#run').isDisabled(), true);
    await setField(page, 'snr', 'x');
    assert.match(await page.locator('#status').textContent(), /`snr` is invalid: `x` is not a finite number/);

    // Double descent: the risk peaks at the interpolation threshold.
    await page.click('#tab-double-descent');
    await page.waitForSelector('#chart-dd');
    await setField(page, 'n', '40');
    await setField(page, 'trials', '4');
    await page.click('#run');
    await waitForDone(page);
    status = await page.locator('#status').textContent();
    assert.match(status, /^done \(CPU, f64\): (\d+) of \1 values of γ · γ = 10\.000/, status);
    assert.ok(await points(page, 'chart-dd') > 60);
    await page.screenshot({ path: join(ARTIFACTS, 'gen-double-descent.png'), fullPage: true });
    await setField(page, 'noise-var', '-1');
    assert.match(await page.locator('#param-error').textContent(), /`noise-var`/);

    // Epoch-wise double descent: two draws and their controls, short; mean bands and what the net fits.
    await page.click('#tab-epoch-wise');
    await page.waitForSelector('#chart-ew');
    await setField(page, 'epochs', '300');
    await setField(page, 'seeds', '2');
    await page.click('#run');
    await waitForDone(page);
    status = await page.locator('#status').textContent();
    assert.match(status, /^done \(CPU, f64\): 4 runs at epoch 300 of 300 · mean test error 0\.\d+ \(control 0\.\d+\) · first minimum 0\.\d+ at epoch \d+, peak 0\.\d+ at \d+, now 0\.\d+/, status);
    const bands = await points(page, 'chart-ew');
    assert.ok(bands > 60 && bands % 2 === 0, `two bands (noisy, control) over the log-spaced evaluations: ${bands}`);
    assert.equal(await points(page, 'chart-ew-fit'), bands, 'training error and memorised flips at the same epochs');
    await page.screenshot({ path: join(ARTIFACTS, 'gen-epoch-wise.png'), fullPage: true });
    await setField(page, 'label-noise', '1');
    assert.match(await page.locator('#param-error').textContent(), /`label-noise`/);

    // Noisy labels: cross-entropy, ELR and forward correction (T estimated after 3 epochs) side by side,
    // epoch by epoch, under asymmetric noise (small and short here).
    await page.click('#tab-noisy-labels');
    await page.waitForSelector('#chart-nl-test');
    await setField(page, 'n', '400');
    await setField(page, 'hidden', '32');
    await setField(page, 'epochs', '12');
    await setField(page, 'warmup', '3');
    await page.selectOption('#label-noise-kind', 'asymmetric');
    assert.equal(await page.locator('#nl-transition').isHidden(), true, 'no T before the warm-up');
    await page.click('#run');
    await waitForDone(page);
    status = await page.locator('#status').textContent();
    assert.match(status, /^done \(CPU, f64\): epoch 12 · test accuracy CE 0\.\d+, ELR 0\.\d+, forward 0\.\d+ · noisy labels memorised CE 0\.\d+, ELR 0\.\d+, forward 0\.\d+/, status);
    assert.equal(await points(page, 'chart-nl-test'), 3 * 12);
    assert.equal(await points(page, 'chart-nl-fit'), 5 * 12);
    assert.equal(await page.locator('#nl-transition tbody tr').count(), 4, 'the estimated T, 4 × 4');
    await page.selectOption('#forward', 'off');
    await setField(page, 'epochs', '4');
    await page.click('#run');
    await waitForDone(page);
    assert.equal(await points(page, 'chart-nl-test'), 2 * 4, 'forward correction off: two runs');
    await page.screenshot({ path: join(ARTIFACTS, 'gen-noisy-labels.png'), fullPage: true });
    await setField(page, 'label-noise', '1');
    assert.match(await page.locator('#param-error').textContent(), /`label-noise`/);

    // Self-distillation: three runs, calibration per epoch, the reliability diagram and the table.
    await page.click('#tab-pskd');
    await page.waitForSelector('#chart-pskd-ece');
    await setField(page, 'hidden', '16');
    await setField(page, 'epochs', '6');
    await page.click('#run');
    await waitForDone(page);
    status = await page.locator('#status').textContent();
    assert.match(status, /^done \(CPU, f64\): epoch 6 · ECE cross-entropy 0\.\d+, label smoothing 0\.\d+, PS-KD 0\.\d+/, status);
    assert.equal(await points(page, 'chart-pskd-ece'), 3 * 6);
    assert.ok(await points(page, 'chart-pskd-reliability') > 6);
    assert.equal(await page.locator('#pskd-table tbody tr').count(), 3);
    await page.screenshot({ path: join(ARTIFACTS, 'gen-pskd.png'), fullPage: true });
    await setField(page, 'alpha-t', '2');
    assert.match(await page.locator('#param-error').textContent(), /`alpha-t`/);

    // Continual learning with EWC: forgetting and B's accuracy per λ, the Fisher diagonal.
    await page.click('#tab-continual');
    await page.waitForSelector('#chart-ewc');
    await setField(page, 'lambdas', '0,100,1000');
    await setField(page, 'epochs-a', '30');
    await setField(page, 'epochs-b', '30');
    await setField(page, 'seeds', '2');
    await page.click('#run');
    await waitForDone(page);
    status = await page.locator('#status').textContent();
    assert.match(status, /^done \(CPU, f64\): 2 of 2 draws done · this draw at λ = 1000: forgetting -?0\.\d+, B accuracy 0\.\d+ · chart and table: means over the draws so far/, status);
    assert.equal(await page.locator('#ewc-table tbody tr').count(), 3);
    assert.ok(await points(page, 'chart-fisher') > 300, 'the Fisher diagonal of 2-16-16-1 (337 parameters)');
    assert.equal(await points(page, 'chart-ewc'), 5 * 3, 'full-weight and LoRA curves over three λ');
    const heat = await page.locator('#chart-fisher-heatmap').locator('xpath=..').getAttribute('data-cells');
    assert.equal(Number(heat), 337, 'the Fisher heatmap covers every parameter');
    assert.match(await page.locator('#ewc-table tbody tr').nth(2).locator('td').nth(6).textContent(), /^0\.\d{3}/, 'LoRA B accuracy at λ = 1000');
    await page.screenshot({ path: join(ARTIFACTS, 'gen-continual.png'), fullPage: true });
    await setField(page, 'lora-rank', '100');
    assert.match(await page.locator('#param-error').textContent(), /`lora-rank`/);
    await setField(page, 'lora-rank', '2');
    await setField(page, 'seeds', '0');
    assert.match(await page.locator('#param-error').textContent(), /`seeds`/);
    await setField(page, 'seeds', '2');
    await setField(page, 'lambdas', '0,-1');
    assert.match(await page.locator('#param-error').textContent(), /`lambdas`/);

    // The quadratic teacher: below and far above the recovery threshold, one run and the average.
    await page.click('#tab-quadratic');
    await page.waitForSelector('#chart-q-sweep');
    await setField(page, 'd', '10');
    await setField(page, 'alphas', '0.15,1');
    await setField(page, 'restarts', '2');
    await setField(page, 'steps', '2000');
    await page.click('#run');
    await waitForDone(page);
    status = await page.locator('#status').textContent();
    assert.match(status, /^done \(CPU, f64\): 2 of 2 values of α · last α done: one run 0\.0000, averaged 0\.0000/, status);
    assert.equal(await points(page, 'chart-q-sweep'), 3 * 2 + 2, 'three series over two α and the threshold line');
    assert.ok(await points(page, 'chart-q-curve') > 10);
    await page.screenshot({ path: join(ARTIFACTS, 'gen-quadratic.png'), fullPage: true });
    // Export: the chart's data as CSV (one row per point) and JSON, the chart as PNG.
    const saved = async (button) => {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
      return { name: download.suggestedFilename(), text: await readFile(await download.path()) };
    };
    const csv = await saved('#chart-q-sweep-csv');
    assert.equal(csv.name, 'chart-q-sweep.csv');
    const rows = csv.text.toString().trim().split('\n');
    assert.equal(rows[0], 'series,x,y');
    assert.equal(rows.length, 1 + 3 * 2 + 2, rows.join('\n'));
    assert.match(rows[1], /^"one gradient-descent run",0\.15,0\.\d+/, rows[1]);
    const json = JSON.parse((await saved('#chart-q-sweep-json')).text.toString());
    assert.deepEqual(json.map((s) => s.points.length), [2, 2, 2, 2]);
    const png = await saved('#chart-q-sweep-png');
    assert.equal(png.name, 'chart-q-sweep.png');
    assert.deepEqual([...png.text.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], 'a PNG file');
    await setField(page, 'kappa', '-1');
    assert.match(await page.locator('#param-error').textContent(), /`kappa`/);
    assert.deepEqual(errors, [], 'console errors');
  } finally {
    await browser.close();
  }
});
