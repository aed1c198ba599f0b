// The JavaScript API: the page's module exports `labs`, `run` and a run's `step` (Trunk puts the exports on
// `window.wasmBindings`), so another script on the page — or a notebook cell pointed at it — drives any lab
// headless from plain objects. This runs README's example as written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage } from './browser.mjs';

test('the JavaScript API lists every lab, runs one to done from a plain object, and throws typed errors', async () => {
  const browser = await launch();
  try {
    const { page, errors } = await openPage(browser);
    const result = await page.evaluate(async () => {
      const regula = window.wasmBindings;
      const labs = regula.labs();
      // README's example, smaller.
      const run = await regula.run('ot', { problem: { kind: 'moons', n: 60, m: 60 }, method: 'sns', solver: { eps: 0.05, tol: 1e-9 }, backend: 'cpu' });
      let frames;
      let steps = 0;
      do { frames = await run.step(50); steps += 1; } while (!frames.every((f) => f.done) && steps < 500);
      let thrown = null;
      try { await regula.run('training', { config: { lr: -1 } }); } catch (e) { thrown = String(e.message ?? e); }
      return { names: labs.map((l) => l.name), fields: labs.find((l) => l.name === 'ot').fields.map((f) => f.flag), frame: frames[0], line: run.line, thrown };
    });
    assert.ok(result.names.includes('ot') && result.names.includes('generalization/pskd') && result.names.length >= 12, result.names.join(', '));
    assert.ok(result.fields.includes('eps') && result.fields.includes('max-iter'), result.fields.join(', '));
    assert.equal(result.frame.done, true);
    assert.equal(result.frame.converged, true, JSON.stringify(result.frame));
    assert.ok(result.frame.metrics.marginal_error <= 1e-9, JSON.stringify(result.frame.metrics));
    assert.match(result.line, /^regula ot --problem moons --n 60 --m 60 .* --method sns .*--backend cpu --json$/);
    assert.match(result.thrown, /`lr`/);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
