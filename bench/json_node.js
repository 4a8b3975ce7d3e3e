// Node's side of the JSON benchmark: JSON.parse / JSON.stringify MB/s on the same file.
const fs = require("fs");
const text = fs.readFileSync(process.argv[2], "utf8");
const mb = Buffer.byteLength(text) / 1e6;
function best(fn) {
  let fastest = Infinity;
  for (let i = 0; i < 3; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    fastest = Math.min(fastest, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return fastest;
}
let value;
const report = (name, s) => console.log(`${name.padEnd(30)} ${(mb / s).toFixed(1).padStart(8)} MB/s`);
report("node JSON.parse", best(() => { value = JSON.parse(text); }));
report("node JSON.stringify", best(() => JSON.stringify(value)));
