//! Shared helpers: where the binary and the test scripts are, and how to compare output.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `tinn` binary cargo built for these tests.
pub fn tinn() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tinn"));
    command.current_dir(tests_dir());
    command.env_remove("LUA_PATH").env_remove("LUA_CPATH");
    command
}

/// The repository's `tests/` folder (the working directory of every script).
pub fn tests_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests")
}

/// What a script run must produce beyond its `.out` / `.err` files.
#[derive(Default)]
pub struct Expect {
    /// The exit status (0 by default).
    pub status: i32,
    /// Why the script's stdout is not compared (it has no `.out`). Without a reason, a missing
    /// `.out` fails the test, so no script runs unchecked by oversight.
    pub stdout_unchecked: Option<&'static str>,
}

/// In a `.out` line, matches any text (a version, a time, a count that differs per run).
pub const VARIES: &str = "[varies]";
/// A `.out` line that is only this matches any number of lines, none included.
pub const LINES_VARY: &str = "[lines vary]";

/// Whether `actual` matches the `expected` line, where each `wildcard` in it stands for any text.
pub fn line_matches(expected: &str, actual: &str, wildcard: &str) -> bool {
    let mut parts = expected.split(wildcard);
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = actual.strip_prefix(first) else { return false };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else { return rest.is_empty() };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// Whether `actual` (a whole output) matches `expected`, a `.out` text with [`VARIES`] and
/// [`LINES_VARY`] markers.
pub fn output_matches(expected: &str, actual: &str) -> bool {
    let expected: Vec<&str> = expected.lines().collect();
    let actual: Vec<&str> = actual.lines().collect();
    fn from(expected: &[&str], actual: &[&str]) -> bool {
        match expected.split_first() {
            None => actual.is_empty(),
            Some((&LINES_VARY, rest)) => (0..=actual.len()).any(|skip| from(rest, &actual[skip..])),
            Some((line, rest)) => {
                actual.first().is_some_and(|first| line_matches(line, first, VARIES)) && from(rest, &actual[1..])
            }
        }
    }
    from(&expected, &actual)
}

/// Runs `tests/<path>` and checks status, `.out` and `.err`.
pub fn check_script(path: &str, expect: Expect) {
    let script = tests_dir().join(path);
    let output = tinn().arg(path).output().expect("the tinn binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let context = || format!("script {path}\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}");

    assert_eq!(status_of(&output), expect.status, "exit status of {}", context());
    match (std::fs::read_to_string(script.with_extension("out")), expect.stdout_unchecked) {
        (Ok(expected), None) if expected.contains(VARIES) || expected.contains(LINES_VARY) => {
            assert!(output_matches(&expected, &stdout), "stdout does not match {path}.out:\n{expected}\n{}", context());
        }
        (Ok(expected), None) => assert_eq!(stdout, expected, "stdout differs from {path}.out\n{}", context()),
        (Ok(_), Some(reason)) => panic!("{path} has a .out but its stdout is marked unchecked ({reason})"),
        (Err(_), None) => panic!("{path} has no .out: add one (with {VARIES} for what differs per run) or give a reason to leave stdout unchecked"),
        (Err(_), Some(_)) => {}
    }
    if let Ok(expected) = std::fs::read_to_string(script.with_extension("err")) {
        for line in expected.lines().filter(|l| !l.is_empty()) {
            assert!(stderr.contains(line), "stderr lacks {line:?}\n{}", context());
        }
    } else {
        assert!(stderr.is_empty(), "unexpected stderr\n{}", context());
    }
}

/// The exit status, or 128 + signal number when the process was killed, as a shell reports.
pub fn status_of(output: &Output) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    if let Some(signal) = output.status.signal() {
        return 128 + signal;
    }
    output.status.code().unwrap_or(-1)
}

/// Reads lines from `from` into `seen` until one is `wanted`; false at end of output.
fn read_until(from: &mut impl std::io::BufRead, seen: &mut String, wanted: impl Fn(&str) -> bool) -> bool {
    loop {
        let mut next = String::new();
        if from.read_line(&mut next).expect("read the child's output") == 0 {
            return false;
        }
        seen.push_str(&next);
        if wanted(&next) {
            return true;
        }
    }
}

/// A child started with piped output that has printed its first line.
pub struct Started {
    pub child: std::process::Child,
    stdout: std::io::BufReader<std::process::ChildStdout>,
    first: String,
    stderr: std::io::BufReader<std::process::ChildStderr>,
    stderr_seen: String,
}

impl Started {
    /// Spawns `command` and waits until it printed its first line.
    pub fn first_line(mut command: Command) -> Started {
        use std::io::BufRead;
        let mut child = command
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn tinn");
        let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
        let stderr = std::io::BufReader::new(child.stderr.take().expect("stderr"));
        let mut first = String::new();
        stdout.read_line(&mut first).expect("the script prints a first line");
        Started { child, stdout, first, stderr, stderr_seen: String::new() }
    }

    /// The first line the child printed, without its newline.
    pub fn first_printed(&self) -> &str {
        self.first.trim_end()
    }

    /// Reads the child's stdout until it printed `line` (a handshake: what a signal set off has
    /// happened); false at end of output. What was read counts in [`Started::output`].
    pub fn wait_for_line(&mut self, line: &str) -> bool {
        read_until(&mut self.stdout, &mut self.first, |next| next.trim_end() == line)
    }

    /// Reads the child's stderr until it has written `text` in a line, now or in a line an
    /// earlier wait read (the runtime's report of what a signal did); false at end of output.
    /// What was read counts in [`Started::output`].
    pub fn wait_for_stderr(&mut self, text: &str) -> bool {
        self.stderr_seen.contains(text) || read_until(&mut self.stderr, &mut self.stderr_seen, |next| next.contains(text))
    }

    /// Sends `signal` to the child.
    pub fn signal(&self, signal: i32) {
        // SAFETY: kill only sends a signal to our own child process.
        unsafe { libc::kill(self.child.id() as i32, signal) };
    }

    /// Reads the child's output to its end, then waits for it: its exit status, all its stdout
    /// and its stderr.
    pub fn output(mut self) -> (i32, String, String) {
        use std::io::Read;
        let mut rest = String::new();
        self.stdout.read_to_string(&mut rest).expect("read stdout");
        let mut stderr = self.stderr_seen;
        self.stderr.read_to_string(&mut stderr).expect("read stderr");
        let status = self.child.wait().expect("wait");
        let output = Output { status, stdout: Vec::new(), stderr: Vec::new() };
        (status_of(&output), self.first + &rest, stderr)
    }
}

/// Starts a script, waits until it printed its first line, sends `signal`, returns the result.
/// Where a signal's effect shows in the output, wait for it with [`Started::wait_for_line`]
/// or [`Started::wait_for_stderr`] before sending the next.
pub fn interrupt(script: &str, signal: i32) -> (i32, String, String) {
    let mut command = tinn();
    command.args(["-e", script]);
    let started = Started::first_line(command);
    started.signal(signal);
    started.output()
}

#[test]
fn out_markers_match_only_what_they_say() {
    assert!(line_matches("up [varies] minutes", "up 82 minutes", VARIES));
    assert!(!line_matches("up [varies] minutes", "up 82 hours", VARIES));
    assert!(!line_matches("a [varies]b", "a b c", VARIES));
    assert!(line_matches("[varies]", "", VARIES));
    assert!(output_matches("tick 1\n[lines vary]\ndone\n", "tick 1\ndone\n"));
    assert!(output_matches("tick 1\n[lines vary]\ndone\n", "tick 1\ntick 2\ntick 3\ndone\n"));
    assert!(!output_matches("tick 1\n[lines vary]\ndone\n", "tick 1\ntick 2\n"));
    assert!(!output_matches("a\n", "a\nb\n"));
}
