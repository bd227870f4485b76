// Chapter 4's alignment explorer: a trained encoder-decoder of seqbook.models.seq2seq, its
// float32 weights carried in the explorer's config, translates a source in the browser.
// The encoder mirrors seqbook.models.seq2seq.Encoder (embedding, then a one- or
// two-direction torch nn.GRU, gates r, z, n); the decoders mirror PlainDecoder and
// AttentionDecoder (Bahdanau's additive attention and a torch nn.GRUCell); decoding is
// Seq2Seq.greedy; typed text is read as seqbook.tasks.dates.normalise reads it.
// tests/js/test_attention.py compares all of it with torch under Node.

(function (global) {
  "use strict";
  const seqbook = global.seqbook;
  if (seqbook.attention) return;
  const { colours, linalg, element } = seqbook.core;

  const SOS = 1;
  const EOS = 2;

  /** seqbook.tasks.dates.normalise: lower-case, decompose (NFKD), drop the combining marks,
   * a no-break space as a space. (Python drops the characters of non-zero combining class,
   * JavaScript here the non-spacing marks, \p{Mn}: the same for Latin, Greek and Cyrillic
   * accents, which is what the date task writes.) */
  function normalise(text) {
    return text.toLowerCase().normalize("NFKD").replace(/\p{Mn}/gu, "").replace(/\u00a0/g, " ");
  }

  /** A source string to ids, one per character (code point); a character the vocabulary
   * does not hold gets the id of "<unk>", as Vocabulary.encode does. */
  function encodeSource(text, symbols) {
    const index = new Map(symbols.map((symbol, id) => [symbol, id]));
    const unknown = index.get("<unk>");
    return Array.from(text).map((ch) => (index.has(ch) ? index.get(ch) : unknown));
  }

  function affine(W, b, v) {
    return linalg.add(linalg.matvec(W, v), b);
  }

  /** One torch GRU step (nn.GRU or nn.GRUCell), blocks r, z, n:
   * n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) n + z h. */
  function gruStep(cell, x, h) {
    const H = h.length;
    const fromInput = affine(cell.weight_ih, cell.bias_ih, x);
    const fromHidden = affine(cell.weight_hh, cell.bias_hh, h);
    const block = (v, k) => linalg.slice(v, k * H, H);
    const reset = linalg.sigmoid(linalg.add(block(fromInput, 0), block(fromHidden, 0)));
    const update = linalg.sigmoid(linalg.add(block(fromInput, 1), block(fromHidden, 1)));
    const candidate = linalg.tanh(linalg.add(block(fromInput, 2),
                                             linalg.mul(reset, block(fromHidden, 2))));
    return candidate.map((n, i) => (1 - update[i]) * n + update[i] * h[i]);
  }

  /** The encoder over source ids: {annotations (S rows of K), final (K)}. The forward
   * direction reads left to right, the backward one right to left; h_j = [forward_j;
   * backward_j], final = [forward state after the last token; backward state after the
   * first] (seqbook.models.seq2seq.Encoder). */
  function encode(model, ids) {
    const encoder = model.encoder;
    const xs = ids.map((id) => encoder.embedding[id]);
    const H = encoder.forward.weight_hh[0].length;
    const forward = [];
    let h = linalg.zeros(H);
    for (const x of xs) forward.push(h = gruStep(encoder.forward, x, h));
    if (!encoder.backward) return { annotations: forward, final: h };
    const backward = new Array(xs.length);
    let g = linalg.zeros(H);
    for (let j = xs.length - 1; j >= 0; j--) backward[j] = g = gruStep(encoder.backward, xs[j], g);
    return { annotations: forward.map((f, j) => f.concat(backward[j])), final: h.concat(g) };
  }

  /** What the decoder's steps reuse: s_0 and (attention) U h_j for every j. s_0 is
   * tanh(W_init h + b_init), h the backward half of h_1 for a two-direction encoder with
   * attention, its last forward state for one direction, the whole final state c for the
   * plain decoder. */
  function start(model, encoded) {
    const decoder = model.decoder;
    const { final, annotations } = encoded;
    if (decoder.kind === "plain") {
      return { state: linalg.tanh(affine(decoder.init_weight, decoder.init_bias, final)),
               context: final };
    }
    const half = decoder.init_weight[0].length;
    const first = final.slice(final.length - half);
    return { state: linalg.tanh(affine(decoder.init_weight, decoder.init_bias, first)),
             keys: annotations.map((h) => linalg.matvec(decoder.U, h)) };
  }

  /** Bahdanau's attention from s_{t-1}: e_j = v . tanh(W s + U h_j), a = softmax(e),
   * c = sum_j a_j h_j. Returns {context, weights}. */
  function attend(model, state, memory, annotations) {
    const decoder = model.decoder;
    const query = linalg.matvec(decoder.W, state);
    const scores = memory.keys.map((key) => linalg.dot(decoder.v, linalg.tanh(linalg.add(query, key))));
    const weights = linalg.softmax(scores);
    const context = linalg.zeros(annotations[0].length);
    annotations.forEach((h, j) => { for (let k = 0; k < h.length; k++) context[k] += weights[j] * h[k]; });
    return { context, weights };
  }

  /** One decoder step from the previous token: {logits, state, weights (null: plain)}. */
  function decoderStep(model, previous, state, memory, annotations) {
    const decoder = model.decoder;
    const y = decoder.embedding[previous];
    let context = memory.context;
    let weights = null;
    if (decoder.kind === "attention") ({ context, weights } = attend(model, state, memory, annotations));
    const next = gruStep(decoder.cell, y.concat(context), state);
    const logits = affine(decoder.out_weight, decoder.out_bias, next.concat(context, y));
    return { logits, state: next, weights };
  }

  /** Greedy decoding of source ids (Seq2Seq.greedy): feed back the most likely token until
   * <eos> or maxLength tokens. Returns {tokens, weights (L rows of S) or null,
   * probabilities (L rows of V, the softmax of each step's logits)}. */
  function greedy(model, ids, maxLength) {
    const encoded = encode(model, ids);
    let { state, ...memory } = start(model, encoded);
    let previous = SOS;
    const tokens = [];
    const weights = [];
    const probabilities = [];
    for (let t = 0; t < maxLength; t++) {
      const step = decoderStep(model, previous, state, memory, encoded.annotations);
      state = step.state;
      previous = linalg.argmax(step.logits);
      tokens.push(previous);
      weights.push(step.weights);
      probabilities.push(linalg.softmax(step.logits));
      if (previous === EOS) break;
    }
    return { tokens, weights: model.decoder.kind === "attention" ? weights : null, probabilities };
  }

  /** seqbook.models.seq2seq.translate of one source string (already normalised): its
   * source_tokens ("<unk>" for a character the model never saw), output_tokens (up to and
   * including "<eos>" if it came), translation (without it), weights and probabilities.
   * maxLength null means the source's length + 10, as translate's default. */
  function translate(model, sourceSymbols, targetSymbols, source, maxLength = null) {
    const characters = Array.from(source);
    const ids = encodeSource(source, sourceSymbols);
    const unknownId = sourceSymbols.indexOf("<unk>");
    const decoded = greedy(model, ids, maxLength ?? characters.length + 10);
    const outputTokens = decoded.tokens.map((id) => targetSymbols[id]);
    const skip = new Set(["<pad>", "<sos>", "<eos>"]);
    return {
      source_tokens: ids.map((id, j) => (id === unknownId ? "<unk>" : characters[j])),
      output_tokens: outputTokens,
      translation: outputTokens.filter((token) => !skip.has(token)).join(""),
      weights: decoded.weights,
      probabilities: decoded.probabilities,
    };
  }

  /** A model as its config carries it (packed float32 arrays), ready to run. */
  function unpackModel(packed) {
    const unpackAll = (part) => Object.fromEntries(Object.entries(part).map(
      ([name, value]) => [name, value && value.base64 ? seqbook.core.unpack(value)
        : value && typeof value === "object" ? unpackAll(value) : value]));
    return unpackAll(packed);
  }

  /** translate with a model as its config carries it (for the tests, under Node). */
  function translatePacked(packed, sourceSymbols, targetSymbols, source, maxLength = null) {
    return translate(unpackModel(packed), sourceSymbols, targetSymbols, source, maxLength);
  }

  // --- The explorer ----------------------------------------------------------------------

  const label = (token) => (token === " " ? "␣" : token);
  const quoted = (text) => `'${text}'`;
  const CANDIDATES = 5;

  /** The step's most likely tokens, best first: [[token, probability], ...]. */
  function topCandidates(probabilities, symbols, count = CANDIDATES) {
    return probabilities.map((p, id) => [symbols[id], p])
      .sort((a, b) => b[1] - a[1]).slice(0, count);
  }

  /** The true alignment's dots, padded or cut to the output's rows (it has ten rows, the
   * output may have fewer or more steps). */
  function dotsFor(truth, rows, columns) {
    if (!truth || truth[0].length !== columns) return null;
    return Array.from({ length: rows }, (_, i) => truth[i] ?? new Array(columns).fill(0));
  }

  seqbook.core.register("alignment", (root, config) => {
    const model = unpackModel(config.model);
    const examples = config.examples;
    const attention = model.decoder.kind === "attention";
    const OWN = "";  // the drop-down's first choice: the text box's own text
    const startsWithExample = examples.includes(config.source);
    let lastExample = startsWithExample ? config.source : OWN;
    const api = seqbook.core.explorer(root, {
      title: attention ? "Where the decoder looks" : "What the plain decoder writes",
      controls: [
        { kind: "select", name: "example", label: "example", value: lastExample,
          options: [[OWN, "(your own: type below)"], ...examples] },
        { kind: "slider", name: "step", label: "output step", value: config.step, min: 0,
          max: Math.max(config.step, 1), step: 1 },
        { kind: "text", name: "source", label: "or type", value: config.source,
          placeholder: "a date, in any of the ten languages" },
      ],
      draw(values, figure, self) {
        const box = self.control("source").input;
        const select = self.control("example").input;
        let typed = values.source;
        if (values.example !== lastExample && values.example !== OWN) {
          typed = values.example;  // the drop-down moved last: it fills the box
          box.value = typed;
        }
        const source = (config.normalise ? normalise(typed) : typed).trim();
        select.value = examples.includes(source) ? source : OWN;  // moved last: the box
        lastExample = select.value;
        const slider = self.control("step");
        if (!source) {
          slider.input.max = 0;
          seqbook.core.caption(figure, "Choose an example or type a source, then press Enter.");
          return { source: "", translation: "", output_tokens: [], source_tokens: [],
                   weights: null, step: null };
        }
        const result = translate(model, config.source_symbols, config.target_symbols, source,
                                 config.max_length);
        const steps = result.output_tokens.length;
        slider.input.max = Math.max(steps - 1, 0);
        const step = Math.min(values.step, steps - 1);
        slider.input.value = String(step);
        slider.show(step);
        const unknown = result.source_tokens.flatMap((token, j) => (token === "<unk>" ? [Array.from(source)[j]] : []));
        const heading = `${quoted(source)} → ${quoted(result.translation)}`;
        figure.appendChild(element("div", { class: "seqbook-title", text: heading }));
        const chosen = result.output_tokens[step];
        const candidates = topCandidates(result.probabilities[step], config.target_symbols);
        const shown = { source, ...result, step, candidates, unknown };
        const columns = result.source_tokens.map((token, j) => (token === "<unk>" ? `${Array.from(source)[j]}?` : label(token)));
        if (attention) {
          const weights = result.weights;
          const dots = dotsFor(config.truth[source], steps, columns.length);
          seqbook.core.heatmap(figure, {
            matrix: weights, rowLabels: result.output_tokens.map(label), columnLabels: columns,
            highlightRow: step, dots,
            xLabel: "source (darker: more attention)" + (dots ? "; orange dots: the true alignment" : ""),
            yLabel: "output",
          });
          const row = weights[step];
          const top = Math.max(...row);
          const looked = row.flatMap((w, j) => (w === top ? [j] : []));
          shown.attended = looked;
          shown.truth_cells = dots ? dots.flat().filter(Boolean).length : 0;
          seqbook.core.caption(figure, `Output step ${step}, ${quoted(label(chosen))}, looks most at ` +
            looked.slice(0, 4).map((j) => `${quoted(columns[j])} (position ${j})`).join(", ") +
            (looked.length > 4 ? " ..." : "") + `: weight ${top.toFixed(2)}.`);
        }
        const bars = element("div", { style: "max-width: 420px" });
        figure.appendChild(bars);
        seqbook.core.barChart(bars, {
          width: 360, height: 220,
          title: `step ${step}: the decoder's top ${candidates.length} candidates`,
          labels: candidates.map(([token]) => label(token)),
          values: candidates.map(([, p]) => p),
          colours: candidates.map(([token]) => (token === chosen ? colours.blue : colours.gray)),
          y: { label: "probability", min: 0, max: 1 },
          format: (p) => p.toFixed(2),
        });
        const notes = [];
        if (unknown.length) {
          notes.push(`? marks a character the model never saw (read as <unk>): ${unknown.map(quoted).join(", ")}.`);
        }
        if (!attention) {
          notes.push("This model has no attention: it sees the source only through one context " +
            "vector. Each step shows how sure the decoder is of the character it writes.");
        }
        notes.push(`Written so far: ${quoted(result.output_tokens.slice(0, step + 1).join(""))}.`);
        seqbook.core.caption(figure, notes.join(" "));
        return shown;
      },
    });
    return api;
  });

  seqbook.attention = { normalise, encodeSource, gruStep, encode, start, greedy, translate,
                        unpackModel, translatePacked, topCandidates };
})(typeof globalThis !== "undefined" ? globalThis : window);
