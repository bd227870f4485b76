// Chapter 1's explorers: repeated squashing (section 1.3) and vanishing and exploding
// gradients with clipping (sections 1.5 and 1.6). The math mirrors seqbook.reference.rnn
// and seqbook.reference.gradients; tests/js compares the two under Node.

(function (global) {
  "use strict";
  const seqbook = global.seqbook;
  if (seqbook.rnn) return;
  const { colours, linalg } = seqbook.core;

  /** v_0 ... v_steps of v_k = factor * v_{k-1}, or tanh of it when squash
   * (seqbook.reference.repeated_multiply). */
  function repeatedMultiply(factor, steps, squash, start = 0.5) {
    const values = [start];
    for (let k = 0; k < steps; k++) {
      const value = factor * values[values.length - 1];
      values.push(squash ? Math.tanh(value) : value);
    }
    return values;
  }

  seqbook.core.register("squashing", (root, config) => {
    seqbook.core.explorer(root, {
      title: "Squashing with tanh",
      controls: [
        { kind: "slider", name: "factor", label: "factor", min: 0.5, max: 4.0, step: 0.1, value: config.factor },
        { kind: "slider", name: "steps", label: "steps", min: 1, max: 30, step: 1, value: config.steps },
        { kind: "checkbox", name: "squash", label: "apply tanh", value: config.squash },
      ],
      draw({ factor, steps, squash }, figure) {
        const plain = repeatedMultiply(factor, steps, false);
        const squashed = repeatedMultiply(factor, steps, true);
        const top = Math.max(10, ...plain.map(Math.abs));
        seqbook.core.lineChart(figure, {
          title: "Repeated multiplication, with and without tanh",
          x: { label: "step k", min: 0, max: Math.max(steps, 1) },
          y: { label: "value (symmetric log scale)", scale: "symlog", min: -1.5, max: top },
          bands: [{ y0: -1, y1: 1, colour: colours.blue, opacity: 0.08 }],
          series: [
            { y: plain, colour: colours.red, marker: true, opacity: squash ? 0.25 : 1,
              label: `v ← ${factor.toFixed(1)}·v (no squashing)` },
            { y: squashed, colour: colours.blue, marker: true, opacity: squash ? 1 : 0.25,
              label: `v ← tanh(${factor.toFixed(1)}·v)` },
          ],
        });
        const shown = squash ? squashed : plain;
        const final = shown[shown.length - 1];
        seqbook.core.caption(figure, `after ${steps} steps the value is ${final.toPrecision(4)}` +
          (squash ? ": tanh keeps it inside (−1, 1)" : ""));
        return { values: shown, final };
      },
    });
  });

  /** One step of the tanh RNN for one example, equation (1.1):
   * h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h) (seqbook.reference.rnn_cell_forward). */
  function rnnCellForward(x, hiddenPrev, W_xh, W_hh, b_h) {
    return linalg.tanh(linalg.add(linalg.matvec(W_xh, x), linalg.matvec(W_hh, hiddenPrev), b_h));
  }

  /**
   * seqbook.reference.gradient_norm_by_lag on the draws it makes (gradient_demo_draws:
   * {W_xh, b_h, orthogonal, xs, d_last}), with W_hh = scale * orthogonal: each example's
   * hidden states, its gradient carried back through time (equation (1.9)), and
   * dL/dW_hh summed over the steps (equation (1.6)).
   * Returns {ratio: lags 0 ... T, the geometric mean over the batch of
   * ||dL/dh_{T-k}|| / ||dL/dh_T||, weightGradientNorm: ||dL/dW_hh||}.
   */
  function gradientNormByLag(draws, scale) {
    // Plain loops over typed arrays: the explorer redraws this at every move of the slider
    // (16 examples x 50 steps x three 32 x 32 products), well inside the 100 ms budget.
    const { b_h, xs, d_last } = draws;
    const H = draws.orthogonal.length;
    const D = draws.W_xh[0].length;
    const W_hh = Float64Array.from(draws.orthogonal.flat(), (value) => scale * value); // row-major
    const W_xh = Float64Array.from(draws.W_xh.flat());
    const steps = xs[0].length;
    const logNorms = new Float64Array(steps + 1); // summed over the batch
    const dW_hh = new Float64Array(H * H);
    const logNorm = (v) => Math.log(Math.max(Math.sqrt(v.reduce((sum, x) => sum + x * x, 0)), 1e-300));
    for (let b = 0; b < xs.length; b++) {
      const hiddens = [new Float64Array(H)]; // h_0 ... h_T
      for (let t = 0; t < steps; t++) { // equation (1.1)
        const x = xs[b][t];
        const previous = hiddens[t];
        const hidden = new Float64Array(H);
        for (let i = 0; i < H; i++) {
          let fromInput = 0;
          for (let j = 0; j < D; j++) fromInput += W_xh[i * D + j] * x[j];
          let fromHidden = 0;
          for (let j = 0; j < H; j++) fromHidden += W_hh[i * H + j] * previous[j];
          hidden[i] = Math.tanh(fromInput + fromHidden + b_h[i]);
        }
        hiddens.push(hidden);
      }
      let grad = Float64Array.from(d_last[b]); // dL/dh_T
      logNorms[0] += logNorm(grad);
      const dPre = new Float64Array(H);
      for (let t = steps; t >= 1; t--) { // equation (1.9), one Jacobian per step
        const hidden = hiddens[t];
        const previous = hiddens[t - 1];
        for (let i = 0; i < H; i++) dPre[i] = grad[i] * (1.0 - hidden[i] * hidden[i]); // tanh'
        for (let i = 0; i < H; i++) { // equation (1.6): dL/dW_hh += dPre h_{t-1}^T
          for (let j = 0; j < H; j++) dW_hh[i * H + j] += dPre[i] * previous[j];
        }
        const next = new Float64Array(H); // dL/dh_{t-1} = W_hh^T dPre
        for (let i = 0; i < H; i++) {
          for (let j = 0; j < H; j++) next[j] += W_hh[i * H + j] * dPre[i];
        }
        grad = next;
        logNorms[steps - t + 1] += logNorm(grad);
      }
    }
    const ratio = Array.from(logNorms, (sum) => Math.exp(sum / xs.length));
    let squares = 0;
    for (const value of dW_hh) squares += value * value;
    return { ratio, weightGradientNorm: Math.sqrt(squares) };
  }

  /** The update's size before and after clipping its norm to threshold (Algorithm 1). */
  function clippedSize(norm, clip, threshold) {
    return clip ? Math.min(norm, threshold) : norm;
  }

  function unpackDraws(packed) {
    const draws = {};
    for (const [name, array] of Object.entries(packed)) draws[name] = seqbook.core.unpack(array);
    return draws;
  }

  seqbook.core.register("gradient", (root, config) => {
    const draws = unpackDraws(config.draws);
    const references = config.reference_scales.map((scale) => ({
      scale, ratio: gradientNormByLag(draws, scale).ratio,
    }));
    const steps = draws.xs[0].length;
    const computed = new Map(); // scale -> its curve: moving the clipping alone costs nothing
    const curveAt = (scale) => {
      if (!computed.has(scale)) {
        if (computed.size > 200) computed.clear();
        computed.set(scale, gradientNormByLag(draws, scale));
      }
      return computed.get(scale);
    };
    seqbook.core.explorer(root, {
      title: "Vanishing and exploding gradients",
      controls: [
        { kind: "slider", name: "scale", label: "scale of W_hh", min: 0.5, max: 2.5, step: 0.05, value: config.scale },
        { kind: "checkbox", name: "clip", label: "clip the update", value: config.clip },
        { kind: "slider", name: "threshold", label: "threshold", min: 0.1, max: 1000, log: true, value: config.threshold },
      ],
      draw({ scale, clip, threshold }, figure) {
        const { ratio, weightGradientNorm } = curveAt(scale);
        const after = clippedSize(weightGradientNorm, clip, threshold);
        figure.classList.add("seqbook-side-by-side");
        const left = seqbook.core.element("div", { style: "flex: 2 1 380px; min-width: 0" });
        const right = seqbook.core.element("div", { style: "flex: 1 1 220px; min-width: 0; max-width: 320px" });
        figure.append(left, right);
        const lags = ratio.map((_, k) => k);
        const faint = references.filter((curve) => Math.abs(curve.scale - scale) > 1e-9)
          .map((curve) => ({ x: lags, y: curve.ratio, colour: colours.gray, opacity: 0.4, width: 1,
                             label: `scale ${curve.scale} (for reference)` }));
        seqbook.core.lineChart(left, {
          width: 480, height: 320, title: "Gradient through time",
          x: { label: "lag k (steps back from the end)", min: 0, max: steps },
          y: { label: "gradient size, relative to lag 0", scale: "log", min: 1e-12, max: 1e8 },
          series: [
            { x: [0, steps], y: [1, 1], colour: "#000", width: 0.8, dash: "5 3" },
            ...faint,
            { x: lags, y: ratio, colour: ratio[steps] > 1 ? colours.red : colours.blue, width: 2.5,
              label: `largest singular value of W_hh = ${scale.toFixed(2)}` },
          ],
        });
        seqbook.core.barChart(right, {
          width: 260, height: 320, title: "Size of the update step",
          labels: ["before clipping", clip ? "after clipping" : "no clipping"],
          values: [weightGradientNorm, after], colours: [colours.gray, colours.green],
          y: { label: "‖dL/dW_hh‖", scale: "log", min: 1e-2, max: 1e6 },
        });
        const factor = threshold / weightGradientNorm;
        const caption = seqbook.core.caption(figure, `‖dL/dW_hh‖ = ${weightGradientNorm.toPrecision(3)}; threshold ` +
          `${Number(threshold.toPrecision(3))}: ` + (factor >= 1 ? "under the threshold, clipping changes nothing"
            : `clipping would scale the update by ${factor.toPrecision(2)}` + (clip ? " (clipped)" : " (clipping is off)")));
        caption.style.flexBasis = "100%";
        return { ratio, weight_gradient_norm: weightGradientNorm, before: weightGradientNorm, after };
      },
    });
  });

  seqbook.rnn = { repeatedMultiply, rnnCellForward, gradientNormByLag, clippedSize };
})(typeof globalThis !== "undefined" ? globalThis : window);
