// Chapter 3's explorers: one GRU unit with its gates held (section 3.4) and the
// parameters of one RNN, GRU and LSTM layer. The math mirrors seqbook.reference.gru;
// tests/js compares the two under Node, and the counts with torch's modules.

(function (global) {
  "use strict";
  const seqbook = global.seqbook;
  if (seqbook.gru) return;
  const { colours } = seqbook.core;

  /**
   * One GRU unit with its gates held fixed, equations (3.3) and (3.4) in one dimension
   * (seqbook.reference.gru_unit_trajectory): n_t = tanh(drive + r * w * h_{t-1}) and
   * h_t = (1 - z) n_t + z h_{t-1}. Returns {hiddens: h_0 ... h_steps, candidates: NaN
   * (none before step 1), n_1 ... n_steps}.
   */
  function gruUnitTrajectory(updateGate, resetGate, inputDrive, steps, hidden0 = 0.8,
                             recurrentWeight = 2.0) {
    const hiddens = [hidden0];
    const candidates = [NaN];
    for (let t = 0; t < steps; t++) {
      const previous = hiddens[hiddens.length - 1];
      const candidate = Math.tanh(inputDrive + resetGate * recurrentWeight * previous);
      hiddens.push((1.0 - updateGate) * candidate + updateGate * previous);
      candidates.push(candidate);
    }
    return { hiddens, candidates };
  }

  /** Parameters of one layer of torch's RNN, GRU and LSTM, both biases counted
   * (seqbook.reference.parameter_counts): one block is H*D + H*H + 2H. */
  function parameterCounts(inputSize, hiddenSize) {
    const oneBlock = hiddenSize * inputSize + hiddenSize * hiddenSize + 2 * hiddenSize;
    return { rnn: oneBlock, gru: 3 * oneBlock, lstm: 4 * oneBlock };
  }

  const GRU_STEPS = 15;

  seqbook.core.register("gru_unit", (root, config) => {
    seqbook.core.explorer(root, {
      title: "One GRU unit with its gates held",
      controls: [
        { kind: "slider", name: "update_gate", label: "update z", min: 0, max: 1, step: 0.05, value: config.update_gate },
        { kind: "slider", name: "reset_gate", label: "reset r", min: 0, max: 1, step: 0.05, value: config.reset_gate },
        { kind: "slider", name: "input_drive", label: "input drive", min: -3, max: 3, step: 0.1, value: config.input_drive },
      ],
      draw({ update_gate: z, reset_gate: r, input_drive: drive }, figure) {
        const { hiddens, candidates } = gruUnitTrajectory(z, r, drive, GRU_STEPS);
        const steps = hiddens.map((_, t) => t);
        const sign = drive < 0 ? "−" : "+";
        seqbook.core.lineChart(figure, {
          title: `z = ${z.toFixed(2)} (keep), r = ${r.toFixed(2)}, input drive ${sign}${Math.abs(drive).toFixed(1)}`,
          x: { label: "step t", min: 0, max: GRU_STEPS },
          y: { label: "value", min: -1.05, max: 1.05 },
          series: [
            { x: [0, GRU_STEPS], y: [0, 0], colour: "#b3b3b3", width: 0.8 },
            { x: steps, y: hiddens, colour: colours.blue, marker: true, label: "state h_t" },
            { x: steps.slice(1), y: candidates.slice(1), colour: colours.orange, marker: true,
              dash: "6 4", opacity: 0.8, label: "candidate n_t" },
          ],
        });
        seqbook.core.caption(figure, `after ${GRU_STEPS} steps h = ${hiddens[GRU_STEPS].toFixed(3)}` +
          (z === 1 ? ": z = 1 keeps h_0 whatever the input" : `, the candidate n = ${candidates[GRU_STEPS].toFixed(3)}`));
        return { hiddens, candidates };
      },
    });
  });

  seqbook.core.register("parameters", (root, config) => {
    seqbook.core.explorer(root, {
      title: "Parameters per layer",
      controls: [
        { kind: "slider", name: "input_size", label: "input D", min: 1, max: 512, step: 1, value: config.input_size },
        { kind: "slider", name: "hidden_size", label: "hidden H", min: 1, max: 1024, step: 1, value: config.hidden_size },
      ],
      draw({ input_size: D, hidden_size: H }, figure) {
        const counts = parameterCounts(D, H);
        const chart = seqbook.core.element("div", { style: "max-width: 560px" }); // not blown up on a wide page
        figure.appendChild(chart);
        seqbook.core.barChart(chart, {
          width: 480, height: 300,
          title: `one layer, input size D = ${D}, hidden size H = ${H}`,
          labels: ["RNN", "GRU", "LSTM"], values: [counts.rnn, counts.gru, counts.lstm],
          colours: [colours.gray, colours.green, colours.blue],
          y: { label: "parameters", min: 0, max: 1.15 * counts.lstm },
          format: (value) => value.toLocaleString("en-US"),
        });
        seqbook.core.caption(figure, `each block is H·D + H·H + 2H = ${counts.rnn.toLocaleString("en-US")} ` +
          "numbers: the RNN has one block, the GRU three (r, z, n), the LSTM four (i, f, g, o)");
        return counts;
      },
    });
  });

  seqbook.gru = { gruUnitTrajectory, parameterCounts };
})(typeof globalThis !== "undefined" ? globalThis : window);
