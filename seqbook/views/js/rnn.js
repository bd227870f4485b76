// Chapter 1's explorers: repeated squashing (section 1.3). The math mirrors
// seqbook.reference.rnn; tests/js compares the two under Node.

(function (global) {
  "use strict";
  const seqbook = global.seqbook;
  if (seqbook.rnn) return;
  const { colours } = seqbook.core;

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

  seqbook.rnn = { repeatedMultiply };
})(typeof globalThis !== "undefined" ? globalThis : window);
