// Whole epochs per second, side by side in one Node process: TensorFlow Playground's training loop
// (bench/playground_loop.mjs, JS numbers, f64) vs Regula's trainer compiled to wasm (bench/wasm-train, f64)
// as the page runs it (its stepper: updates, then a frame per epoch with the training loss and accuracy).
// Same points (Regula's circle set, 500 training points), same initial weights, tanh hidden layers, linear
// output, ½·MSE, SGD η = 0.03, batch 10. Regula reshuffles every epoch; Playground keeps one order.
// Median of alternating rounds. Goal (issue 31): ≥ 5× for 2-8-8-1 and for 2-8-8-8-8-8-8-1.
import { createRequire } from 'node:module';
import { build, epoch, loss } from './playground_loop.mjs';
const require = createRequire(import.meta.url);
const regula = require('./wasm-train/pkg/regula_wasm_train_bench.js');

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const EPOCHS = arg('epochs', 200);
const ROUNDS = arg('rounds', 5);
const N = 500;
const BATCH = 10;
const LR = 0.03;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// Check first that both sides compute the same thing: full-batch gradient descent (no shuffling, so the
// order does not matter) from the same weights on the same points must give the same loss.
{
  const points = regula.points('circle', N, 1n);
  const theta = regula.init('8,8', 1n);
  const net = build([2, 8, 8, 1], theta);
  let theirs = NaN;
  for (let e = 0; e < 20; e++) theirs = epoch(net, points, N, LR);
  const [, , ours] = regula.epochs('circle', N, '8,8', 0, 20, LR, 1n);
  const rel = Math.abs(ours - theirs) / theirs;
  console.log(`same math: 20 full-batch epochs, loss ${ours.toPrecision(10)} (regula) vs ${theirs.toPrecision(10)} (Playground loop), relative difference ${rel.toExponential(1)}`);
  if (!(rel < 1e-9)) throw new Error('the two loops disagree');
}

for (const hidden of ['8,8', '8,8,8,8,8,8']) {
  const shape = [2, ...hidden.split(',').map(Number), 1];
  const points = regula.points('circle', N, 1n);
  const theirs = [];
  const ours = [];
  const oursUpdates = [];
  regula.epochs('circle', N, hidden, BATCH, 5, LR, 1n); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    const net = build(shape, regula.init(hidden, 1n));
    let t = performance.now();
    for (let e = 0; e < EPOCHS; e++) epoch(net, points, BATCH, LR);
    theirs.push(EPOCHS / ((performance.now() - t) / 1e3));
    t = performance.now();
    const [, frames, , seconds] = regula.epochs('circle', N, hidden, BATCH, EPOCHS, LR, 1n);
    ours.push(EPOCHS / ((performance.now() - t) / 1e3));
    oursUpdates.push(EPOCHS / seconds);
    if (frames < EPOCHS) throw new Error(`regula made ${frames} frames for ${EPOCHS} epochs`);
  }
  const [a, b] = [median(ours), median(theirs)];
  console.log(`${shape.join('-')}, batch ${BATCH}, ${N} points, ${EPOCHS} epochs x ${ROUNDS} rounds: regula wasm ${a.toFixed(0)} epochs/s ` +
    `(updates alone ${median(oursUpdates).toFixed(0)}), Playground loop ${b.toFixed(0)} epochs/s -> ${(a / b).toFixed(2)}x (goal >= 5x)`);
  // Our epoch's frame, taken apart: the training-loss pass (the work Playground's loop does after each
  // epoch too) and the rest of the frame (accuracy from the same pass, the metrics, the phase line).
  regula.frame_parts(N, hidden, 200);
  const [pass, frame] = regula.frame_parts(N, hidden, 2000);
  const updatesMs = 1e3 / median(oursUpdates);
  console.log(`  per epoch: updates ${updatesMs.toFixed(3)} ms; frame ${frame.toFixed(3)} ms = training-loss pass ` +
    `${pass.toFixed(3)} ms + the rest ${(frame - pass).toFixed(3)} ms (${((100 * (frame - pass)) / updatesMs).toFixed(0)} % of the updates)`);
}
