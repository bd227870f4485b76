// The explorers' shared core: numbers, controls and SVG charts, in plain JavaScript
// (ES2020, no library, no build step).
//
// seqbook.views.live inlines this file, then an explorer's own file, into the explorer's
// notebook output, so the same code runs in the static book (opened from a server or from
// a folder on disk), in JupyterLab and in Colab, with no kernel. Under Node the tests load
// the same files (tests/js/run.js) and compare their numbers with the numpy reference.
//
// Conventions: a vector is an array of numbers, a matrix an array of its rows (what
// numpy's .tolist() gives), so W[i][j] is row i, column j, as in the book's equations.
// Everything computes in double precision.

(function (global) {
  "use strict";
  const seqbook = global.seqbook || (global.seqbook = {});
  if (seqbook.core) {
    return; // an earlier output on the page already defined it
  }

  // --- Numbers ---------------------------------------------------------------------------

  const linalg = {
    /** M v for a matrix M (rows x cols) and a vector v (cols). */
    matvec(M, v) {
      return M.map((row) => {
        let sum = 0;
        for (let j = 0; j < row.length; j++) sum += row[j] * v[j];
        return sum;
      });
    },
    /** Mᵀ v: the vector whose j-th entry is sum_i M[i][j] v[i]. */
    matTvec(M, v) {
      const out = new Array(M[0].length).fill(0);
      for (let i = 0; i < M.length; i++) {
        for (let j = 0; j < out.length; j++) out[j] += M[i][j] * v[i];
      }
      return out;
    },
    add(...vectors) {
      return vectors[0].map((_, i) => vectors.reduce((sum, v) => sum + v[i], 0));
    },
    sub(a, b) {
      return a.map((value, i) => value - b[i]);
    },
    mul(a, b) {
      return a.map((value, i) => value * b[i]);
    },
    scale(a, factor) {
      return a.map((value) => value * factor);
    },
    dot(a, b) {
      let sum = 0;
      for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
      return sum;
    },
    norm(a) {
      return Math.sqrt(linalg.dot(a, a));
    },
    tanh(a) {
      return a.map(Math.tanh);
    },
    /** The logistic function, computed stably as the numpy reference does. */
    sigmoid(a) {
      return a.map((value) => {
        const e = Math.exp(-Math.abs(value));
        return value >= 0 ? 1 / (1 + e) : e / (1 + e);
      });
    },
    /** softmax over a vector, shifted by its maximum so exp never overflows. */
    softmax(a) {
      const top = Math.max(...a);
      const exps = a.map((value) => Math.exp(value - top));
      const total = exps.reduce((sum, value) => sum + value, 0);
      return exps.map((value) => value / total);
    },
    argmax(a) {
      let best = 0;
      for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
      return best;
    },
    zeros(n) {
      return new Array(n).fill(0);
    },
    /** rows [start, start + count) of a matrix stacked by gate: one gate's block. */
    rows(M, start, count) {
      return M.slice(start, start + count);
    },
    slice(v, start, count) {
      return v.slice(start, start + count);
    },
  };

  // --- Controls --------------------------------------------------------------------------

  let uniqueNumber = 0;

  function element(tag, attributes = {}, children = []) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes)) {
      if (key === "text") node.textContent = value;
      else node.setAttribute(key, value);
    }
    for (const child of children) node.appendChild(child);
    return node;
  }

  function formatValue(spec, value) {
    if (spec.format) return spec.format(value);
    if (spec.kind === "slider" && spec.log) return Number(value.toPrecision(3)).toString();
    const decimals = (String(spec.step ?? 1).split(".")[1] || "").length;
    return Number(value).toFixed(decimals);
  }

  /**
   * One control from its spec: {kind: "slider" | "checkbox" | "select" | "text", name,
   * label, value, and for a slider min, max, step (log: true moves it on a log scale), for
   * a select options (an array of strings, or of [value, label] pairs)}.
   * Returns {node, input, read()}; read() gives the control's current value.
   */
  function makeControl(spec) {
    const id = `seqbook-control-${++uniqueNumber}`;
    const label = element("label", { for: id, text: spec.label ?? spec.name });
    let input;
    let read;
    let shown = null;
    if (spec.kind === "slider") {
      const position = (value) => (spec.log ? Math.log10(value) : value);
      input = element("input", {
        id, type: "range", name: spec.name,
        min: position(spec.min), max: position(spec.max),
        step: spec.log ? "any" : spec.step ?? 1, value: position(spec.value),
      });
      read = () => {
        const raw = Number(input.value);
        return spec.log ? 10 ** raw : raw;
      };
      shown = element("output", { for: id, text: formatValue(spec, spec.value) });
    } else if (spec.kind === "checkbox") {
      input = element("input", { id, type: "checkbox", name: spec.name });
      input.checked = Boolean(spec.value);
      read = () => input.checked;
    } else if (spec.kind === "select") {
      input = element("select", { id, name: spec.name });
      for (const option of spec.options) {
        const [value, text] = Array.isArray(option) ? option : [option, option];
        input.appendChild(element("option", { value, text }));
      }
      input.value = spec.value;
      read = () => input.value;
    } else if (spec.kind === "text") {
      input = element("input", { id, type: "text", name: spec.name, value: spec.value ?? "",
                                 placeholder: spec.placeholder ?? "" });
      read = () => input.value;
    } else {
      throw new Error(`unknown control kind ${spec.kind} for ${spec.name}`);
    }
    const node = element("div", { class: `seqbook-control seqbook-${spec.kind}` },
                         shown ? [label, input, shown] : [label, input]);
    return {
      node, input, read,
      show(value) {
        if (shown) shown.textContent = formatValue(spec, value);
      },
    };
  }

  // --- Explorers -------------------------------------------------------------------------

  const registry = {};

  /**
   * Register an explorer: build(root, config) fills root and returns nothing. Explorers
   * are usually made with seqbook.core.explorer, below.
   */
  function register(kind, build) {
    registry[kind] = build;
  }

  /**
   * The common shape of an explorer: a title, a row of controls and a figure redrawn at
   * every change. draw(values, figure) fills the figure (a div, emptied first) and returns
   * the numbers it drew; the root keeps them as root.seqbookShown, with the redraw count
   * and time in root.dataset, so a browser test can check the picture changed.
   */
  function explorer(root, { title, controls, draw, note }) {
    const made = controls.map(makeControl);
    const figure = element("div", { class: "seqbook-figure" });
    const heading = element("div", { class: "seqbook-title", text: title });
    const row = element("div", { class: "seqbook-controls" }, made.map((c) => c.node));
    root.replaceChildren(heading, row, figure);
    if (note) root.appendChild(element("div", { class: "seqbook-note", text: note }));
    let redraws = 0;
    const api = {
      values() {
        const values = {};
        controls.forEach((spec, k) => { values[spec.name] = made[k].read(); });
        return values;
      },
      control(name) {
        return made[controls.findIndex((spec) => spec.name === name)];
      },
      redraw() {
        const started = performance.now();
        const values = api.values();
        controls.forEach((spec, k) => made[k].show(values[spec.name]));
        figure.replaceChildren();
        root.seqbookShown = draw(values, figure, api);
        redraws += 1;
        root.dataset.redraws = String(redraws);
        root.dataset.lastDrawMs = (performance.now() - started).toFixed(1);
      },
    };
    for (const control of made) {
      const event = control.input.type === "text" ? "change" : "input";
      control.input.addEventListener(event, api.redraw);
    }
    api.redraw();
    return api;
  }

  /** Mount every not-yet-mounted element carrying data-seqbook-id="id". */
  function mountAll(kind, id, config) {
    const build = registry[kind];
    for (const root of document.querySelectorAll(`[data-seqbook-id="${id}"]`)) {
      if (root.dataset.mounted) continue;
      root.dataset.mounted = "yes";
      try {
        build(root, config);
      } catch (error) {
        root.textContent = `This explorer failed to start: ${error.message}`;
        throw error;
      }
    }
  }

  // --- Charts (SVG) ----------------------------------------------------------------------

  const SVG = "http://www.w3.org/2000/svg";

  // matplotlib's default colours, so the live figures match the book's static ones.
  const colours = {
    blue: "#1f77b4", orange: "#ff7f0e", green: "#2ca02c", red: "#d62728",
    purple: "#9467bd", brown: "#8c564b", pink: "#e377c2", gray: "#7f7f7f",
    olive: "#bcbd22", cyan: "#17becf",
  };

  function svgNode(tag, attributes = {}, text = null) {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
    if (text !== null) node.textContent = text;
    return node;
  }

  /** Forward map of an axis scale: "linear", "log" (base 10) or "symlog" (linear in
   * [-1, 1], log outside, as matplotlib's symlog with linthresh 1). */
  function transform(scale, value) {
    if (scale === "log") return Math.log10(value);
    if (scale === "symlog") {
      return Math.abs(value) <= 1 ? value : Math.sign(value) * (1 + Math.log10(Math.abs(value)));
    }
    return value;
  }

  function niceStep(span, count) {
    const raw = span / Math.max(count, 1);
    const power = 10 ** Math.floor(Math.log10(raw));
    for (const multiple of [1, 2, 2.5, 5, 10]) {
      if (multiple * power >= raw) return multiple * power;
    }
    return 10 * power;
  }

  function ticks(scale, low, high, count = 6) {
    if (scale === "log") {
      const first = Math.ceil(Math.log10(low));
      const last = Math.floor(Math.log10(high));
      const every = Math.max(1, Math.ceil((last - first + 1) / count));
      const out = [];
      for (let k = first; k <= last; k += every) out.push(10 ** k);
      return out;
    }
    if (scale === "symlog") {
      const out = [0];
      for (let k = 0; 10 ** k <= Math.max(Math.abs(low), Math.abs(high)); k++) {
        if (10 ** k <= high) out.push(10 ** k);
        if (-(10 ** k) >= low) out.unshift(-(10 ** k));
      }
      const every = Math.max(1, Math.ceil(out.length / (count + 2)));
      return out.filter((_, k) => k % every === 0 || out[k] === 0);
    }
    const step = niceStep(high - low, count);
    const out = [];
    for (let value = Math.ceil(low / step) * step; value <= high + step * 1e-9; value += step) {
      out.push(Math.abs(value) < step * 1e-9 ? 0 : value);
    }
    return out;
  }

  function tickLabel(scale, value) {
    if (scale === "log" || (scale === "symlog" && Math.abs(value) >= 10)) {
      const power = Math.round(Math.log10(Math.abs(value)));
      const sign = value < 0 ? "−" : "";
      return power >= -2 && power <= 3 ? sign + String(10 ** power) : `${sign}1e${power}`;
    }
    return Number(value.toPrecision(6)).toString().replace("-", "−");
  }

  /**
   * A line chart into container. options: {width, height, title, x: {label, min, max,
   * scale}, y: {label, min, max, scale}, series: [{x, y, colour, width, opacity, marker,
   * dash, label}], bands: [{y0, y1, colour, opacity}], vlines: [{x, colour, dash}],
   * legend: true}. x defaults to 0, 1, 2, ...; values outside y's range are clipped.
   * Returns the svg node.
   */
  function lineChart(container, options) {
    const width = options.width ?? 640;
    const height = options.height ?? 300;
    const margin = { left: 64, right: 16, top: options.title ? 28 : 12, bottom: 42 };
    const xs = options.series.flatMap((s) => s.x ?? s.y.map((_, k) => k));
    const x = { scale: "linear", min: Math.min(...xs), max: Math.max(...xs), ...options.x };
    const y = { scale: "linear", ...options.y };
    const svg = svgNode("svg", {
      viewBox: `0 0 ${width} ${height}`, width: "100%", role: "img",
      "aria-label": options.title ?? "chart", class: "seqbook-chart",
    });
    const plotWidth = width - margin.left - margin.right;
    const plotHeight = height - margin.top - margin.bottom;
    const [x0, x1] = [transform(x.scale, x.min), transform(x.scale, x.max)];
    const [y0, y1] = [transform(y.scale, y.min), transform(y.scale, y.max)];
    const px = (value) => margin.left + ((transform(x.scale, value) - x0) / (x1 - x0 || 1)) * plotWidth;
    const py = (value) => {
      const clipped = Math.min(Math.max(value, y.min), y.max);
      return margin.top + (1 - (transform(y.scale, clipped) - y0) / (y1 - y0 || 1)) * plotHeight;
    };
    const clipId = `seqbook-clip-${++uniqueNumber}`;
    const defs = svgNode("defs");
    const clip = svgNode("clipPath", { id: clipId });
    clip.appendChild(svgNode("rect", { x: margin.left, y: margin.top, width: plotWidth, height: plotHeight }));
    defs.appendChild(clip);
    svg.appendChild(defs);
    for (const band of options.bands ?? []) {
      const top = py(band.y1);
      svg.appendChild(svgNode("rect", {
        x: margin.left, y: top, width: plotWidth, height: py(band.y0) - top,
        fill: band.colour ?? colours.blue, "fill-opacity": band.opacity ?? 0.08,
      }));
    }
    // axes, ticks and grid
    const axis = svgNode("g", { class: "seqbook-axis", "font-size": 11, fill: "#333" });
    for (const value of ticks(y.scale, y.min, y.max)) {
      const at = py(value);
      axis.appendChild(svgNode("line", { x1: margin.left, x2: margin.left + plotWidth, y1: at, y2: at, stroke: "#ddd" }));
      axis.appendChild(svgNode("text", { x: margin.left - 6, y: at + 4, "text-anchor": "end" }, tickLabel(y.scale, value)));
    }
    for (const value of ticks(x.scale, x.min, x.max, 8)) {
      const at = px(value);
      axis.appendChild(svgNode("line", { x1: at, x2: at, y1: margin.top + plotHeight, y2: margin.top + plotHeight + 4, stroke: "#333" }));
      axis.appendChild(svgNode("text", { x: at, y: margin.top + plotHeight + 16, "text-anchor": "middle" }, tickLabel(x.scale, value)));
    }
    axis.appendChild(svgNode("rect", { x: margin.left, y: margin.top, width: plotWidth, height: plotHeight, fill: "none", stroke: "#333" }));
    if (x.label) {
      axis.appendChild(svgNode("text", { x: margin.left + plotWidth / 2, y: height - 6, "text-anchor": "middle" }, x.label));
    }
    if (y.label) {
      const cx = 14;
      const cy = margin.top + plotHeight / 2;
      axis.appendChild(svgNode("text", { x: cx, y: cy, "text-anchor": "middle", transform: `rotate(-90 ${cx} ${cy})` }, y.label));
    }
    if (options.title) {
      axis.appendChild(svgNode("text", { x: margin.left, y: 18, "font-size": 13, "font-weight": "bold" }, options.title));
    }
    svg.appendChild(axis);
    const plot = svgNode("g", { "clip-path": `url(#${clipId})` });
    for (const line of options.vlines ?? []) {
      plot.appendChild(svgNode("line", {
        x1: px(line.x), x2: px(line.x), y1: margin.top, y2: margin.top + plotHeight,
        stroke: line.colour ?? colours.gray, "stroke-dasharray": line.dash ?? "4 3",
      }));
    }
    for (const series of options.series) {
      const points = series.y.map((value, k) => [px(series.x ? series.x[k] : k), py(value)]);
      const style = {
        fill: "none", stroke: series.colour ?? colours.blue, "stroke-width": series.width ?? 2,
        "stroke-opacity": series.opacity ?? 1,
      };
      if (series.dash) style["stroke-dasharray"] = series.dash;
      plot.appendChild(svgNode("polyline", { ...style, points: points.map((p) => p.join(",")).join(" ") }));
      if (series.marker) {
        for (const [cx, cy] of points) {
          plot.appendChild(svgNode("circle", { cx, cy, r: 3, fill: style.stroke, "fill-opacity": style["stroke-opacity"] }));
        }
      }
    }
    svg.appendChild(plot);
    const labelled = options.series.filter((s) => s.label);
    if (options.legend !== false && labelled.length) {
      const legend = svgNode("g", { "font-size": 11 });
      labelled.forEach((series, k) => {
        const top = margin.top + 8 + 16 * k;
        legend.appendChild(svgNode("line", { x1: margin.left + 8, x2: margin.left + 28, y1: top, y2: top, stroke: series.colour ?? colours.blue, "stroke-width": 2, "stroke-opacity": series.opacity ?? 1 }));
        legend.appendChild(svgNode("text", { x: margin.left + 34, y: top + 4, fill: "#222", "fill-opacity": Math.max(series.opacity ?? 1, 0.6) }, series.label));
      });
      svg.appendChild(legend);
    }
    container.appendChild(svg);
    return svg;
  }

  /**
   * A bar chart: options {width, height, title, labels, values, colours, y: {label, min,
   * max, scale}}. Returns the svg node.
   */
  function barChart(container, options) {
    const width = options.width ?? 320;
    const height = options.height ?? 300;
    const margin = { left: 64, right: 12, top: options.title ? 28 : 12, bottom: 42 };
    const y = { scale: "linear", min: 0, ...options.y };
    const svg = svgNode("svg", { viewBox: `0 0 ${width} ${height}`, width: "100%", role: "img", "aria-label": options.title ?? "bar chart", class: "seqbook-chart" });
    const plotWidth = width - margin.left - margin.right;
    const plotHeight = height - margin.top - margin.bottom;
    const [y0, y1] = [transform(y.scale, y.min), transform(y.scale, y.max)];
    const py = (value) => margin.top + (1 - (transform(y.scale, Math.min(Math.max(value, y.min), y.max)) - y0) / (y1 - y0)) * plotHeight;
    const axis = svgNode("g", { "font-size": 11, fill: "#333" });
    const grid = svgNode("g"); // drawn first, so the bars cover it
    svg.appendChild(grid);
    for (const value of ticks(y.scale, y.min, y.max)) {
      grid.appendChild(svgNode("line", { x1: margin.left, x2: margin.left + plotWidth, y1: py(value), y2: py(value), stroke: "#ddd" }));
      axis.appendChild(svgNode("text", { x: margin.left - 6, y: py(value) + 4, "text-anchor": "end" }, tickLabel(y.scale, value)));
    }
    const slot = plotWidth / options.values.length;
    options.values.forEach((value, k) => {
      const top = py(value);
      svg.appendChild(svgNode("rect", {
        x: margin.left + slot * (k + 0.15), y: top, width: slot * 0.7,
        height: margin.top + plotHeight - top,
        fill: (options.colours ?? [])[k] ?? colours.blue,
      }));
      axis.appendChild(svgNode("text", { x: margin.left + slot * (k + 0.5), y: margin.top + plotHeight + 16, "text-anchor": "middle" }, options.labels[k]));
      axis.appendChild(svgNode("text", { x: margin.left + slot * (k + 0.5), y: Math.max(top - 4, margin.top + 10), "text-anchor": "middle" }, options.format ? options.format(value) : tickLabel("linear", Number(value.toPrecision(3)))));
    });
    axis.appendChild(svgNode("rect", { x: margin.left, y: margin.top, width: plotWidth, height: plotHeight, fill: "none", stroke: "#333" }));
    if (y.label) {
      const cx = 14;
      const cy = margin.top + plotHeight / 2;
      axis.appendChild(svgNode("text", { x: cx, y: cy, "text-anchor": "middle", transform: `rotate(-90 ${cx} ${cy})` }, y.label));
    }
    if (options.title) axis.appendChild(svgNode("text", { x: margin.left, y: 18, "font-size": 13, "font-weight": "bold" }, options.title));
    svg.appendChild(axis);
    container.appendChild(svg);
    return svg;
  }

  /**
   * A heat map of a matrix (rows x columns) of values in [min, max] (default [0, 1]):
   * options {matrix, rowLabels, columnLabels, title, xLabel, yLabel, highlightRow,
   * dots (a 0/1 matrix drawn as dots), cell (pixel size), colour}. Returns the svg node.
   */
  function heatmap(container, options) {
    const matrix = options.matrix;
    const cell = options.cell ?? 22;
    const margin = { left: 70, right: 12, top: options.title ? 30 : 12, bottom: 56 };
    const width = margin.left + cell * matrix[0].length + margin.right;
    const height = margin.top + cell * matrix.length + margin.bottom;
    const low = options.min ?? 0;
    const high = options.max ?? 1;
    const svg = svgNode("svg", { viewBox: `0 0 ${width} ${height}`, width: "100%", role: "img", "aria-label": options.title ?? "heat map", class: "seqbook-chart", style: `max-width: ${Math.max(width, 320)}px` });
    const base = options.colour ?? [8, 48, 107]; // dark blue, as matplotlib's "Blues"
    matrix.forEach((row, i) => row.forEach((value, j) => {
      const share = Math.min(Math.max((value - low) / (high - low), 0), 1);
      const mix = (k) => Math.round(255 + (base[k] - 255) * share);
      svg.appendChild(svgNode("rect", {
        x: margin.left + j * cell, y: margin.top + i * cell, width: cell, height: cell,
        fill: `rgb(${mix(0)},${mix(1)},${mix(2)})`,
      }));
      if (options.dots && options.dots[i][j]) {
        svg.appendChild(svgNode("circle", { cx: margin.left + (j + 0.5) * cell, cy: margin.top + (i + 0.5) * cell, r: cell * 0.15, fill: colours.orange }));
      }
    }));
    if (options.highlightRow !== undefined && options.highlightRow !== null) {
      svg.appendChild(svgNode("rect", { x: margin.left, y: margin.top + options.highlightRow * cell, width: cell * matrix[0].length, height: cell, fill: "none", stroke: colours.red, "stroke-width": 2 }));
    }
    const labels = svgNode("g", { "font-size": 11, fill: "#333", "font-family": "monospace" });
    (options.rowLabels ?? []).forEach((text, i) => {
      labels.appendChild(svgNode("text", { x: margin.left - 6, y: margin.top + (i + 0.5) * cell + 4, "text-anchor": "end" }, text));
    });
    (options.columnLabels ?? []).forEach((text, j) => {
      labels.appendChild(svgNode("text", { x: margin.left + (j + 0.5) * cell, y: margin.top + matrix.length * cell + 14, "text-anchor": "middle" }, text));
    });
    svg.appendChild(labels);
    const words = svgNode("g", { "font-size": 12, fill: "#222" });
    if (options.title) words.appendChild(svgNode("text", { x: 4, y: 18, "font-size": 13, "font-weight": "bold" }, options.title));
    if (options.xLabel) words.appendChild(svgNode("text", { x: margin.left, y: height - 10 }, options.xLabel));
    if (options.yLabel) {
      const cy = margin.top + (matrix.length * cell) / 2;
      words.appendChild(svgNode("text", { x: 12, y: cy, "text-anchor": "middle", transform: `rotate(-90 12 ${cy})` }, options.yLabel));
    }
    svg.appendChild(words);
    container.appendChild(svg);
    return svg;
  }

  /** A line of text under or above a figure. */
  function caption(container, text, className = "seqbook-caption") {
    const node = element("div", { class: className, text });
    container.appendChild(node);
    return node;
  }

  // --- Packed arrays -----------------------------------------------------------------------

  /**
   * An array packed by seqbook.views.live.pack_array: {dtype: "float32" | "float64",
   * shape: [...], base64: its little-endian bytes}. Returns nested arrays of numbers (a
   * vector, a matrix as rows, ...), the same values numpy holds, in double precision.
   */
  function unpack(packed) {
    const text = atob(packed.base64);
    const bytes = new Uint8Array(text.length);
    for (let k = 0; k < text.length; k++) bytes[k] = text.charCodeAt(k);
    const view = new DataView(bytes.buffer);
    const size = packed.dtype === "float32" ? 4 : 8;
    const flat = new Array(bytes.length / size);
    for (let k = 0; k < flat.length; k++) {
      flat[k] = size === 4 ? view.getFloat32(k * size, true) : view.getFloat64(k * size, true);
    }
    const shape = packed.shape;
    if (flat.length !== shape.reduce((product, n) => product * n, 1)) {
      throw new Error(`packed array of shape [${shape}] holds ${flat.length} numbers`);
    }
    function nest(start, axis) {
      if (axis === shape.length) return flat[start];
      const stride = shape.slice(axis + 1).reduce((product, n) => product * n, 1);
      const out = new Array(shape[axis]);
      for (let k = 0; k < shape[axis]; k++) out[k] = nest(start + k * stride, axis + 1);
      return out;
    }
    return shape.length === 0 ? flat[0] : nest(0, 0);
  }

  seqbook.core = {
    linalg, register, explorer, mountAll, registry, element, makeControl,
    colours, lineChart, barChart, heatmap, caption, ticks, transform, unpack,
  };
})(typeof globalThis !== "undefined" ? globalThis : window);
