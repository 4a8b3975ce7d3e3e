//! Baseline for bench/sql.lua: the same work driven by rusqlite directly from Rust, on the same
//! bundled SQLite with the same settings tinn.sqlite uses (WAL, synchronous NORMAL, foreign
//! keys, prepared statements). Usage: rusqlite-bench <db file> <rows>. Prints
//! "<inserts/s> <point selects/s>".

use std::time::Instant;

use rusqlite::{params, Connection};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: rusqlite-bench <db file> <rows>")?;
    let rows: i64 = args.next().ok_or("usage: rusqlite-bench <db file> <rows>")?.parse()?;
    let mut conn = Connection::open(&path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")?;
    conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL)")?;

    let started = Instant::now();
    let tx = conn.transaction()?;
    {
        let mut insert = tx.prepare("INSERT INTO t (id, name, score) VALUES (?, ?, ?)")?;
        for i in 1..=rows {
            insert.execute(params![i, format!("name{i}"), i as f64 * 0.5])?;
        }
    }
    tx.commit()?;
    let inserts = rows as f64 / started.elapsed().as_secs_f64();

    let started = Instant::now();
    let mut select = conn.prepare("SELECT id, name, score FROM t WHERE id = ?")?;
    let mut checksum = 0i64;
    for i in 1..=rows {
        let id = (i * 7919) % rows + 1;
        let (got, name, _score): (i64, String, f64) =
            select.query_row([id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?;
        checksum += got + name.len() as i64;
    }
    let selects = rows as f64 / started.elapsed().as_secs_f64();
    if checksum == 0 {
        return Err("no rows read".into());
    }
    println!("{inserts:.0} {selects:.0}");
    Ok(())
}
