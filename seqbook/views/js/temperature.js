// Chapter 1's temperature explorer: the lab's trained name model (a one-hot input, torch's
// nn.RNN, a linear read-out; seqbook.models.CharModel), its float32 weights carried in the
// explorer's config, reads the reader's prefix in the browser and shows the distribution of
// the next letter at a temperature, equation (1.14), beside names sampled from it. The math
// mirrors seqbook.models.next_character_distribution; tests/js compares them under Node.

(function (global) {
  "use strict";
  const seqbook = global.seqbook;
  if (seqbook.temperature) return;
  const { colours, linalg } = seqbook.core;

  /** The model as its config carries it (packed float32 arrays), ready to run. */
  function unpackModel(packed) {
    const model = {};
    for (const [name, value] of Object.entries(packed)) model[name] = seqbook.core.unpack(value);
    return model;
  }

  /** One torch nn.RNN (tanh) step on the one-hot input of symbol id: the input term is
   * column id of W_ih. */
  function step(model, id, hidden) {
    const input = model.weight_ih.map((row) => row[id]);
    return linalg.tanh(linalg.add(input, model.bias_ih, linalg.matvec(model.weight_hh, hidden),
                                  model.bias_hh));
  }

  /** softmax(scores / temperature), stabilised by the largest score
   * (seqbook.models.temperature_softmax). */
  function temperatureSoftmax(scores, temperature) {
    const scaled = scores.map((s) => s / temperature);
    const top = Math.max(...scaled);
    const exps = scaled.map((s) => Math.exp(s - top));
    const total = exps.reduce((a, b) => a + b, 0);
    return exps.map((e) => e / total);
  }

  /** Letters to ids in the vocabulary's symbols (id = position); letters it lacks are
   * dropped, as the explorer's prefix box keeps only a to z. */
  function encode(text, symbols) {
    return [...text.toLowerCase()].map((c) => symbols.indexOf(c)).filter((id) => id > 0);
  }

  /** The hidden state after reading the start symbol (id endId) and then ids. */
  function readPrefix(model, ids, endId) {
    let hidden = linalg.zeros(model.weight_hh.length);
    for (const id of [endId, ...ids]) hidden = step(model, id, hidden);
    return hidden;
  }

  /** The distribution of the next symbol after the prefix at a temperature
   * (seqbook.models.next_character_distribution). */
  function nextDistribution(model, symbols, prefix, temperature, endId = 0) {
    const hidden = readPrefix(model, encode(prefix, symbols), endId);
    const scores = linalg.add(linalg.matvec(model.readout_weight, hidden), model.readout_bias);
    return temperatureSoftmax(scores, temperature);
  }

  /** The entropy -sum p ln p in nats (seqbook.models.entropy). */
  function entropy(probabilities) {
    return -probabilities.reduce((sum, p) => (p > 0 ? sum + p * Math.log(p) : sum), 0);
  }

  /** A small seeded generator of numbers in [0, 1) (mulberry32): the browser's samples
   * are reproducible, though not the ones torch's generator draws in the lab. */
  function generator(seed) {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  /** Names that go on from the prefix, one letter at a time, each drawn from the
   * temperature's distribution and fed back in, until the end symbol (or maxLength). */
  function sampleNames(model, symbols, prefix, temperature, count, seed, maxLength = 20,
                       endId = 0) {
    const random = generator(seed);
    const start = encode(prefix, symbols);
    const names = [];
    for (let n = 0; n < count; n++) {
      let hidden = readPrefix(model, start, endId);
      const letters = start.slice();
      while (letters.length < maxLength) {
        const scores = linalg.add(linalg.matvec(model.readout_weight, hidden), model.readout_bias);
        const p = temperatureSoftmax(scores, temperature);
        let u = random();
        let id = p.length - 1;
        for (let k = 0; k < p.length; k++) {
          u -= p[k];
          if (u < 0) { id = k; break; }
        }
        if (id === endId) break;
        letters.push(id);
        hidden = step(model, id, hidden);
      }
      names.push(letters.map((id) => symbols[id]).join(""));
    }
    return names;
  }

  seqbook.core.register("temperature", (root, config) => {
    const model = unpackModel(config.model);
    const symbols = config.symbols;
    const endId = symbols.indexOf(config.end);
    seqbook.core.explorer(root, {
      title: "Sampling the name model at a temperature",
      controls: [
        { kind: "text", name: "prefix", label: "prefix", value: config.prefix, placeholder: "letters a to z" },
        { kind: "slider", name: "temperature", label: "temperature τ", min: 0.1, max: 5, log: true, value: config.temperature },
      ],
      draw({ prefix, temperature }, figure) {
        const p = nextDistribution(model, symbols, prefix, temperature, endId);
        const names = sampleNames(model, symbols, prefix, temperature, 8, config.seed, 20, endId);
        const shownPrefix = encode(prefix, symbols).map((id) => symbols[id]).join("");
        seqbook.core.barChart(figure, {
          width: 640, height: 260,
          title: `the letter after "${shownPrefix}" at τ = ${temperature.toFixed(2)}`,
          labels: symbols, values: p,
          colours: symbols.map((s) => (s === config.end ? colours.orange : colours.blue)),
          y: { label: "probability", min: 0, max: 1 },
          format: (value) => (value >= 0.05 ? value.toFixed(2) : ""),
        });
        const H = entropy(p);
        seqbook.core.caption(figure, `entropy ${H.toFixed(2)} nats (uniform: ln ${symbols.length} = ` +
          `${Math.log(symbols.length).toFixed(2)}); "${config.end}" ends the name`);
        seqbook.core.caption(figure, `sampled: ${names.join(", ")}`);
        return { probabilities: p, entropy: H, names };
      },
    });
  });

  seqbook.temperature = { temperatureSoftmax, nextDistribution, entropy, sampleNames, encode, unpackModel };
})(typeof globalThis !== "undefined" ? globalThis : window);
