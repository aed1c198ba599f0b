// Links carry the experiment: change parameters, copy the page's address, open it in a fresh browser and
// see the same parameters (and the same result); a link with garbage falls back to defaults and says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { launch, openPage, waitForDone, ARTIFACTS, URL, pauseIfRunning } from './browser.mjs';

async function setField(page, id, value) {
  await page.fill(`#${id}`, value);
  await page.locator(`#${id}`).dispatchEvent('change');
}

const value = (page, id) => page.locator(`#${id}`).inputValue();

test('a link reproduces every lab\'s parameters in a fresh page; garbage in a link is refused with notices', async () => {
  const browser = await launch();
  try {
    // The quadratic teacher, changed and run.
    const { page, errors } = await openPage(browser);
    await page.click('nav.labs a[href="#/generalization"]');
    await page.click('#tab-quadratic');
    await setField(page, 'd', '10');
    await setField(page, 'alphas', '0.15,1');
    await setField(page, 'restarts', '2');
    await setField(page, 'steps', '1500');
    await setField(page, 'seed', '7');
    await page.click('#run');
    await waitForDone(page);
    const status = await page.locator('#status').textContent();
    // The same run headless: the command line the page shows (the CLI's tests run these lines).
    assert.equal(await page.locator('#cli-line').textContent(),
      'regula generalization quadratic --d 10 --kappa 0.5 --student-kappa 0 --alphas 0.15,1 --restarts 2 --steps 1500 --lr 1 --init-scale 1 --seed 7 --json');
    const link = page.url();
    assert.match(link, /#\/generalization\?v=2&tab=quadratic&/, link);
    for (const part of ['d=10', 'alphas=0.15,1', 'restarts=2', 'steps=1500', 'seed=7']) assert.ok(link.includes(part), `${part} in ${link}`);

    // A fresh browser opens the link: same tab, same parameters, same result.
    const other = await launch();
    try {
      const { page: fresh, errors: freshErrors } = await openPage(other, undefined, link);
      await fresh.waitForSelector('#chart-q-sweep');
      assert.equal(await fresh.locator('#tab-quadratic').getAttribute('aria-selected'), 'true');
      assert.deepEqual(
        [await value(fresh, 'd'), await value(fresh, 'alphas'), await value(fresh, 'restarts'), await value(fresh, 'steps'), await value(fresh, 'seed')],
        ['10', '0.15,1', '2', '1500', '7'],
      );
      assert.equal(await fresh.locator('#link-notice').isHidden(), true, 'a clean link has no notices');
      await fresh.click('#run');
      await waitForDone(fresh);
      assert.equal((await fresh.locator('#status').textContent()).replace(/^done/, ''), status.replace(/^done/, ''), 'the same run');
      assert.deepEqual(freshErrors, []);
    } finally {
      await other.close();
    }

    // The training lab: dataset, layers, learning rate and seed travel; the address follows each change.
    await page.click('nav.labs a[href="#/training"]');
    await page.waitForSelector('#lr');
    await page.selectOption('#dataset', 'xor');
    await setField(page, 'hidden', '4,3');
    await setField(page, 'lr', '0.03');
    await setField(page, 'seed', '5');
    const trainLink = page.url();
    assert.match(trainLink, /#\/training\?v=2&/, trainLink);
    const { page: copy } = await openPage(browser, undefined, trainLink);
    await copy.waitForSelector('#lr');
    assert.deepEqual(
      [await copy.locator('#dataset').inputValue(), await value(copy, 'hidden'), await value(copy, 'lr'), await value(copy, 'seed')],
      ['xor', '4,3', '0.03', '5'],
    );

    // Kernels: sizes, the operation and the axis travel.
    await page.click('nav.labs a[href="#/kernels"]');
    await page.waitForSelector('#rows');
    await setField(page, 'rows', '300');
    await page.selectOption('#op', 'max');
    await page.selectOption('#axis', 'rows');
    const kLink = page.url();
    assert.match(kLink, /#\/kernels\?v=2&/, kLink);
    const { page: k } = await openPage(browser, undefined, kLink);
    await k.waitForSelector('#rows');
    assert.deepEqual([await value(k, 'rows'), await k.locator('#op').inputValue(), await k.locator('#axis').inputValue()], ['300', 'max', 'rows']);

    // Optimal transport: problem, sizes, method and the ε slider travel.
    await page.click('nav.labs a[href="#/ot"]');
    await page.waitForSelector('#problem');
    await page.selectOption('#problem', 'moons');
    await setField(page, 'n', '150');
    await page.selectOption('#method', 'sns');
    await page.locator('#eps-slider').fill('-2.5');
    await page.locator('#eps-slider').dispatchEvent('change');
    const otLink = page.url();
    assert.match(otLink, /#\/ot\?v=2&/, otLink);
    const { page: ot } = await openPage(browser, undefined, otLink);
    await ot.waitForSelector('#problem');
    assert.deepEqual(
      [await ot.locator('#problem').inputValue(), await value(ot, 'n'), await ot.locator('#method').inputValue(), await ot.locator('#eps-slider').inputValue(), await value(ot, 'eps')],
      ['moons', '150', 'sns', '-2.5', '0.00316'],
    );

    // Sketching, both tabs.
    await page.click('nav.labs a[href="#/sketching"]');
    await page.waitForSelector('#design');
    await setField(page, 'trials', '7');
    await page.uncheck('#sketches-gaussian');
    const skLink = page.url();
    const { page: sk } = await openPage(browser, undefined, skLink);
    await sk.waitForSelector('#design');
    assert.equal(await value(sk, 'trials'), '7');
    assert.equal(await sk.locator('#sketches-gaussian').isChecked(), false, skLink);
    await page.click('#tab-nuclear');
    await setField(page, 'rank', '3');
    const nnLink = page.url();
    assert.match(nnLink, /tab=nuclear&.*rank=3/, nnLink);
    const { page: nn } = await openPage(browser, undefined, nnLink);
    await nn.waitForSelector('#rank');
    assert.equal(await value(nn, 'rank'), '3');

    // Garbage: unknown keys and bad values are ignored, the defaults kept, and the page says what.
    const bad = `${URL}#/training?v=2&config.lr=abc&config.epochs=-4&%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E=1&data.noise=0.2`;
    const { page: g, errors: gErrors } = await openPage(browser, undefined, bad);
    await g.waitForSelector('#lr');
    assert.equal(await value(g, 'lr'), '0.1', 'the default learning rate');
    assert.equal(await value(g, 'noise'), '0.2', 'the one good value is taken');
    const notices = await g.locator('#link-notice li').allTextContents();
    assert.equal(notices.length, 3, notices.join('\n'));
    assert.ok(notices.some((n) => n.includes('unknown parameter `<img src=x onerror=alert(1)>`')), notices.join('\n'));
    assert.equal(await g.locator('#link-notice img').count(), 0, 'a link is shown as text, never as markup');
    await g.screenshot({ path: join(ARTIFACTS, 'link-notices.png'), fullPage: true });
    assert.deepEqual(gErrors, []);

    // A link that starts a run (`run=1`) waits for the device probe, so it runs where a click would: asked
    // for the GPU, on it (started before the probe ended, it would have found no GPU and stopped).
    const go = `${URL}#/training?v=2&data.kind=xor&config.epochs=2&backend=gpu&run=1`;
    const { page: r, errors: rErrors } = await openPage(browser, undefined, go);
    await waitForDone(r);
    assert.match(await r.locator('#status').textContent(), /^done \(GPU, f32[^)]*\): step 32 \[epoch 2\.0\]/);
    assert.deepEqual(rErrors, []);

    // A link made before the lab kit (format 1) still opens: `mode` is now `method`, the training lab's
    // `data.noise_kind` is `data.label_noise_kind`, and its two seeds are one.
    const old = `${URL}#/ot?v=1&problem.kind=moons&problem.n=120&mode=sns&solver.eps=0.02`;
    const { page: o, errors: oErrors } = await openPage(browser, undefined, old);
    await o.waitForSelector('#method');
    assert.deepEqual([await o.locator('#method').inputValue(), await value(o, 'n'), await value(o, 'eps')], ['sns', '120', '0.02']);
    assert.equal(await o.locator('#link-notice').isHidden(), true, await o.locator('#link-notice').textContent());
    const oldTrain = `${URL}#/training?v=1&data.kind=xor&data.label_noise=0.1&data.noise_kind=asymmetric&data.seed=4&config.seed=4`;
    const { page: t } = await openPage(browser, undefined, oldTrain);
    await t.waitForSelector('#label-noise-kind');
    assert.deepEqual([await t.locator('#label-noise-kind').inputValue(), await value(t, 'seed')], ['asymmetric', '4']);
    assert.equal(await t.locator('#link-notice').isHidden(), true, await t.locator('#link-notice').textContent());
    assert.deepEqual(oErrors, []);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test('the address is the state both ways: a hash typed or pasted, Back and Forward switch the lab and its parameters', async () => {
  const browser = await launch();
  try {
    const { page, errors } = await openPage(browser);
    const active = () => page.locator('nav.labs a[aria-current="page"]').getAttribute('href');
    await page.click('nav.labs a[href="#/training"]');
    await page.waitForSelector('#lr');
    assert.equal(await active(), '#/training');
    // A link pasted into the bar of a tab already open on another lab.
    await page.evaluate(() => { location.hash = '#/ot?v=2&problem.kind=moons&problem.n=123'; });
    await page.waitForFunction(() => document.querySelector('nav.labs a[aria-current="page"]')?.getAttribute('href') === '#/ot');
    await page.waitForSelector('#method');
    assert.equal(await value(page, 'n'), '123');
    // The same lab, other parameters: the page re-reads them.
    await page.evaluate(() => { location.hash = '#/ot?v=2&problem.kind=moons&problem.n=77'; });
    await page.waitForFunction(() => document.querySelector('#n')?.value === '77');
    // Back: the previous parameters, then the previous lab; Forward again.
    await page.goBack();
    await page.waitForFunction(() => document.querySelector('#n')?.value === '123');
    assert.equal(await active(), '#/ot');
    await page.goBack();
    await page.waitForFunction(() => document.querySelector('nav.labs a[aria-current="page"]')?.getAttribute('href') === '#/training');
    await page.waitForSelector('#lr');
    await page.goForward();
    await page.waitForFunction(() => document.querySelector('#n')?.value === '123');
    assert.equal(await active(), '#/ot');
    // A preset is a history entry: Back returns to the parameters before it.
    await page.click('#presets summary');
    await page.click('#preset-3');
    await page.waitForFunction(() => document.querySelector('#n')?.value === '400');
    await pauseIfRunning(page);
    await page.goBack();
    await page.waitForFunction(() => document.querySelector('#n')?.value === '123');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
