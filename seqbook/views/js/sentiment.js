// Chapter 3's review explorer: the trained classifiers of seqbook.models.sentiment (bag of
// words, RNN, LSTM, GRU), their weights carried in the explorer's config, read a review
// word by word in the browser. Tokenizing mirrors seqbook.tasks.tokenize and the
// vocabulary's <unk>; the cells mirror torch's nn.RNN, nn.LSTM and nn.GRU and
// seqbook.reference. tests/js compares them with torch and numpy under Node.

(function (global) {
  "use strict";
  const seqbook = global.seqbook;
  if (seqbook.sentiment) return;
  const { colours, linalg, element } = seqbook.core;

  /** Lower-case words of letters and apostrophes; everything else separates words
   * (seqbook.tasks.tokenize). */
  function tokenize(text) {
    return text.toLowerCase().match(/[a-z']+/g) || [];
  }

  /** Words to ids in a vocabulary of symbols (id = position); a word it does not hold
   * gets the id of "<unk>", as Vocabulary.encode does. */
  function encode(words, symbols) {
    const index = new Map(symbols.map((symbol, id) => [symbol, id]));
    const unknown = index.get("<unk>");
    return words.map((word) => (index.has(word) ? index.get(word) : unknown));
  }

  function sigmoidOf(value) {
    return linalg.sigmoid([value])[0];
  }

  /** Input and recurrent pre-activations W_ih x + b_ih and W_hh h + b_hh, as torch adds them. */
  function affine(W, b, v) {
    return linalg.add(linalg.matvec(W, v), b);
  }

  /** One torch nn.RNN (tanh) step: h = tanh(W_ih x + b_ih + W_hh h + b_hh). */
  function rnnStep(weights, x, state) {
    const h = linalg.tanh(linalg.add(affine(weights.weight_ih, weights.bias_ih, x),
                                     affine(weights.weight_hh, weights.bias_hh, state.h)));
    return { h };
  }

  /** One torch nn.GRU step, blocks r, z, n; the reset gate multiplies W_hn h + b_hn
   * (equations (3.1) to (3.4), seqbook.reference.gru_cell_forward). */
  function gruStep(weights, x, state) {
    const H = state.h.length;
    const fromInput = affine(weights.weight_ih, weights.bias_ih, x);
    const fromHidden = affine(weights.weight_hh, weights.bias_hh, state.h);
    const block = (v, k) => linalg.slice(v, k * H, H);
    const reset = linalg.sigmoid(linalg.add(block(fromInput, 0), block(fromHidden, 0)));
    const update = linalg.sigmoid(linalg.add(block(fromInput, 1), block(fromHidden, 1)));
    const candidate = linalg.tanh(linalg.add(block(fromInput, 2), linalg.mul(reset, block(fromHidden, 2))));
    const h = candidate.map((n, i) => (1.0 - update[i]) * n + update[i] * state.h[i]);
    return { h };
  }

  /** One torch nn.LSTM step, blocks i, f, g, o: c = f c + i g, h = o tanh(c)
   * (seqbook.reference.lstm_cell_forward). */
  function lstmStep(weights, x, state) {
    const H = state.h.length;
    const gates = linalg.add(affine(weights.weight_ih, weights.bias_ih, x),
                             affine(weights.weight_hh, weights.bias_hh, state.h));
    const block = (k) => linalg.slice(gates, k * H, H);
    const input = linalg.sigmoid(block(0));
    const forget = linalg.sigmoid(block(1));
    const candidate = linalg.tanh(block(2));
    const output = linalg.sigmoid(block(3));
    const c = linalg.add(linalg.mul(forget, state.c), linalg.mul(input, candidate));
    return { h: linalg.mul(output, linalg.tanh(c)), c };
  }

  const STEPS = { rnn: rnnStep, gru: gruStep, lstm: lstmStep };

  /** The read-out: P(positive) = sigmoid(w · features + b). */
  function readout(model, features) {
    return sigmoidOf(linalg.dot(model.readout_weight, features) + model.readout_bias);
  }

  /**
   * The model's probability of "positive" after each word, word ids given
   * (seqbook.models.sentiment.running_sentiment): the many-to-one model applied to every
   * prefix. The bag of words averages the prefix's embeddings; a recurrent model's
   * prediction for a prefix is its read-out of the hidden state at the prefix's last word.
   */
  function runningProbabilities(model, ids) {
    const embedded = ids.map((id) => model.embedding[id]);
    if (model.kind === "bow") {
      let total = linalg.zeros(embedded[0].length);
      return embedded.map((vector, t) => {
        total = linalg.add(total, vector);
        return readout(model, linalg.scale(total, 1 / (t + 1)));
      });
    }
    const step = STEPS[model.kind];
    const H = model.weight_hh[0].length;
    let state = { h: linalg.zeros(H), c: linalg.zeros(H) };
    return embedded.map((x) => {
      state = { c: state.c, ...step(model, x, state) };
      return readout(model, state.h);
    });
  }

  /** A model as its config carries it (packed float32 arrays), ready to run. */
  function unpackModel(packed) {
    const model = { kind: packed.kind };
    for (const [name, value] of Object.entries(packed)) {
      if (name !== "kind") model[name] = seqbook.core.unpack(value);
    }
    return model;
  }

  /** The review of ``text`` read by every model: {words, unknown, byModel}. */
  function readReview(models, symbols, text) {
    const words = tokenize(text);
    const ids = encode(words, symbols);
    const unknownId = symbols.indexOf("<unk>");
    const byModel = {};
    for (const [name, model] of Object.entries(models)) {
      byModel[name] = words.length ? runningProbabilities(model, ids) : [];
    }
    return { words, unknown: ids.flatMap((id, k) => (id === unknownId ? [k] : [])), byModel };
  }

  /** A red-to-green background for a probability, white at 0.5. */
  function verdictColour(probability) {
    const strength = Math.min(Math.abs(probability - 0.5) * 2, 1);
    const [r, g, b] = probability > 0.5 ? [44, 160, 44] : [214, 39, 40];
    const mix = (value) => Math.round(255 + (value - 255) * strength * 0.6);
    return `rgb(${mix(r)},${mix(g)},${mix(b)})`;
  }

  function verdictTable(words, unknown, byModel, names, chosen) {
    const cell = (tag, text, style = "") => element(tag, {
      text, style: `padding: 2px 6px; text-align: center; white-space: nowrap; ${style}` });
    // the verdict comes first, so it stays in sight when a long review scrolls sideways
    const header = element("tr", {}, [cell("th", "P(positive) after", "text-align: left"),
      cell("th", "verdict"),
      ...words.map((word, k) => cell("th", unknown.includes(k) ? `${word}?` : word,
                                     "font-family: monospace; font-weight: normal"))]);
    const rows = Object.entries(byModel).map(([name, probabilities]) => {
      const last = probabilities[probabilities.length - 1];
      const bold = name === chosen ? "font-weight: bold;" : "";
      return element("tr", {}, [cell("td", names[name] ?? name, `text-align: left; ${bold}`),
        cell("td", last > 0.5 ? "positive" : "negative", bold),
        ...probabilities.map((p) => cell("td", p.toFixed(2), `background: ${verdictColour(p)}; ${bold}`))]);
    });
    return element("table", { class: "seqbook-verdicts", style: "border-collapse: collapse; font-size: 13px; margin: 4px 0" },
                   [header, ...rows]);
  }

  seqbook.core.register("sentiment", (root, config) => {
    const models = {};
    for (const [name, packed] of Object.entries(config.models)) models[name] = unpackModel(packed);
    const names = config.names;
    seqbook.core.explorer(root, {
      title: "Reading a review word by word",
      controls: [
        { kind: "text", name: "sentence", label: "review", value: config.sentence, placeholder: "type a review" },
        { kind: "select", name: "model", label: "model", value: config.model,
          options: Object.keys(models).map((name) => [name, names[name] ?? name]) },
      ],
      draw({ sentence, model }, figure) {
        const { words, unknown, byModel } = readReview(models, config.symbols, sentence);
        if (!words.length) {
          seqbook.core.caption(figure, "Type a review (words of letters a-z and apostrophes), then " +
            `press Enter: every model reads it, and the ${names[model] ?? model} is drawn word by word.`);
          return { words: [], unknown: [], probabilities: [], by_model: byModel };
        }
        figure.appendChild(verdictTable(words, unknown, byModel, names, model));
        const probabilities = byModel[model];
        const last = probabilities[probabilities.length - 1];
        const width = Math.max(420, 60 * words.length + 80);
        const chart = element("div", { style: `max-width: ${width * 1.2}px` }); // not blown up on a wide page
        figure.appendChild(chart);
        seqbook.core.barChart(chart, {
          width, height: 260,
          title: `${(names[model] ?? model)}: ${last > 0.5 ? "positive" : "negative"} (${last.toFixed(2)})`,
          labels: words.map((word, k) => (unknown.includes(k) ? `${word}?` : word)),
          values: probabilities,
          colours: probabilities.map((p) => (p > 0.5 ? colours.green : colours.red)),
          y: { label: "P(positive) so far", min: 0, max: 1 },
          format: (p) => p.toFixed(2),
        });
        seqbook.core.caption(figure, (unknown.length ? "? marks a word the models never saw (read as <unk>). " : "") +
          "Each column is the model's reading of the review cut after that word; " +
          "the models were trained on whole reviews, so a prefix's reading is an extrapolation.");
        return { words, unknown, probabilities, by_model: byModel };
      },
    });
  });

  seqbook.sentiment = { tokenize, encode, runningProbabilities, readReview, unpackModel };
})(typeof globalThis !== "undefined" ? globalThis : window);
