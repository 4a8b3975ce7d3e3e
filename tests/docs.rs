//! Every ```lua block in `docs/*.md` and `README.md` runs through the real binary and must exit 0,
//! so the documentation cannot rot.
//!
//! A block whose first line is `-- not run: <reason>` is skipped (say why). A block whose first
//! line names a test file, `-- example_test.lua ...`, is saved under that name and run with
//! `tinn test`. Each block runs in a fresh temporary folder, with a time limit. A block whose
//! first line names a file of `examples/` (`-- examples/hello.lua: ...`) must be that file, word
//! for word.
//!
//! A block that shows output with `-->` (after a line of code, or on a line of its own for the
//! next line printed) must print exactly those lines, in order and nothing else. Runs of spaces
//! and tabs compare equal, and `...` stands for any text (a port, a time, an OS message).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::line_matches;

/// In a `-->` line, stands for text that differs per run.
const ANY_TEXT: &str = "...";

/// A block that runs longer than this fails (a server example that never ends, say).
const BLOCK_TIME_LIMIT: Duration = Duration::from_secs(30);

struct Block {
    file: PathBuf,
    line: usize,
    code: String,
}

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn lua_blocks(file: &Path) -> Vec<Block> {
    let text = std::fs::read_to_string(file).expect("a readable doc page");
    let mut blocks = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (index, line) in text.lines().enumerate() {
        match &mut current {
            None if line.trim_start() == "```lua" => current = Some((index + 2, String::new())),
            None => {}
            Some(_) if line.trim_start().starts_with("```") => {
                if let Some((line, code)) = current.take() {
                    blocks.push(Block { file: file.to_path_buf(), line, code });
                }
            }
            Some((_, code)) => {
                code.push_str(line);
                code.push('\n');
            }
        }
    }
    blocks
}

fn pages() -> Vec<PathBuf> {
    let mut pages: Vec<PathBuf> = std::fs::read_dir(repository().join("docs"))
        .expect("docs/ exists")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    pages.sort();
    pages.push(repository().join("README.md"));
    pages
}

/// The output lines a block shows with `-->`, in order.
fn shown_output(code: &str) -> Vec<String> {
    code.lines()
        .filter_map(|line| line.split_once("-->").map(|(_, shown)| shown))
        .map(|shown| shown.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

/// Where stdout departs from the block's `-->` lines, if it does.
fn output_mismatch(shown: &[String], stdout: &str) -> Option<String> {
    let printed: Vec<String> = stdout.lines().map(|line| line.split_whitespace().collect::<Vec<_>>().join(" ")).collect();
    for index in 0..shown.len().max(printed.len()) {
        let (want, got) = (shown.get(index), printed.get(index));
        let same = match (want, got) {
            (Some(want), Some(got)) => line_matches(want, got, ANY_TEXT),
            _ => false,
        };
        if !same {
            return Some(format!("output line {}: the page shows {want:?}, the run printed {got:?}", index + 1));
        }
    }
    None
}

/// Runs one block; returns a description of the failure, if any.
fn run_block(block: &Block, index: usize) -> Option<String> {
    let first = block.code.lines().next().unwrap_or("").trim();
    if first.starts_with("-- not run:") {
        return None;
    }
    let dir = std::env::temp_dir().join(format!("tinn-docs-{}-{index}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let test_file = first
        .strip_prefix("-- ")
        .and_then(|rest| rest.split_whitespace().next())
        .filter(|name| name.ends_with("_test.lua") && !name.contains('/'));
    let mut command = Command::new(env!("CARGO_BIN_EXE_tinn"));
    command.current_dir(&dir).env_remove("LUA_PATH").env_remove("LUA_CPATH");
    match test_file {
        Some(name) => {
            std::fs::write(dir.join(name), &block.code).expect("write the block");
            command.args(["test", name]);
        }
        None => {
            std::fs::write(dir.join("example.lua"), &block.code).expect("write the block");
            command.arg("example.lua");
        }
    }
    let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn tinn");
    let deadline = Instant::now() + BLOCK_TIME_LIMIT;
    let timed_out = loop {
        match child.try_wait() {
            Ok(Some(_)) => break false,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                break true;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(err) => panic!("waiting for tinn: {err}"),
        }
    };
    let output = child.wait_with_output().expect("collect output");
    let _ = std::fs::remove_dir_all(&dir);
    let where_ = format!("{}:{}", block.file.strip_prefix(repository()).unwrap_or(&block.file).display(), block.line);
    let report = |what: String| {
        Some(format!(
            "{where_}: {what}\n--- stdout ---\n{}--- stderr ---\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    };
    if timed_out {
        return report(format!("still running after {BLOCK_TIME_LIMIT:?} (mark it `-- not run: <reason>`?)"));
    }
    if !output.status.success() {
        return report(format!("exited with {}", output.status));
    }
    let shown = shown_output(&block.code);
    if test_file.is_none() && !shown.is_empty() {
        if let Some(mismatch) = output_mismatch(&shown, &String::from_utf8_lossy(&output.stdout)) {
            return report(mismatch);
        }
    }
    None
}

#[test]
fn every_lua_example_in_the_docs_runs() {
    let blocks: Vec<Block> = pages().iter().flat_map(|page| lua_blocks(page)).collect();
    assert!(blocks.len() >= 10, "found only {} lua blocks; is docs/ there?", blocks.len());
    // Blocks are independent programs: run them a few at a time.
    let failures: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = blocks
            .chunks(blocks.len().div_ceil(4))
            .enumerate()
            .map(|(chunk_index, chunk)| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .enumerate()
                        .filter_map(|(i, block)| run_block(block, chunk_index * 1000 + i))
                        .collect::<Vec<String>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|handle| handle.join().expect("a block runner thread")).collect()
    });
    assert!(failures.is_empty(), "{} doc example(s) failed:\n\n{}", failures.len(), failures.join("\n\n"));
}

/// Issue 15.12: a snippet that says it is an example file is that file, so the two cannot drift.
#[test]
fn a_block_naming_an_example_file_is_that_file() {
    let mut checked = 0;
    for block in pages().iter().flat_map(|page| lua_blocks(page)) {
        let first = block.code.lines().next().unwrap_or("");
        let Some(name) = first.strip_prefix("-- examples/").and_then(|rest| rest.split([':', ' ']).next()) else {
            continue;
        };
        let path = repository().join("examples").join(name);
        let file = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}:{} names {}: {err}", block.file.display(), block.line, path.display()));
        assert_eq!(block.code, file, "{}:{} differs from examples/{name}", block.file.display(), block.line);
        checked += 1;
    }
    assert!(checked >= 1, "README.md shows examples/hello.lua");
}
