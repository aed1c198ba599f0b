// TensorFlow Playground's training loop, written from its documented semantics (src/nn.ts and oneStep() in
// src/playground.ts of github.com/tensorflow/playground, read, not copied) so that Regula's whole epochs can be
// timed beside it in one Node process: an object graph of neurons and links; per point a forward pass and a
// backward pass that add each link's and neuron's derivative into an accumulator; every B points each
// parameter moves by −η · (accumulated derivative / count); after each epoch the mean ½(o − y)² over the
// training set (Playground's "loss" line). Output neuron linear (Playground's regression setting, and the
// loss Regula's trainer uses), hidden neurons tanh, no regularisation. Playground starts weights at
// U(−½, ½) and biases at 0.1; here they come from Regula's own initialisation so both sides start alike.

class Neuron {
  constructor(bias) {
    this.bias = bias;
    this.inputs = []; // links in
    this.outputs = []; // links out
    this.total = 0; // pre-activation
    this.out = 0;
    this.outDer = 0;
    this.inDer = 0;
    this.accInDer = 0;
    this.count = 0;
    this.linear = false;
  }
  forward() {
    let s = this.bias;
    for (const l of this.inputs) s += l.weight * l.source.out;
    this.total = s;
    this.out = this.linear ? s : Math.tanh(s);
  }
  activationDer() {
    if (this.linear) return 1;
    const t = Math.tanh(this.total);
    return 1 - t * t;
  }
}

class Link {
  constructor(source, dest, weight) {
    this.source = source;
    this.dest = dest;
    this.weight = weight;
    this.accDer = 0;
    this.count = 0;
  }
}

/** A net of `shape` (e.g. [2, 8, 8, 1]) with θ laid out as Regula's: per layer W (out × in, row-major), then b. */
export function build(shape, theta) {
  let k = 0;
  const layers = [];
  layers.push(Array.from({ length: shape[0] }, () => new Neuron(0)));
  for (let l = 1; l < shape.length; l++) {
    const prev = layers[l - 1];
    const layer = Array.from({ length: shape[l] }, () => new Neuron(0));
    for (const n of layer) {
      for (const p of prev) {
        const link = new Link(p, n, theta[k++]);
        p.outputs.push(link);
        n.inputs.push(link);
      }
    }
    for (const n of layer) n.bias = theta[k++];
    if (l === shape.length - 1) layer.forEach((n) => { n.linear = true; });
    layers.push(layer);
  }
  return layers;
}

function forward(net, x, y) {
  net[0][0].out = x;
  net[0][1].out = y;
  for (let l = 1; l < net.length; l++) for (const n of net[l]) n.forward();
  return net[net.length - 1][0].out;
}

function backward(net, target) {
  const last = net.length - 1;
  net[last][0].outDer = net[last][0].out - target; // d/do of ½(o − y)²
  for (let l = last; l >= 1; l--) {
    for (const n of net[l]) {
      n.inDer = n.outDer * n.activationDer();
      n.accInDer += n.inDer;
      n.count++;
    }
    for (const n of net[l]) {
      for (const link of n.inputs) {
        link.accDer += n.inDer * link.source.out;
        link.count++;
      }
    }
    if (l === 1) continue;
    for (const p of net[l - 1]) {
      let d = 0;
      for (const link of p.outputs) d += link.weight * link.dest.inDer;
      p.outDer = d;
    }
  }
}

function update(net, lr) {
  for (let l = 1; l < net.length; l++) {
    for (const n of net[l]) {
      if (n.count > 0) {
        n.bias -= (lr * n.accInDer) / n.count;
        n.accInDer = 0;
        n.count = 0;
      }
      for (const link of n.inputs) {
        if (link.count > 0) {
          link.weight -= (lr / link.count) * link.accDer;
          link.accDer = 0;
          link.count = 0;
        }
      }
    }
  }
}

/** Mean ½(o − y)² over `points` ([x, y, target] triples). */
export function loss(net, points) {
  let s = 0;
  const n = points.length / 3;
  for (let i = 0; i < n; i++) {
    const d = forward(net, points[3 * i], points[3 * i + 1]) - points[3 * i + 2];
    s += 0.5 * d * d;
  }
  return s / n;
}

/** One epoch as Playground's oneStep(): every point in order, an update every `batch` points, then the loss. */
export function epoch(net, points, batch, lr) {
  const n = points.length / 3;
  for (let i = 0; i < n; i++) {
    forward(net, points[3 * i], points[3 * i + 1]);
    backward(net, points[3 * i + 2]);
    if ((i + 1) % batch === 0) update(net, lr);
  }
  return loss(net, points);
}
