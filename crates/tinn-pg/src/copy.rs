//! `db:copyIn(sql, rows)`: rows encoded in COPY's text format (tab-separated, `\N` for NULL,
//! backslash escapes), streamed to the server in one COPY ... FROM STDIN.

use mlua::{Table, Value};

use crate::value::{param_from_lua, Param};

/// Encodes `rows`, an array of rows each `{ n = count, ... }` as tinn.sql.common encodes
/// parameters, as COPY text.
pub(crate) fn encode_rows(rows: &Table) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    for index in 1..=rows.raw_len() {
        let row: Table = match rows.raw_get::<Value>(index) {
            Ok(Value::Table(row)) => row,
            Ok(other) => return Err(format!("row {index}: table expected, got {}", other.type_name())),
            Err(e) => return Err(e.to_string()),
        };
        let columns: Option<usize> = row.raw_get("n").map_err(|e| e.to_string())?;
        for column in 1..=columns.unwrap_or_else(|| row.raw_len()) {
            if column > 1 {
                out.push(b'\t');
            }
            let value = row.raw_get(column).map_err(|e| e.to_string())?;
            let param = param_from_lua(value).map_err(|e| format!("row {index}, column {column}: {e}"))?;
            encode(&param, &mut out);
        }
        out.push(b'\n');
    }
    Ok(out)
}

fn encode(param: &Param, out: &mut Vec<u8>) {
    match param {
        Param::Null => out.extend_from_slice(b"\\N"),
        Param::Bool(b) => out.push(if *b { b't' } else { b'f' }),
        Param::Int(i) => out.extend_from_slice(i.to_string().as_bytes()),
        Param::Float(f) => out.extend_from_slice(crate::value::float_text(*f).as_bytes()),
        Param::Text(bytes) => escape(bytes, out),
        Param::Blob(bytes) => {
            // bytea's hex input form; its backslash is itself escaped in COPY text
            out.extend_from_slice(b"\\\\x");
            for byte in bytes {
                out.extend_from_slice(format!("{byte:02x}").as_bytes());
            }
        }
        Param::Table { json: Ok(text), .. } => escape(text.as_bytes(), out),
        Param::Table { json: Err(_), .. } => out.extend_from_slice(b"\\N"),
    }
}

fn escape(bytes: &[u8], out: &mut Vec<u8>) {
    for &byte in bytes {
        match byte {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => out.push(byte),
        }
    }
}
