// The same PostgreSQL round trips through Node's pg (npm), for bench/pg/run.sh.
// Prints: sequential-queries/s concurrent-queries/s.
//   node bench/pg/bench.js URL [queries] [tasks] [pool]
const { Pool } = require("pg");
const [url, queries = "10000", tasks = "100", pool = "4"] = process.argv.slice(2);
const QUERIES = Number(queries), TASKS = Number(tasks), POOL = Number(pool);

async function main() {
  const db = new Pool({ connectionString: url, max: POOL });
  const warm = [];
  for (let i = 0; i < POOL; i++) warm.push((async () => { for (let j = 0; j < 50; j++) await db.query("SELECT $1::int AS n", [i]); })());
  await Promise.all(warm);

  let started = process.hrtime.bigint();
  for (let i = 1; i <= QUERIES; i++) {
    const { rows } = await db.query("SELECT $1::int AS n", [i]);
    if (rows[0].n !== i) throw new Error("wrong answer");
  }
  const sequential = QUERIES / (Number(process.hrtime.bigint() - started) / 1e9);

  const per = Math.floor(QUERIES / TASKS);
  started = process.hrtime.bigint();
  const workers = [];
  for (let t = 0; t < TASKS; t++) {
    workers.push((async () => {
      for (let i = 1; i <= per; i++) {
        const { rows } = await db.query("SELECT $1::int AS n", [i]);
        if (rows[0].n !== i) throw new Error("wrong answer");
      }
    })());
  }
  await Promise.all(workers);
  const concurrent = (per * TASKS) / (Number(process.hrtime.bigint() - started) / 1e9);
  console.log(`${sequential.toFixed(0)} ${concurrent.toFixed(0)}`);
  await db.end();
}

main().catch((e) => { console.error(e.message); process.exit(1); });
