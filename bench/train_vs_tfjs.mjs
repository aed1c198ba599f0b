// Steps per second, side by side in one Node process: regula's CPU trainer compiled to wasm (f64) vs
// TensorFlow.js's CPU backend (f32, pure JS). Same architectures, plain SGD, same batch sizes and data sizes;
// each side's time covers the parameter updates only (tfjs: model.fit without validation; regula:
// train_seconds). Playground-sized: 2-8-8-1 tanh, MSE, 500 points, batch 10. Digits: 64-32-10 tanh,
// softmax cross-entropy, 1,797 images, batch 32.
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const tf = require('./tfjs/node_modules/@tensorflow/tfjs');
const regula = require('./wasm-train/pkg/regula_wasm_train_bench.js');

await tf.setBackend('cpu');

async function tfjsStepsPerSecond(inputs, hidden, outputs, rows, batch, epochs, xent) {
  const x = tf.randomNormal([rows, inputs]);
  const y = xent ? tf.oneHot(tf.randomUniform([rows], 0, outputs, 'int32'), outputs).toFloat() : tf.randomNormal([rows, 1]);
  const model = tf.sequential();
  hidden.forEach((h, k) => model.add(tf.layers.dense(k === 0 ? { units: h, activation: 'tanh', inputShape: [inputs] } : { units: h, activation: 'tanh' })));
  model.add(tf.layers.dense({ units: outputs, activation: xent ? 'softmax' : 'linear' }));
  model.compile({ optimizer: tf.train.sgd(0.05), loss: xent ? 'categoricalCrossentropy' : 'meanSquaredError' });
  await model.fit(x, y, { batchSize: batch, epochs: 1, shuffle: true, verbose: 0 }); // warm-up
  const t = performance.now();
  await model.fit(x, y, { batchSize: batch, epochs, shuffle: true, verbose: 0 });
  const seconds = (performance.now() - t) / 1e3;
  return (Math.ceil(rows / batch) * epochs) / seconds;
}

function regulaStepsPerSecond(dataset, n, hidden, xent, batch, epochs) {
  regula.train(dataset, n, hidden, xent, batch, 1, 0.05); // warm-up
  const [steps, , seconds] = regula.train(dataset, n, hidden, xent, batch, epochs, 0.05);
  return steps / seconds;
}

const cases = [
  { name: 'Playground 2-8-8-1, batch 10, 500 points', ours: () => regulaStepsPerSecond('circle', 500, '8,8', false, 10, 40),
    theirs: () => tfjsStepsPerSecond(2, [8, 8], 1, 500, 10, 40, false) },
  { name: 'digits 64-32-10, batch 32, 1,797 images', ours: () => regulaStepsPerSecond('digits', 0, '32', true, 32, 10),
    theirs: () => tfjsStepsPerSecond(64, [32], 10, 1797, 32, 10, true) },
];
for (const c of cases) {
  const ours = c.ours();
  const theirs = await c.theirs();
  console.log(`${c.name}: regula wasm ${ours.toFixed(0)} steps/s, TensorFlow.js (cpu) ${theirs.toFixed(0)} steps/s -> ${(ours / theirs).toFixed(1)}x (goal >= 5x)`);
}
