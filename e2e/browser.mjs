// Shared launch for the end-to-end tests: Debian's Chromium, headless, flags for this kind of machine.
import { chromium } from 'playwright-core';
import { join } from 'node:path';

export const URL = process.env.REGULA_URL ?? 'http://127.0.0.1:8080/';
export const ARTIFACTS = process.env.REGULA_ARTIFACTS ?? join(import.meta.dirname, 'artifacts');

const BASE_ARGS = [
  '--no-sandbox',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--disable-dev-shm-usage',
];

/**
 * A fresh browser: playwright gives every launch a new temporary profile (its own --user-data-dir).
 * `webgpu: false` leaves WebGPU off to test the CPU fallback.
 */
export async function launch({ webgpu = true } = {}) {
  const args = [...BASE_ARGS];
  if (webgpu) args.push('--enable-unsafe-webgpu');
  return chromium.launch({
    executablePath: process.env.REGULA_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args,
  });
}

/** A page at `at` (the lab's address by default) that records console errors and uncaught exceptions. */
export async function openPage(browser, viewport = { width: 1280, height: 720 }, at = URL, options = {}) {
  const page = await browser.newPage({ viewport, ...options });
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(at);
  // The banner leaves "Looking for a GPU…" once the device probe has finished.
  await page.waitForFunction(() => {
    const b = document.querySelector('#device-banner');
    return b && !b.textContent.startsWith('Looking');
  }, null, { timeout: 60_000 });
  return { page, errors };
}

export async function canvasData(page, id) {
  return page.locator(`#${id}`).evaluate((c) => c.toDataURL());
}

export async function waitForDone(page, timeout = 180_000) {
  await page.waitForFunction(() => document.querySelector('#status')?.textContent.startsWith('done'), null, { timeout });
}

/** Presses Pause when it is there and enabled (a run in progress); never waits for it. */
export async function pauseIfRunning(page) {
  await page.evaluate(() => {
    const b = document.querySelector('#pause');
    if (b && !b.disabled) b.click();
  });
}

/**
 * Sweeps the pointer over chart `id` until its read-out names a drawn point; returns that text ('' if none).
 * The read-out is written on the next tick after each move.
 */
export async function hoverReadout(page, id) {
  return page.locator(`#${id}`).evaluate(async (canvas, readoutId) => {
    const box = canvas.getBoundingClientRect();
    const out = document.querySelector(`#${readoutId}`);
    for (let y = box.top + 4; y < box.bottom; y += 12) {
      for (let x = box.left + 4; x < box.right; x += 12) {
        canvas.dispatchEvent(new MouseEvent('mousemove', { clientX: x, clientY: y, bubbles: true }));
        await new Promise((r) => setTimeout(r, 0));
        if (out.textContent) return out.textContent;
      }
    }
    return '';
  }, `${id}-readout`);
}
