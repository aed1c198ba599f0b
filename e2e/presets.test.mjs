// Paper presets: every preset of every lab loads without a notice (its link part names real parameters
// with valid values) and starts its run; one is followed to the end and checked against the paper. Each
// lab's update and stopping rules are typeset as MathML.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, waitForDone, pauseIfRunning } from './browser.mjs';

async function openGallery(page) {
  if ((await page.locator('#presets').getAttribute('open')) === null) await page.locator('#presets summary').click();
}

test('every paper preset loads cleanly and starts; the α = 1 preset reproduces Advani & Saxe', async () => {
  const browser = await launch();
  try {
    const { page, errors } = await openPage(browser);
    for (const lab of ['kernels', 'ot', 'sketching', 'training', 'generalization', 'solvers']) {
      await page.click(`nav.labs a[href="#/${lab}"]`);
      await page.waitForSelector('#presets');
      // The update and stopping rules are typeset by the browser (MathML), nothing fetched: a fraction's
      // numerator sits above its denominator.
      const math = await page.locator('.equations math').evaluateAll((ms) => ms.map((m) => {
        const f = m.querySelector('mfrac');
        const [num, den] = f ? [...f.children].map((c) => c.getBoundingClientRect()) : [];
        return { ns: m.namespaceURI, display: getComputedStyle(m).display, height: m.getBoundingClientRect().height, stacked: f ? num.bottom <= den.top + 1 : null };
      }));
      assert.ok(math.length >= 2, `${lab}: ${math.length} equations`);
      for (const m of math) {
        assert.equal(m.ns, 'http://www.w3.org/1998/Math/MathML', lab);
        assert.match(m.display, /^block/, `${lab}: ${m.display}`);
        assert.ok(m.height > 10, `${lab}: height ${m.height}`);
        assert.notEqual(m.stacked, false, `${lab}: a fraction drawn inline`);
      }
      assert.ok(math.some((m) => m.stacked === true) || lab === 'kernels', `${lab}: no typeset fraction`);
      // What each knob does, in words.
      const knobs = await page.locator('details.knobs dt').count();
      assert.ok(knobs >= 3, `${lab}: ${knobs} knobs explained`);
      const count = await page.locator('#presets li').count();
      assert.ok(count >= 2, `${lab}: ${count} presets`);
      for (let k = 0; k < count; k++) {
        await openGallery(page);
        await page.click(`#preset-${k}`);
        await page.waitForSelector('#run');
        assert.equal(await page.locator('#link-notice').isHidden(), true, `${lab} preset ${k}: ${await page.locator('#link-notice').textContent()}`);
        // The run started by itself: Run is disabled while it runs (or the run is already done).
        await page.waitForFunction(() => document.querySelector('#run')?.disabled || document.querySelector('#status')?.textContent.startsWith('done'), null, { timeout: 30_000 });
        await pauseIfRunning(page);
        assert.equal(await page.locator('#status.error').count(), 0, `${lab} preset ${k}: ${await page.locator('#status').textContent()}`);
      }
    }
    // The nuclear-norm tab's presets compute on opening: the first at the paper's 512 × 2048.
    await page.click('nav.labs a[href="#/sketching"]');
    await page.click('#tab-nuclear');
    for (let k = 0; k < 2; k++) {
      await openGallery(page);
      await page.click(`#preset-${k}`);
      await page.waitForSelector('#nn-table');
      assert.equal(await page.locator('#tab-nuclear').getAttribute('aria-selected'), 'true');
      assert.equal(await page.locator('#link-notice').isHidden(), true, `nuclear preset ${k}: ${await page.locator('#link-notice').textContent()}`);
      await page.waitForFunction(() => document.querySelectorAll('#nn-table tbody tr').length === 3, null, { timeout: 60_000 });
    }
    await openGallery(page);
    await page.click('#preset-0');
    await page.waitForFunction(() => document.querySelectorAll('#nn-table tbody tr').length === 3, null, { timeout: 60_000 });
    assert.equal(await page.locator('#n').inputValue(), '512');
    assert.equal(await page.locator('#d').inputValue(), '2048');
    // Advani & Saxe's α = 1 (SNR 5, N = 400): best early-stopped ≈ 0.57 at t ≈ 3 in theory.
    await page.click('nav.labs a[href="#/generalization"]');
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

// Without WebGPU every preset runs its figure on the CPU fallback: each is clicked and runs for up to three
// seconds (or to done), with no error status and a chart with points (or a finished table).
test('without WebGPU every preset of every lab runs on the CPU, no error, a chart drawn', async () => {
  const browser = await launch({ webgpu: false });
  try {
    const { page, errors } = await openPage(browser);
    for (const lab of ['kernels', 'ot', 'sketching', 'training', 'generalization', 'solvers']) {
      await page.click(`nav.labs a[href="#/${lab}"]`);
      await page.waitForSelector('#presets');
      const count = await page.locator('#presets li').count();
      for (let k = 0; k < count; k++) {
        await openGallery(page);
        // The preset's parameters replace the page's (the headless line changes; the old run's points go).
        const before = await page.evaluate(() => document.querySelector('#cli-line')?.textContent);
        await page.click(`#preset-${k}`);
        // (A lab's first preset may be its defaults: the same line.)
        await page.waitForFunction((b) => document.querySelector('#cli-line')?.textContent !== b, before, { timeout: 3_000 }).catch(() => {});
        await page.waitForSelector('#run');
        const what = `${lab} preset ${k}`;
        const t0 = performance.now();
        // Drawn: a chart with points, or (the nuclear-norm tab) its table filled.
        await page.waitForFunction(() => [...document.querySelectorAll('figure.chart')].some((f) => Number(f.dataset.points) > 0)
          || document.querySelectorAll('#nn-table tbody tr').length > 0
          || document.querySelector('#status.error'), null, { timeout: 60_000 });
        console.log(`${what}: first chart after ${performance.now() - t0} ms`);
        await page.waitForTimeout(1000); // it keeps running
        assert.equal(await page.locator('#status.error').count(), 0, `${what}: ${await page.locator('#status').textContent()}`);
        assert.doesNotMatch(await page.locator('#status').textContent(), /GPU, f32|on WebGPU/, what);
        await pauseIfRunning(page);
      }
    }
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
