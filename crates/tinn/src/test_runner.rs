//! `tinn test [paths...] [--filter pattern] [--timeout ms]`: finds `*_test.lua` files and runs
//! each with the Lua test framework (`lua/tinn/test.lua`, docs/test.md).
//!
//! Each file gets a fresh [`Runtime`] (its own Lua state and scheduler), one after another in
//! this process. A test file is a program of its own: its globals, `package.loaded`, `onError`
//! handler, stray tasks and even a `stop()` end with it and cannot change how the next file
//! runs, while a fresh Lua state costs about a millisecond. The framework prints each test's
//! result; this module adds up the counts and prints the last line, `N passed, N failed`.

use std::path::{Path, PathBuf};

use mlua::{Function, Table};
use tinn_runtime::{Runtime, Script};

/// The file name ending that marks a test file.
const TEST_SUFFIX: &str = "_test.lua";

/// Searched when no path is given.
const DEFAULT_DIR: &str = "tests";

/// Directories with this name hold data for tests (deliberately failing test files, say) and are
/// not searched unless named on the command line.
const FIXTURES_DIR: &str = "fixtures";

/// Exit statuses of a run ended by SIGINT, SIGTERM or SIGHUP (128 + signal number): the user
/// wants the whole test run to stop, not just that file.
const SIGNAL_STATUSES: [i32; 3] = [130, 143, 129];

/// The runner's entry, run as task 1 of each file's runtime.
const RUNNER_SOURCE: &str = "return require('tinn.test').runFile(...)";

/// What `tinn test` was asked to do.
pub(crate) struct Options {
    /// Files and directories; empty means `tests/`.
    pub(crate) paths: Vec<PathBuf>,
    /// Only tests whose full name contains this text (or matches it as a Lua pattern) run.
    pub(crate) filter: Option<String>,
    /// The default per-test timeout in milliseconds.
    pub(crate) timeout_ms: Option<u64>,
}

/// Runs every test file; returns the exit status (0 when nothing failed).
pub(crate) fn run(options: Options) -> i32 {
    let paths = if options.paths.is_empty() { vec![PathBuf::from(DEFAULT_DIR)] } else { options.paths.clone() };
    let files = match discover(&paths) {
        Ok(files) => files,
        Err(message) => {
            eprintln!("tinn test: {message}");
            return 1;
        }
    };
    if files.is_empty() {
        let searched: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        eprintln!("tinn test: no *{TEST_SUFFIX} files under {}", searched.join(", "));
        println!("0 passed, 0 failed");
        return 1;
    }
    let (mut passed, mut failed) = (0u64, 0u64);
    let mut interrupted = None;
    for file in &files {
        let outcome = run_file(file, &options);
        passed += outcome.passed;
        failed += outcome.failed;
        if let Some(status) = outcome.interrupted {
            interrupted = Some(status);
            break;
        }
    }
    println!("{passed} passed, {failed} failed");
    match interrupted {
        Some(status) => status,
        None if failed > 0 => 1,
        None => 0,
    }
}

/// The test files under `paths`, each directory's sorted, in the order the paths were given.
fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for path in paths {
        let metadata = std::fs::metadata(path).map_err(|err| format!("cannot read '{}': {err}", path.display()))?;
        if metadata.is_dir() {
            walk(path, &mut files).map_err(|err| format!("cannot list '{}': {err}", path.display()))?;
        } else {
            // A file named on the command line runs whatever its name.
            files.push(path.clone());
        }
    }
    Ok(files)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if path.is_dir() {
            if !name.starts_with('.') && name != FIXTURES_DIR {
                walk(&path, files)?;
            }
        } else if name.ends_with(TEST_SUFFIX) {
            files.push(path);
        }
    }
    Ok(())
}

/// One file's counts; `interrupted` holds the exit status when a signal ended the run.
struct FileOutcome {
    passed: u64,
    failed: u64,
    interrupted: Option<i32>,
}

fn run_file(file: &Path, options: &Options) -> FileOutcome {
    let failure = |message: String| {
        println!("{}\n  FAIL  {message}", file.display());
        FileOutcome { passed: 0, failed: 1, interrupted: None }
    };
    let runtime = match Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => return failure(format!("cannot start a runtime: {err}")),
    };
    let args = [
        file.display().to_string(),
        options.filter.clone().unwrap_or_default(),
        options.timeout_ms.map(|ms| ms.to_string()).unwrap_or_default(),
    ];
    let status = runtime.run(Script::Source { code: RUNNER_SOURCE.into(), name: "tinn/test-runner".into() }, &args);
    let counts = results(&runtime);
    // Workers the file left running were sent QUIT with its runtime; the next file must not
    // start while they still run (they may write the files it reads).
    drop(runtime);
    crate::wait_for_workers();
    let status = match status {
        Ok(status) => status,
        Err(err) => return failure(err.to_string()),
    };
    let (passed, failed, finished) = match counts {
        Ok(counts) => counts,
        Err(err) => return failure(format!("the test framework did not report: {err}")),
    };
    if finished {
        return FileOutcome { passed, failed, interrupted: None };
    }
    // The file's program ended before its tests did: stop(), a signal, or the runner failed.
    let interrupted = SIGNAL_STATUSES.contains(&status).then_some(status);
    let why = if interrupted.is_some() {
        format!("interrupted (exit status {status})")
    } else {
        format!("ended before its tests finished (stop() called, or exit status {status})")
    };
    println!("  FAIL  {}: {why}", file.display());
    FileOutcome { passed, failed: failed + 1, interrupted }
}

/// `passed, failed, finished` from `require("tinn.test").results()` after the run.
fn results(runtime: &Runtime) -> mlua::Result<(u64, u64, bool)> {
    let loaded: Table = runtime.lua().globals().get::<Table>("package")?.get("loaded")?;
    let framework: Option<Table> = loaded.get("tinn.test")?;
    let Some(framework) = framework else { return Ok((0, 0, false)) };
    let results: Function = framework.get("results")?;
    results.call(())
}
