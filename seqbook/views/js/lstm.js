// Chapter 2's explorers: the gates held by hand (section 2.3), the forget-gate bias and
// the gradient's reach (2.5), and a trained adding-problem LSTM's gates (Lab 2).
// The math mirrors seqbook.reference.lstm and seqbook.models.reach; tests/js compares
// them under Node. Weights are packed as in torch and the book: blocks i, f, g, o of H
// rows each, W_x (4H, D), W_h (4H, H), b (4H).

(function (global) {
  "use strict";
  const seqbook = global.seqbook;
  if (seqbook.lstm) return;
  const { colours, linalg } = seqbook.core;

  // --- The gates held by hand (section 2.3) ----------------------------------------------

  /** c_steps of c_t = f c_{t-1} + i g from c_0 = cell0 (seqbook.reference.cell_after_steps). */
  function cellAfterSteps(cell0, forgetGate, inputGate, candidate, steps) {
    let cell = cell0;
    for (let k = 0; k < steps; k++) cell = forgetGate * cell + inputGate * candidate;
    return cell;
  }

  /** c_t and h_t = o tanh(c_t) for t = 0 ... steps with the gates held (plots.draw_gate_drive). */
  function gateDrive(forgetGate, inputGate, outputGate, candidate, cell0, steps) {
    const cells = [];
    for (let k = 0; k <= steps; k++) {
      cells.push(cellAfterSteps(cell0, forgetGate, inputGate, candidate, k));
    }
    return { cells, hiddens: cells.map((cell) => outputGate * Math.tanh(cell)) };
  }

  // --- Forward and backward through time (section 2.5) -----------------------------------

  function sigmoid(value) {
    const e = Math.exp(-Math.abs(value));
    return value >= 0 ? 1 / (1 + e) : e / (1 + e);
  }

  // Matrices for the fast loops below: {rows, cols, data}, data a Float64Array holding
  // row i at data[i * cols ... i * cols + cols - 1] (numpy's C order).
  function packed(M) {
    if (M.data) return M;
    const rows = M.length;
    const cols = M[0].length;
    const data = new Float64Array(rows * cols);
    M.forEach((row, i) => data.set(row, i * cols));
    return { rows, cols, data };
  }

  /** out = W v + b (b may be null, then out = W v), for a packed W. */
  function affine(W, v, b, out = new Float64Array(W.rows)) {
    const { rows, cols, data } = W;
    for (let i = 0, at = 0; i < rows; i++) {
      let sum = b ? b[i] : 0;
      for (let j = 0; j < cols; j++, at++) sum += data[at] * v[j];
      out[i] = sum;
    }
    return out;
  }

  /** out += Wᵀ v, for a packed W. */
  function addTransposed(out, W, v) {
    const { rows, cols, data } = W;
    for (let i = 0, at = 0; i < rows; i++) {
      const scale = v[i];
      for (let j = 0; j < cols; j++, at++) out[j] += data[at] * scale;
    }
    return out;
  }

  /** W_x x + W_h h + b, the pre-activations of one step, for packed W_x and W_h. */
  function preActivation(W_x, W_h, b, x, hidden) {
    const pre = affine(W_h, hidden, b);
    const { rows, cols, data } = W_x;
    for (let i = 0, at = 0; i < rows; i++) {
      let sum = 0;
      for (let j = 0; j < cols; j++, at++) sum += data[at] * x[j];
      pre[i] += sum;
    }
    return pre;
  }

  /** One sequence through an LSTM (cell "lstm") or a tanh RNN (cell "rnn"), keeping
   * what the backward pass needs. xs is (T, D); the states start at zero. */
  function forwardSequence(cell, weights, xs) {
    const W_x = packed(weights.W_x);
    const W_h = packed(weights.W_h);
    const H = W_h.cols;
    let hidden = new Float64Array(H);
    let state = new Float64Array(H);
    const steps = [];
    for (const x of xs) {
      const pre = preActivation(W_x, W_h, weights.b, x, hidden);
      if (cell === "rnn") {
        hidden = pre.map(Math.tanh);
        steps.push({ hidden });
        continue;
      }
      const gates = new Float64Array(4 * H);
      const next = new Float64Array(H);
      const squashed = new Float64Array(H);
      const nextHidden = new Float64Array(H);
      for (let u = 0; u < H; u++) {
        const i = (gates[u] = sigmoid(pre[u]));
        const f = (gates[H + u] = sigmoid(pre[H + u]));
        const g = (gates[2 * H + u] = Math.tanh(pre[2 * H + u]));
        const o = (gates[3 * H + u] = sigmoid(pre[3 * H + u]));
        next[u] = f * state[u] + i * g;
        squashed[u] = Math.tanh(next[u]);
        nextHidden[u] = o * squashed[u];
      }
      steps.push({ gates, cellPrev: state, squashed });
      state = next;
      hidden = nextHidden;
    }
    return steps;
  }

  /** d(direction · h_T)/dx_t for t = 1 ... T of one sequence, by backpropagation through
   * time (what torch's autograd computes in seqbook.models.reach). Returns (T, D). */
  function inputGradients(cell, weights, xs, direction) {
    const steps = forwardSequence(cell, weights, xs);
    const W_x = packed(weights.W_x);
    const W_h = packed(weights.W_h);
    const H = W_h.cols;
    const D = W_x.cols;
    let dHidden = Float64Array.from(direction);
    let dCell = new Float64Array(H);
    const gradients = new Array(xs.length);
    for (let t = xs.length - 1; t >= 0; t--) {
      const step = steps[t];
      let dPre;
      if (cell === "rnn") {
        dPre = new Float64Array(H);
        for (let u = 0; u < H; u++) dPre[u] = dHidden[u] * (1 - step.hidden[u] ** 2);
      } else {
        const { gates, cellPrev, squashed } = step;
        dPre = new Float64Array(4 * H);
        const dCellPrev = new Float64Array(H);
        for (let u = 0; u < H; u++) {
          const i = gates[u], f = gates[H + u], g = gates[2 * H + u], o = gates[3 * H + u];
          const dc = dCell[u] + dHidden[u] * o * (1 - squashed[u] ** 2);
          dPre[u] = dc * g * i * (1 - i); // input gate
          dPre[H + u] = dc * cellPrev[u] * f * (1 - f); // forget gate
          dPre[2 * H + u] = dc * i * (1 - g * g); // candidate
          dPre[3 * H + u] = dHidden[u] * squashed[u] * o * (1 - o); // output gate
          dCellPrev[u] = dc * f;
        }
        dCell = dCellPrev;
      }
      gradients[t] = addTransposed(new Float64Array(D), W_x, dPre);
      dHidden = addTransposed(new Float64Array(H), W_h, dPre);
    }
    return gradients;
  }

  /** ||d(u · h_T)/dx_{T-k}|| / the same at k = 0, for k = 0 ... T-1, geometric mean over
   * the batch (seqbook.models.reach.input_gradient_by_lag). inputs is (B, T, D). */
  function inputGradientByLag(cell, weights, inputs, direction) {
    const T = inputs[0].length;
    const logMean = new Float64Array(T);
    const fast = { ...weights, W_x: packed(weights.W_x), W_h: packed(weights.W_h) };
    for (const xs of inputs) {
      const gradients = inputGradients(cell, fast, xs, direction);
      for (let lag = 0; lag < T; lag++) {
        const norm = linalg.norm(Array.from(gradients[T - 1 - lag]));
        logMean[lag] += Math.log(Math.max(norm, 1e-300)) / inputs.length;
      }
    }
    return Array.from(logMean, (value) => Math.exp(value - logMean[0]));
  }

  /** LSTM weights with every unit's forget-gate bias set to value (torch's two biases
   * summed: seqbook.models.recurrent.set_forget_bias sets the first and zeroes the second). */
  function withForgetBias(weights, value) {
    const H = weights.b.length / 4;
    const b = weights.b.map((bias, k) => (k >= H && k < 2 * H ? value : bias));
    return { ...weights, b };
  }

  // --- A trained LSTM (Lab 2) ------------------------------------------------------------

  /** Every gate, cell and hidden state of one sequence xs (T, D) from hidden0 and cell0,
   * each (T, H) (seqbook.reference.lstm_forward_trace for one sequence). */
  function lstmForwardTrace(xs, hidden0, cell0, W_x, W_h, b) {
    const inputWeights = packed(W_x);
    const hiddenWeights = packed(W_h);
    const H = hiddenWeights.cols;
    const trace = { input_gate: [], forget_gate: [], candidate: [], output_gate: [],
                    cell: [], hidden: [] };
    let hidden = hidden0;
    let cell = cell0;
    for (const x of xs) {
      const pre = preActivation(inputWeights, hiddenWeights, b, x, hidden);
      const inputGate = new Array(H);
      const forgetGate = new Array(H);
      const candidate = new Array(H);
      const outputGate = new Array(H);
      const nextCell = new Array(H);
      const nextHidden = new Array(H);
      for (let u = 0; u < H; u++) {
        inputGate[u] = sigmoid(pre[u]); // (2.1)
        forgetGate[u] = sigmoid(pre[H + u]); // (2.2)
        candidate[u] = Math.tanh(pre[2 * H + u]); // (2.3)
        outputGate[u] = sigmoid(pre[3 * H + u]); // (2.4)
        nextCell[u] = forgetGate[u] * cell[u] + inputGate[u] * candidate[u]; // (2.5)
        nextHidden[u] = outputGate[u] * Math.tanh(nextCell[u]); // (2.6)
      }
      cell = nextCell;
      hidden = nextHidden;
      trace.input_gate.push(inputGate);
      trace.forget_gate.push(forgetGate);
      trace.candidate.push(candidate);
      trace.output_gate.push(outputGate);
      trace.cell.push(cell);
      trace.hidden.push(hidden);
    }
    return trace;
  }

  /** The adding problem's input for given values and two marked steps: (T, 2) rows of
   * (value, marker). */
  function addingInput(values, first, second) {
    return values.map((value, t) => [value, t === first || t === second ? 1 : 0]);
  }

  /** A SequenceRegressor's answer: its readout of the last hidden state. */
  function regressorPrediction(model, values, first, second) {
    const H = model.b.length / 4;
    const zeros = linalg.zeros(H);
    const trace = lstmForwardTrace(addingInput(values, first, second), zeros, zeros,
                                   model.W_x, model.W_h, model.b);
    const last = trace.hidden[trace.hidden.length - 1];
    return { trace, prediction: linalg.dot(model.readout_weight, last) + model.readout_bias };
  }

  /** Numbers shipped as float32 values written shortly, back to the exact float32 values
   * (arrays of any depth). */
  function float32(value) {
    return Array.isArray(value) ? value.map(float32) : Math.fround(value);
  }

  /** The memory explorer's config turned into exact float64 weights and inputs. */
  function reachSetup(config) {
    const exact = (weights) => ({ W_x: packed(float32(weights.W_x)),
                                  W_h: packed(float32(weights.W_h)), b: weights.b });
    return { lstm: exact(config.lstm), rnn: exact(config.rnn), inputs: float32(config.inputs),
             direction: config.direction };
  }

  /** seqbook.models.gradient_reach(cell, forget_bias=forgetBias) from the memory explorer's
   * config (setup: reachSetup's result, made once). */
  function gradientReach(setup, cell, forgetBias = null) {
    let weights = setup[cell];
    if (cell === "lstm" && forgetBias !== null) weights = withForgetBias(weights, forgetBias);
    return inputGradientByLag(cell, weights, setup.inputs, setup.direction);
  }

  /** gradientReach straight from the explorer's config (one call, for the tests). */
  function gradientReachFromConfig(config, cell, forgetBias = null) {
    return gradientReach(reachSetup(config), cell, forgetBias);
  }

  /** The trained-gates explorer's config turned into exact float64 weights. */
  function trainedModel(config) {
    return { W_x: packed(float32(config.W_x)), W_h: packed(float32(config.W_h)), b: config.b,
             readout_weight: float32(config.readout_weight),
             readout_bias: Math.fround(config.readout_bias) };
  }

  /** regressorPrediction straight from the trained-gates explorer's config. */
  function trainedPrediction(config, seed, first, second) {
    return regressorPrediction(trainedModel(config), config.values_by_seed[seed], first, second);
  }

  // --- Drawing ---------------------------------------------------------------------------

  const SVG = "http://www.w3.org/2000/svg";

  function svgNode(tag, attributes = {}, text = null) {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
    if (text !== null) node.textContent = text;
    return node;
  }

  // matplotlib's viridis at nine evenly spaced points, and RdBu_r's ends and middle.
  const VIRIDIS = [[68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141],
                   [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37]];
  const RED_BLUE = [[5, 48, 97], [67, 147, 195], [247, 247, 247], [214, 96, 77], [103, 0, 31]];

  function colourAt(stops, share) {
    const position = Math.min(Math.max(share, 0), 1) * (stops.length - 1);
    const k = Math.min(Math.floor(position), stops.length - 2);
    const mix = position - k;
    return stops[k].map((value, c) => Math.round(value + (stops[k + 1][c] - value) * mix));
  }

  const tables = new Map();

  /** 256 colours of a palette, as r, g, b triples in one array (made once a palette). */
  function colourTable(stops) {
    if (!tables.has(stops)) {
      const table = new Uint8Array(3 * 256);
      for (let level = 0; level < 256; level++) table.set(colourAt(stops, level / 255), 3 * level);
      tables.set(stops, table);
    }
    return tables.get(stops);
  }

  /** One panel of unit-by-time values (H rows, T columns) as an image, with red ticks at
   * the marked steps above it and a colour bar's two ends written beside it. */
  function tracePanel(container, { rows, label, stops, low, high, marked, xLabel }) {
    const H = rows.length;
    const T = rows[0].length;
    const width = 720;
    const margin = { left: 64, right: 86, top: 10, bottom: xLabel ? 40 : 8 };
    const plotWidth = width - margin.left - margin.right;
    const plotHeight = Math.max(4 * H, 100);
    const height = margin.top + plotHeight + margin.bottom;
    const svg = svgNode("svg", { viewBox: `0 0 ${width} ${height}`, width: "100%", role: "img",
                                 "aria-label": label, class: "seqbook-chart" });
    const canvas = document.createElement("canvas");
    canvas.width = T;
    canvas.height = H;
    const context = canvas.getContext("2d");
    const image = context.createImageData(T, H);
    const table = colourTable(stops);
    const span = high - low || 1;
    rows.forEach((row, u) => row.forEach((value, t) => {
      const level = Math.min(Math.max(Math.round(((value - low) / span) * 255), 0), 255);
      const at = 4 * (u * T + t);
      image.data[at] = table[3 * level];
      image.data[at + 1] = table[3 * level + 1];
      image.data[at + 2] = table[3 * level + 2];
      image.data[at + 3] = 255;
    }));
    context.putImageData(image, 0, 0);
    svg.appendChild(svgNode("image", {
      href: canvas.toDataURL(), x: margin.left, y: margin.top, width: plotWidth,
      height: plotHeight, preserveAspectRatio: "none", style: "image-rendering: pixelated",
    }));
    const words = svgNode("g", { "font-size": 11, fill: "#333" });
    words.appendChild(svgNode("rect", { x: margin.left, y: margin.top, width: plotWidth,
                                        height: plotHeight, fill: "none", stroke: "#333" }));
    const px = (t) => margin.left + ((t + 0.5) / T) * plotWidth;
    for (const step of marked) {
      words.appendChild(svgNode("line", { x1: px(step), x2: px(step), y1: 0, y2: margin.top,
                                          stroke: colours.red, "stroke-width": 3 }));
    }
    const cy = margin.top + plotHeight / 2;
    words.appendChild(svgNode("text", { x: 18, y: cy, "text-anchor": "middle",
                                        transform: `rotate(-90 18 ${cy})` }, label));
    words.appendChild(svgNode("text", { x: 38, y: cy, "text-anchor": "middle",
                                        transform: `rotate(-90 38 ${cy})` }, `${H} units`));
    // a small colour bar: its ends and middle, labelled
    const barX = margin.left + plotWidth + 10;
    [1, 0.5, 0].forEach((share, k) => {
      const [r, g, b] = colourAt(stops, share);
      const y = margin.top + (k * plotHeight) / 3;
      words.appendChild(svgNode("rect", { x: barX, y, width: 12, height: plotHeight / 3,
                                          fill: `rgb(${r},${g},${b})` }));
      const value = low + share * (high - low);
      words.appendChild(svgNode("text", { x: barX + 16, y: y + plotHeight / 6 + 4 },
                                Number(value.toPrecision(2)).toString().replace("-", "−")));
    });
    if (xLabel) {
      for (let t = 0; t < T; t += Math.max(1, Math.round(T / 10 / 5) * 5 || 1)) {
        words.appendChild(svgNode("text", { x: px(t), y: margin.top + plotHeight + 14,
                                            "text-anchor": "middle" }, String(t)));
      }
      words.appendChild(svgNode("text", { x: margin.left + plotWidth / 2, y: height - 6,
                                          "text-anchor": "middle" }, xLabel));
    }
    svg.appendChild(words);
    container.appendChild(svg);
    return svg;
  }

  /** rows (T, H) turned into (H, T): one row per unit, as the static figure draws them. */
  function byUnit(rows) {
    return rows[0].map((_, u) => rows.map((row) => row[u]));
  }

  // --- The explorers ---------------------------------------------------------------------

  seqbook.core.register("gate_drive", (root, config) => {
    const unit = (name, label, value, min = 0, max = 1) =>
      ({ kind: "slider", name, label, min, max, step: 0.05, value });
    seqbook.core.explorer(root, {
      title: "Driving the gates by hand",
      controls: [
        unit("forget_gate", "forget f", config.forget_gate),
        unit("input_gate", "input i", config.input_gate),
        unit("output_gate", "output o", config.output_gate),
        unit("candidate", "candidate g", config.candidate, -1, 1),
        unit("cell0", "start c₀", config.cell0, -2, 2),
        { kind: "slider", name: "steps", label: "steps", min: 1, max: 40, step: 1, value: config.steps },
      ],
      draw({ forget_gate: f, input_gate: i, output_gate: o, candidate: g, cell0, steps }, figure) {
        const { cells, hiddens } = gateDrive(f, i, o, g, cell0, steps);
        const series = [
          { y: cells, colour: colours.green, marker: true, label: "cell state c_t" },
          { y: hiddens, colour: colours.purple, marker: true, label: "hidden state h_t = o·tanh(c_t)" },
        ];
        let settle = null;
        if (f < 1) {
          settle = (i * g) / (1 - f);
          series.push({ y: cells.map(() => settle), colour: colours.green, width: 1, dash: "6 4",
                        label: `where c settles: i·g/(1−f) = ${settle.toFixed(2)}` });
        }
        series.push({ y: cells.map(() => 0), colour: "#000", width: 0.5 });
        const all = [...cells, ...hiddens, ...(settle === null ? [] : [settle]), 0];
        const low = Math.min(...all);
        const high = Math.max(...all);
        const pad = 0.08 * (high - low || 1);
        seqbook.core.lineChart(figure, {
          title: `f = ${f.toFixed(2)}, i = ${i.toFixed(2)}, g = ${g.toFixed(2)}, o = ${o.toFixed(2)}`,
          x: { label: "step t", min: 0, max: steps },
          y: { label: "value", min: low - pad, max: high + pad },
          series,
        });
        seqbook.core.caption(figure, `after ${steps} steps c = ${cells[steps].toFixed(3)} and ` +
          `h = ${hiddens[steps].toFixed(3)}`);
        return { cells, hiddens };
      },
    });
  });

  seqbook.core.register("gradient_reach", (root, config) => {
    const setup = reachSetup(config);
    const rnnRatio = gradientReach(setup, "rnn"); // it does not move: computed once
    const lags = rnnRatio.map((_, k) => k);
    // One curve costs 16 sequences x 100 steps forward and backward (about 14 million
    // multiply-adds): each is computed once, and while the reader reads, the curves of
    // the slider's other positions are computed in the background, one per task, nearest
    // first, so a move of the slider only draws.
    const curves = new Map();
    const lstmRatioFor = (forgetBias) => {
      const key = forgetBias.toFixed(3);
      if (!curves.has(key)) curves.set(key, gradientReach(setup, "lstm", forgetBias));
      return curves.get(key);
    };
    const positions = [];
    for (let bias = -3; bias <= 6; bias += 0.5) positions.push(bias);
    positions.sort((a, b) => Math.abs(a - config.forget_bias) - Math.abs(b - config.forget_bias));
    const computeNext = () => {
      const missing = positions.find((bias) => !curves.has(bias.toFixed(3)));
      if (missing === undefined || !root.isConnected) {
        delete root.dataset.busy; // tests wait for this before timing the slider
        return;
      }
      lstmRatioFor(missing);
      setTimeout(computeNext, 0);
    };
    root.dataset.busy = "computing the curves of the other forget biases";
    setTimeout(computeNext, 0);
    seqbook.core.explorer(root, {
      title: "The forget-gate bias and the gradient's reach",
      controls: [{ kind: "slider", name: "forget_bias", label: "forget bias", min: -3, max: 6,
                   step: 0.5, value: config.forget_bias }],
      draw({ forget_bias: forgetBias }, figure) {
        const lstmRatio = lstmRatioFor(forgetBias);
        const floor = 1e-20;
        seqbook.core.lineChart(figure, {
          title: "How far back the gradient reaches, before training",
          x: { label: "lag k (steps back from the end)", min: 0, max: lags.length - 1 },
          // up to 1e6, not the static figure's 1e3, so the legend sits above the curves
          y: { label: "‖∂h_T/∂x_{T−k}‖, relative to lag 0", scale: "log", min: floor, max: 1e6 },
          series: [
            { x: lags, y: rnnRatio.map((v) => Math.max(v, floor)), colour: colours.gray, width: 1.5, label: "tanh RNN" },
            { x: lags, y: lstmRatio.map((v) => Math.max(v, floor)), colour: colours.blue, width: 2.5,
              label: `LSTM, forget bias ${forgetBias >= 0 ? "+" : "−"}${Math.abs(forgetBias)}` },
            { x: lags, y: lags.map(() => 1), colour: "#000", width: 0.8, dash: "6 4" },
          ],
        });
        const at = Math.min(50, lags.length - 1);
        const size = (value) => (value >= 0.01 && value < 1000 ? value.toPrecision(2)
                                                                : value.toExponential(1));
        seqbook.core.caption(figure, `${at} steps back the LSTM's gradient is ` +
          `${size(lstmRatio[at])} times its size at lag 0 (the RNN's: ${size(rnnRatio[at])})`);
        return { rnn_ratio: rnnRatio, lstm_ratio: lstmRatio, forget_bias: forgetBias };
      },
    });
  });

  seqbook.core.register("trained_gates", (root, config) => {
    const model = trainedModel(config);
    const length = config.values_by_seed[0].length;
    const half = Math.floor(length / 2);
    seqbook.core.explorer(root, {
      title: "Inside a trained LSTM",
      controls: [
        { kind: "slider", name: "first", label: "1st mark", min: 0, max: half - 1, step: 1, value: config.first },
        { kind: "slider", name: "second", label: "2nd mark", min: half, max: length - 1, step: 1, value: config.second },
        { kind: "slider", name: "seed", label: "values seed", min: 0, max: config.values_by_seed.length - 1, step: 1, value: config.seed },
      ],
      draw({ first, second, seed }, figure) {
        const values = config.values_by_seed[seed];
        const { trace, prediction } = regressorPrediction(model, values, first, second);
        const target = values[first] + values[second];
        seqbook.core.caption(figure, `marked values ${values[first].toFixed(2)} + ` +
          `${values[second].toFixed(2)} = ${target.toFixed(2)}; the LSTM answers ` +
          `${prediction.toFixed(2)}`, "seqbook-title");
        const cells = byUnit(trace.cell);
        const extent = Math.max(...cells.map((row) => Math.max(...row.map(Math.abs)))) || 1;
        const panels = [
          { name: "input_gate", label: "input gate i_t", stops: VIRIDIS, low: 0, high: 1 },
          { name: "forget_gate", label: "forget gate f_t", stops: VIRIDIS, low: 0, high: 1 },
          { name: "cell", label: "cell state c_t", stops: RED_BLUE, low: -extent, high: extent },
        ];
        const shown = { prediction, target, values };
        panels.forEach((panel, k) => {
          shown[panel.name] = panel.name === "cell" ? cells : byUnit(trace[panel.name]);
          tracePanel(figure, { ...panel, rows: shown[panel.name], marked: [first, second],
                               xLabel: k === panels.length - 1 ? "time step t (red ticks: the two marked numbers)" : null });
        });
        return shown;
      },
    });
  });

  seqbook.lstm = {
    cellAfterSteps, gateDrive, inputGradients, inputGradientByLag, withForgetBias,
    reachSetup, gradientReach, gradientReachFromConfig, lstmForwardTrace, addingInput, regressorPrediction,
    trainedModel, trainedPrediction, float32,
  };
})(typeof globalThis !== "undefined" ? globalThis : window);
