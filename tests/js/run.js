// Runs the book's explorer JavaScript under Node for the tests (tests/js/node.py).
// Reads a request {files: [paths], calls: [{function: "rnn.repeatedMultiply", args: [...]}]}
// as JSON on stdin, loads the files into this context as the browser would (they attach
// themselves to globalThis.seqbook), calls each function and prints the results as JSON.
"use strict";
const fs = require("fs");
const vm = require("vm");

function plain(value) {
  if (ArrayBuffer.isView(value)) return Array.from(value);
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

const request = JSON.parse(fs.readFileSync(0, "utf-8"));
for (const file of request.files) {
  vm.runInThisContext(fs.readFileSync(file, "utf-8"), { filename: file });
}
const results = request.calls.map((call) => {
  let target = globalThis.seqbook;
  const parts = call.function.split(".");
  for (const part of parts.slice(0, -1)) target = target[part];
  const fn = target[parts[parts.length - 1]];
  if (typeof fn !== "function") throw new Error(`no function seqbook.${call.function}`);
  return plain(fn.apply(target, call.args));
});
process.stdout.write(JSON.stringify(results));
