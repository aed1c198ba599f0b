// Diagnostic (not a test): how long each sketch and OT pipeline takes to compile in this Chromium, and the
// animation-frame gaps while it does (a canvas redrawn every frame), for createComputePipeline (`sync`,
// what wgpu calls) or createComputePipelineAsync (`async`). Serve any page on the origin and run
//   PROBE_URL=http://127.0.0.1:8080/ node probe_compile.mjs sync
// On SwiftShader a kernel with a workgroup barrier took ~1 s to compile (and stalled the page's frames
// while the GPU process's main thread was busy with it); the barrier-free sketch kernels take < 100 ms.
// PROBE_OLD_LSE=FILE adds the entry points of an older sinkhorn_lse.wgsl (to compare side by side).
import { launch } from './browser.mjs';
import { readFileSync } from 'node:fs';
const sh = (p) => readFileSync(new URL(`../shaders/${p}`, import.meta.url), 'utf8');
const philox = sh('sketch/philox.wgsl');
const cases = [
  ['dense_partial', philox + sh('sketch/dense_apply.wgsl'), 'dense_partial'],
  ['dense_sum', philox + sh('sketch/dense_apply.wgsl'), 'dense_sum'],
  ['srht_signs', philox + sh('sketch/srht.wgsl'), 'srht_signs'],
  ['fwht_stage', philox + sh('sketch/srht.wgsl'), 'fwht_stage'],
  ['gather', sh('sketch/gather.wgsl'), 'csr_gather'],
  ...['lse_partial', 'lse_finish', 'cost_partial', 'mass_partial', 'sum_finish', 'top_partial', 'top_finish'].map((e) => [e, sh('ot/sinkhorn_lse.wgsl'), e]),
  ['reduce partial_cols', sh('reduce/reduce.wgsl'), 'partial_cols'],
  ['reduce finish', sh('reduce/reduce.wgsl'), 'finish'],
];
if (process.env.PROBE_OLD_LSE) {
  const old = readFileSync(process.env.PROBE_OLD_LSE, 'utf8');
  cases.push(['old lse_update', old, 'lse_update'], ['old plan_cost', old, 'plan_cost']);
  cases.push(['reduce partial_rows', sh('reduce/reduce.wgsl'), 'partial_rows']);
}
const mode = process.argv[2] ?? 'sync';
const browser = await launch();
const page = await browser.newPage();
await page.goto(process.env.PROBE_URL ?? 'http://127.0.0.1:8098/');
const out = await page.evaluate(async ({ cases, mode }) => {
  const adapter = await navigator.gpu.requestAdapter();
  const device = await adapter.requestDevice();
  const gaps = []; let last = performance.now(); let on = true;
  const cv = document.createElement('canvas'); cv.width = 600; cv.height = 320; document.body.appendChild(cv);
  const g = cv.getContext('2d');
  const tick = (t) => {
    gaps.push(t - last); last = t;
    g.fillStyle = '#fff'; g.fillRect(0, 0, 600, 320); g.strokeStyle = '#c00'; g.beginPath();
    for (let i = 0; i < 200; i++) g.lineTo(i * 3, 160 + 100 * Math.sin(i / 10 + t / 300));
    g.stroke(); g.fillStyle = '#000'; g.fillText('frame ' + t.toFixed(0), 10, 20);
    if (on) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  await new Promise((r) => setTimeout(r, 500));
  const res = [];
  for (const [name, code, entry] of cases) {
    const g0 = gaps.length; const t0 = performance.now();
    const module = device.createShaderModule({ code });
    let p;
    if (mode === 'async') p = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: entry } });
    else p = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: entry } });
    await device.queue.onSubmittedWorkDone();
    const t1 = performance.now();
    await new Promise((r) => setTimeout(r, 300));
    res.push({ name, ms: Math.round(t1 - t0), maxGap: Math.round(Math.max(...gaps.slice(g0))) });
  }
  on = false;
  return res;
}, { cases, mode });
console.log(mode, JSON.stringify(out));
await browser.close();
