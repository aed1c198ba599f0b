// What a first visit costs: the bytes the page transfers (gzip, as a static host serves them) held under a
// budget, and the time from a cold load to the first drawn chart, printed (timings are not asserted: these
// machines are noisy). README "Speed" reports both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { launch, ARTIFACTS, URL } from './browser.mjs';

// The page's budget, gzip level 9: index.html, the JS glue, the wasm and the stylesheet. Today ~1.30 MB for
// six labs and the home page (a lab costs 50–70 kB; the solvers lab with its GPU path took the page from
// 1.231 MB past the former 1.25 MB budget — loading a lab's code when it is opened is the way back under 1 MB) (Cargo.toml's `web` profile: LTO, the interface optimised for size, the
// numerics for speed; wasm-opt -O1, index.html says why); the goal is 1 MB, not met yet.
export const BUDGET_BYTES = 1_320_000;
export const GOAL_BYTES = 1_000_000;

async function fetchBytes(url) {
  const r = await fetch(url);
  assert.equal(r.status, 200, url);
  return Buffer.from(await r.arrayBuffer());
}

test('the page transfers no more than its budget (gzip)', async () => {
  const html = await fetchBytes(URL);
  const refs = [...html.toString().matchAll(/(?:href|src)="([^"]+\.(?:js|wasm|css))"/g)].map((m) => m[1]);
  const js = refs.find((r) => r.endsWith('.js'));
  assert.ok(js, `the page loads its JS glue: ${refs}`);
  // The wasm is fetched by the glue, beside it with the same name.
  const files = [...new Set([...refs, js.replace(/\.js$/, '_bg.wasm')])];
  const sizes = { 'index.html': gzipSync(html, { level: 9 }).length };
  for (const f of files) sizes[f] = gzipSync(await fetchBytes(new globalThis.URL(f, URL).href), { level: 9 }).length;
  const total = Object.values(sizes).reduce((a, b) => a + b, 0);
  console.log(`page transfer (gzip -9): ${(total / 1e6).toFixed(3)} MB — budget ${BUDGET_BYTES / 1e6} MB, goal ${GOAL_BYTES / 1e6} MB`, sizes);
  assert.ok(Object.keys(sizes).some((f) => f.endsWith('.wasm')), 'the wasm was counted');
  assert.ok(total <= BUDGET_BYTES, `${total} bytes over the budget of ${BUDGET_BYTES}`);
});

test('time to the first chart from a cold load (printed)', async () => {
  const browser = await launch();
  try {
    const times = [];
    for (let k = 0; k < 3; k++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
      const page = await context.newPage();
      const start = performance.now();
      // The default OT experiment, started by its link: the first frame's point on the error chart.
      await page.goto(`${URL}#/ot?v=2&run=1`);
      await page.waitForFunction(() => Number(document.querySelector('figure.chart')?.dataset.points ?? 0) > 0, null, { timeout: 60_000 });
      times.push(performance.now() - start);
      await context.close();
    }
    times.sort((a, b) => a - b);
    console.log(`time to first chart, cold load, headless (ms): ${times.join(', ')} (median ${times[1]})`);
    await writeFile(join(ARTIFACTS, 'first-chart.json'), JSON.stringify({ ms: times }));
    assert.ok(times.every(Number.isFinite));
  } finally {
    await browser.close();
  }
});
