//! `tinn`: run LuaJIT scripts on a cooperative scheduler (DESIGN.md §1). This crate parses the
//! command line, hands the script to `tinn-runtime` and maps the outcome to an exit status; it
//! also holds the interactive REPL (`repl`), the `tinn test` runner (`test_runner`) and
//! `tinn types` (`types`).

mod repl;
mod test_runner;
mod types;

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use tinn_runtime::{Runtime, RuntimeError, Script};

// Lua's memory (every table, closure and coroutine stack) goes through Rust's global allocator;
// mimalloc's thread-local free lists keep spawning and finishing tasks off glibc's slow paths.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "tinn",
    version = tinn_runtime::VERSION,
    about = "Run LuaJIT scripts on a cooperative task scheduler with async IO",
    args_conflicts_with_subcommands = true,
    disable_help_subcommand = true,
    after_help = "Examples:\n  \
        tinn hello.lua            run a script (its tasks, timers and IO) to completion\n  \
        tinn -e 'print(1 + 1)'    run a string\n  \
        echo 'print(1)' | tinn    run standard input\n  \
        tinn                      on a terminal: the REPL (each entry runs as a task)\n  \
        tinn test                 run tests/**/*_test.lua\n  \
        tinn types                set up lua-language-server for tinn in this folder\n\n\
        A script named like a command runs as `tinn ./test`."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    /// Run CODE instead of a script file; remaining arguments become `arg[1..]`.
    #[arg(short = 'e', value_name = "CODE")]
    execute: Option<String>,

    /// Warn on stderr (task, name, traceback) when a task runs MS milliseconds without yielding.
    /// Also set by the environment variable TINN_WATCHDOG_MS.
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u64).range(1..))]
    watchdog: Option<u64>,

    /// The script to run ('-' for standard input), then its arguments.
    #[arg(value_name = "SCRIPT [ARGS]", trailing_var_arg = true, allow_hyphen_values = true)]
    script_and_args: Vec<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run test files (`*_test.lua` under tests/ by default); ends with `N passed, N failed`.
    ///
    /// Each file runs in a fresh Lua state, each test as a task with a time limit. The exit
    /// status is 1 when a test failed or no test file was found. See docs/test.md.
    Test {
        /// Test files and directories to search (default: tests).
        paths: Vec<PathBuf>,
        /// Run only tests whose full name ("describe > test") contains PATTERN or matches it as
        /// a Lua pattern.
        #[arg(long, value_name = "PATTERN")]
        filter: Option<String>,
        /// The default timeout of each test in milliseconds (5000).
        #[arg(long, value_name = "MS")]
        timeout: Option<u64>,
    },
    /// Write type definitions and a .luarc.json for lua-language-server.
    ///
    /// The definitions go to DIR/.tinn/types; DIR/.luarc.json is created, or updated keeping its
    /// other settings, so the editor completes and documents tinn's words and modules.
    Types {
        /// The project folder.
        dir: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let status = match cli.command {
        Some(Command::Test { paths, filter, timeout }) => {
            test_runner::run(test_runner::Options { paths, filter, timeout_ms: timeout })
        }
        Some(Command::Types { dir }) => match types::write(&dir.unwrap_or_else(|| PathBuf::from("."))) {
            Ok(done) => {
                println!("{done}");
                0
            }
            Err(message) => {
                eprintln!("tinn types: {message}");
                1
            }
        },
        None => match watchdog_limit(cli.watchdog).and_then(|watchdog| run(cli.execute, cli.script_and_args, watchdog)) {
            Ok(status) => status,
            Err(message) => {
                eprintln!("tinn: {message}");
                1
            }
        },
    };
    // The runtime is gone, so its workers were sent QUIT; exiting now would kill them before
    // their exit hooks ran (tinn.log lines still buffered would be lost).
    wait_for_workers();
    ExitCode::from(u8::try_from(status).unwrap_or(1))
}

/// Waits (at most [`tinn_runtime::WORKER_GRACE`]) for the workers still running to end, and
/// says which ones did not: a worker that never yields cannot be stopped, and tinn must not
/// hang on it.
pub(crate) fn wait_for_workers() {
    let stuck = tinn_runtime::wait_for_workers(tinn_runtime::WORKER_GRACE);
    if !stuck.is_empty() {
        let count = stuck.len();
        let plural = if count == 1 { "worker" } else { "workers" };
        let seconds = tinn_runtime::WORKER_GRACE.as_secs_f64();
        eprintln!("tinn: {count} {plural} did not stop within {seconds} s ({})", stuck.join(", "));
    }
}

/// The environment variable that sets `--watchdog`.
const WATCHDOG_ENV: &str = "TINN_WATCHDOG_MS";

/// `--watchdog MS`, else `TINN_WATCHDOG_MS`, as a duration; an unusable variable is an error.
fn watchdog_limit(flag: Option<u64>) -> Result<Option<Duration>, RuntimeError> {
    if let Some(ms) = flag {
        return Ok(Some(Duration::from_millis(ms)));
    }
    match std::env::var(WATCHDOG_ENV) {
        Ok(value) if value.is_empty() => Ok(None),
        Ok(value) => match value.trim().parse::<u64>() {
            Ok(ms) if ms > 0 => Ok(Some(Duration::from_millis(ms))),
            _ => Err(RuntimeError::Usage(format!("{WATCHDOG_ENV} must be a positive number of milliseconds, got '{value}'"))),
        },
        Err(_) => Ok(None),
    }
}

fn run(execute: Option<String>, script_and_args: Vec<String>, watchdog: Option<Duration>) -> Result<i32, RuntimeError> {
    let (script, args) = match (execute, script_and_args.split_first()) {
        (Some(code), _) => (Script::Source { code, name: "(command line)".into() }, script_and_args.clone()),
        (None, Some((first, rest))) if first == "-" => (stdin_script()?, rest.to_vec()),
        (None, Some((first, rest))) => (Script::File(PathBuf::from(first)), rest.to_vec()),
        (None, None) if !std::io::stdin().is_terminal() => (stdin_script()?, Vec::new()),
        (None, None) => return repl::run(watchdog),
    };
    let runtime = Runtime::new()?;
    if let Some(limit) = watchdog {
        runtime.set_watchdog(limit)?;
    }
    runtime.run(script, &args)
}

fn stdin_script() -> Result<Script, RuntimeError> {
    let mut code = String::new();
    std::io::stdin()
        .read_to_string(&mut code)
        .map_err(|source| RuntimeError::Open { path: PathBuf::from("-"), source })?;
    Ok(Script::Source { code, name: "stdin".into() })
}
