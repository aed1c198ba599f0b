// Guarantee 6 (README "Guarantees"): each lab's default run, restarted whenever it finishes, for a fixed
// time in headless Chromium. Sampled every few seconds: the tab's JavaScript heap, its wasm memory and the
// renderer process's resident memory; every animation frame's gap (a frame that took longer than 100 ms
// shows as a gap over 100 ms) and the browser's long tasks.
//
// `soakLab` is used by soak.test.mjs (a short soak in the test command) and by this file as a script:
//   node e2e/soak.mjs [--seconds N] [--labs ot,training]   (`cargo xtask soak` runs 600 s per lab)
// which prints one line per lab and writes e2e/artifacts/soak.json.
import { writeFileSync, readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch, openPage, URL, ARTIFACTS } from './browser.mjs';

export const LABS = ['kernels', 'ot', 'sketching', 'training', 'generalization'];

/** Bounds the soak holds each lab to (stated in README "Guarantees"). */
export const BOUNDS = {
  // Growth of the wasm memory and of the JS heap between the soak's second quarter and its last.
  heapGrowthMiB: 32,
  wasmGrowthMiB: 64,
  // The longest frame (animation-frame gap) while the run is going: the page's own work (its main thread)
  // plus anything else that delays the browser's next frame — with SwiftShader, the software GPU running
  // a dispatch or compiling a pipeline on the same two cores.
  maxFrameMs: 100,
  // The longest main-thread task (Long Tasks API): the page's own work in one frame.
  maxTaskMs: 100,
};

/** Installed before the page's scripts: animation-frame gaps and long tasks, from page load on. */
function monitor() {
  const s = { gaps: [], slow: [], longTasks: [], last: 0, recording: false, observing: false };
  window.__soak = s;
  // Trunk's loader announces the instance: its linear memory is the wasm heap (it only grows).
  addEventListener('TrunkApplicationStarted', (e) => { s.memory = e.detail?.wasm?.memory; });
  const tick = (t) => {
    if (s.last && s.recording) {
      s.gaps.push(t - s.last);
      if (t - s.last > 50) s.slow.push({ at: Math.round(t), ms: Math.round(t - s.last), status: document.querySelector('#status')?.textContent.slice(0, 60) });
    }
    s.last = t;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  try {
    new PerformanceObserver((list) => {
      if (s.recording) for (const e of list.getEntries()) s.longTasks.push(e.duration);
    }).observe({ type: 'longtask', buffered: false });
    s.observing = true;
  } catch { /* no long-task timing: `observing` stays false, and the bounds refuse the run */ }
}

/** Resident memory (MiB) of the browser's renderer processes, from /proc (Linux), by CDP's process list. */
async function rendererRssMiB(cdp) {
  const { processInfo } = await cdp.send('SystemInfo.getProcessInfo');
  let kb = 0;
  for (const p of processInfo.filter((p) => p.type === 'renderer')) {
    try {
      const m = readFileSync(`/proc/${p.id}/status`, 'utf8').match(/VmRSS:\s+(\d+)/);
      if (m) kb += Number(m[1]);
    } catch { /* the process ended between the list and the read */ }
  }
  return kb / 1024;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
};
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : NaN;
};

/**
 * Runs lab `slug`'s default for `seconds` in `browser`; returns the figures (and the page's errors).
 * A run that finishes is reset and started again, so the whole time is spent running.
 */
export async function soakLab(browser, slug, seconds, sampleEvery = 5) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  await context.addInitScript(monitor);
  const cdp = await browser.newBrowserCDPSession();
  const { page, errors } = await openPageIn(context, `${URL}#/${slug}`);
  await page.click('#run');
  await page.evaluate(() => { window.__soak.recording = true; });
  const samples = [];
  let runs = 1;
  // A monotonic clock: CI's wall clock was once stepped ~17 s forward mid-soak (NTP), which ended a 20 s soak
  // after 3 s with Date.now().
  const end = performance.now() + seconds * 1000;
  let nextSample = performance.now();
  while (performance.now() < end) {
    const status = (await page.locator('#status').textContent()) ?? '';
    if (await page.locator('#status.error').count()) {
      errors.push(`status: ${status}`);
      break;
    }
    if (status.startsWith('done') || status.startsWith('stopped')) {
      await page.click('#reset');
      runs += 1;
    }
    if (!(await page.locator('#run').isDisabled())) await page.click('#run');
    if (performance.now() >= nextSample) {
      const m = await page.evaluate(() => ({
        heap: performance.memory ? performance.memory.usedJSHeapSize / 1048576 : NaN,
        wasm: window.__soak.memory ? window.__soak.memory.buffer.byteLength / 1048576 : NaN,
      }));
      samples.push({ t: seconds - (end - performance.now()) / 1000, heapMiB: m.heap, wasmMiB: m.wasm, rssMiB: await rendererRssMiB(cdp) });
      nextSample += sampleEvery * 1000;
    }
    await page.waitForTimeout(250);
  }
  const frames = await page.evaluate(() => ({ gaps: window.__soak.gaps, slow: window.__soak.slow, longTasks: window.__soak.longTasks, observing: window.__soak.observing }));
  await context.close();
  const q = Math.max(1, Math.floor(samples.length / 4));
  const early = samples.slice(q, 2 * q);
  const late = samples.slice(-q);
  const growth = (key) => median(late.map((s) => s[key])) - median(early.map((s) => s[key]));
  return {
    lab: slug,
    seconds,
    runs,
    frames: frames.gaps.length,
    maxFrameMs: Math.max(0, ...frames.gaps),
    p99FrameMs: quantile(frames.gaps, 0.99),
    framesOver100ms: frames.gaps.filter((g) => g > 100).length,
    longTasks: frames.longTasks.length,
    // Whether the long-task observer ran: without it "no long task" would mean nothing.
    longTasksObserved: frames.observing === true,
    longestTaskMs: Math.max(0, ...frames.longTasks),
    heapGrowthMiB: growth('heapMiB'),
    wasmGrowthMiB: growth('wasmMiB'),
    rssGrowthMiB: growth('rssMiB'),
    peakRssMiB: Math.max(0, ...samples.map((s) => s.rssMiB)),
    peakWasmMiB: Math.max(0, ...samples.map((s) => s.wasmMiB)),
    slowFrames: frames.slow,
    samples,
    errors,
  };
}

/**
 * What a soak could not measure, one line each: a bound checked against a missing reading passes on NaN
 * (`NaN > bound` is false), so a missing probe is a failure of its own.
 */
export function missingReadings(r) {
  const missing = [];
  if (r.samples.length < 2) missing.push(`only ${r.samples.length} memory samples`);
  for (const key of ['heapGrowthMiB', 'wasmGrowthMiB']) {
    if (!Number.isFinite(r[key])) missing.push(`no ${key} reading (the probe is missing)`);
  }
  if (!r.longTasksObserved) missing.push('the long-task observer never ran');
  return missing;
}

/** openPage for a context (the init script must be on the context before the page loads). */
async function openPageIn(context, at) {
  const browserLike = { newPage: (opts) => context.newPage(opts) };
  return openPage(browserLike, undefined, at);
}

export function summary(r) {
  return `${r.lab}: ${r.seconds} s, ${r.runs} runs, ${r.frames} frames (p99 ${r.p99FrameMs.toFixed(1)} ms, max ${r.maxFrameMs.toFixed(0)} ms, ` +
    `${r.framesOver100ms} over 100 ms; ${r.longTasks} long tasks, longest ${r.longestTaskMs.toFixed(0)} ms), ` +
    `JS heap ${r.heapGrowthMiB >= 0 ? '+' : ''}${r.heapGrowthMiB.toFixed(1)} MiB, wasm ${r.wasmGrowthMiB >= 0 ? '+' : ''}${r.wasmGrowthMiB.toFixed(1)} MiB ` +
    `(peak ${r.peakWasmMiB.toFixed(0)} MiB), renderer RSS ${r.rssGrowthMiB >= 0 ? '+' : ''}${r.rssGrowthMiB.toFixed(1)} MiB (peak ${r.peakRssMiB.toFixed(0)} MiB)`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name, def) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : def;
  };
  const seconds = Number(arg('--seconds', '600'));
  const labs = arg('--labs', LABS.join(',')).split(',');
  const browser = await launch();
  const results = [];
  let failed = false;
  try {
    for (const lab of labs) {
      const r = await soakLab(browser, lab, seconds);
      results.push(r);
      console.log(summary(r));
      const bad = [];
      if (r.errors.length) bad.push(`errors: ${r.errors.join(' | ')}`);
      bad.push(...missingReadings(r));
      if (r.heapGrowthMiB > BOUNDS.heapGrowthMiB) bad.push(`JS heap grew ${r.heapGrowthMiB.toFixed(1)} MiB`);
      if (r.wasmGrowthMiB > BOUNDS.wasmGrowthMiB) bad.push(`wasm memory grew ${r.wasmGrowthMiB.toFixed(1)} MiB`);
      if (r.longestTaskMs > BOUNDS.maxTaskMs) bad.push(`a main-thread task took ${r.longestTaskMs.toFixed(0)} ms`);
      if (r.maxFrameMs > BOUNDS.maxFrameMs) bad.push(`a frame took ${r.maxFrameMs.toFixed(0)} ms (${r.framesOver100ms} frames over 100 ms: ${JSON.stringify(r.slowFrames.filter((f) => f.ms > 100).slice(0, 3))})`);
      if (bad.length) {
        failed = true;
        console.log(`  over the bounds: ${bad.join('; ')}`);
      }
    }
  } finally {
    await browser.close();
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(join(ARTIFACTS, 'soak.json'), JSON.stringify({ bounds: BOUNDS, results }, null, 1));
  process.exit(failed ? 1 : 0);
}
