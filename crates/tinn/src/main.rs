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

/// The shadow app's main script; its other parts are embedded modules (`shadow.*`).
const SHADOW_APP: &str = include_str!("../../../apps/shadow/main.lua");

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
        tinn types                set up lua-language-server for tinn in this folder\n  \
        tinn shadow ~/work        ship ~/work's file activity to a store, live page on :8080\n\n\
        A script named like a command runs as `tinn ./test`."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    /// Run CODE instead of a script file; remaining arguments become `arg[1..]`.
    #[arg(short = 'e', value_name = "CODE")]
    execute: Option<String>,

    /// LuaJIT's -j: perform a JIT control command or start a jit.* tool before the script
    /// (`-jv`, `-jdump=+rs`, `-jp=f`, `-joff`, `-jflush`), as `luajit -j` does.
    #[arg(short = 'j', value_name = "CMD")]
    jit_commands: Vec<String>,

    /// LuaJIT's -O: set JIT optimisation level or flags (`-O3`, `-O-loop`, `-Ohotloop=10`).
    #[arg(short = 'O', value_name = "OPT", allow_hyphen_values = true)]
    jit_options: Vec<String>,

    /// LuaJIT's -b: save or list bytecode (`tinn -b in.lua out.o`, `tinn -bl in.lua`); the
    /// arguments are those of `luajit -b` (`tinn -b` alone lists them).
    #[arg(short = 'b', value_name = "ARGS", num_args = 0.., allow_hyphen_values = true, trailing_var_arg = true)]
    bytecode: Option<Vec<String>>,

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
    /// Watch directories, ship every change to a store and show it on a live page.
    ///
    /// `tinn shadow DIR... [--store URL] [--listen 127.0.0.1:8080] [--host NAME]`. The store is
    /// an SQLite file in tinn's state folder unless `--store` names another (`sqlite:path`,
    /// `postgres://...`). See docs/shadow.md.
    Shadow {
        /// Directories to watch and options, as `tinn shadow --help` lists them.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, value_name = "DIR... [OPTIONS]")]
        args: Vec<String>,
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
    let cli = Cli::parse_from(luajit_style_args(std::env::args_os()));
    let status = match cli.command {
        Some(Command::Test { paths, filter, timeout }) => {
            test_runner::run(test_runner::Options { paths, filter, timeout_ms: timeout })
        }
        Some(Command::Shadow { args }) => exit_status(run_source(SHADOW_APP, "tinn shadow", &args)),
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
        // LuaJIT's bytecode saver, run as `luajit -b` runs it: as the main task, so its
        // `os.exit(1)` on bad arguments ends it with that status
        None if cli.bytecode.is_some() => {
            exit_status(run_source("require('jit.bcsave').start(...)", "tinn -b", &cli.bytecode.unwrap_or_default()))
        }
        None => exit_status(
            watchdog_limit(cli.watchdog)
                .and_then(|watchdog| run(cli.execute, cli.script_and_args, &jit_setup(cli.jit_commands, cli.jit_options), watchdog)),
        ),
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

/// Spells LuaJIT's glued options the way the parser reads them, up to the script name:
/// `-jv` → `-j v`, `-O3` → `-O 3`, `-O` → `-O ""`, `-bl x.lua` → `-b -l x.lua` (all after `-b`
/// is bcsave's).
fn luajit_style_args(args: impl Iterator<Item = std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let mut out = Vec::new();
    let mut args = args.peekable();
    if let Some(program) = args.next() {
        out.push(program);
    }
    while let Some(arg) = args.next() {
        let text = arg.to_str().unwrap_or("");
        if let Some(rest) = text.strip_prefix("-j").filter(|rest| !rest.is_empty()) {
            out.extend(["-j".into(), rest.into()]);
        } else if let Some(rest) = text.strip_prefix("-O") {
            out.extend(["-O".into(), rest.into()]);
        } else if let Some(rest) = text.strip_prefix("-b") {
            out.push("-b".into());
            if !rest.is_empty() {
                out.push(format!("-{rest}").into());
            }
            out.extend(args.by_ref());
        } else if text == "-e" || text == "-j" {
            out.push(arg);
            out.extend(args.next()); // its value, whatever it looks like
        } else if text.starts_with('-') && text != "-" && text != "--" {
            out.push(arg);
        } else {
            // the script (or `-`, `--`): the rest are its arguments, untouched
            out.push(arg);
            out.extend(args.by_ref());
        }
    }
    out
}

/// LuaJIT's `-j` and `-O` options, run in order before the script as `luajit` runs them.
struct JitSetup(Vec<(&'static str, String)>);

fn jit_setup(commands: Vec<String>, options: Vec<String>) -> JitSetup {
    let mut steps: Vec<(&'static str, String)> = commands.into_iter().map(|cmd| ("j", cmd)).collect();
    steps.extend(options.into_iter().map(|opt| ("O", opt)));
    JitSetup(steps)
}

/// As luajit.c's dojitcmd/dojitopt: `-jname=a,b` calls `jit.name(a, b)` if jit has such a
/// function, else `require("jit.name").start(a, b)`; `-Oopt` calls `jit.opt.start(opt, ...)`.
const JIT_SETUP_SOURCE: &str = r#"
local kind, text = ...
local name, opt = text:match("^([^=]*)=(.*)$")
if not name then name = text end
local args = {}
if opt then for arg in opt:gmatch("[^,]+") do args[#args + 1] = arg end end
if kind == "O" then
  if text == "" then return jit.opt.start() end
  args = {}
  for arg in text:gmatch("[^,]+") do args[#args + 1] = arg end
  return jit.opt.start(unpack(args))
end
local fn = jit[name]
if type(fn) ~= "function" then
  local ok, module = pcall(require, "jit." .. name)
  if not ok or type(module) ~= "table" or type(module.start) ~= "function" then
    error("unknown luaJIT command or jit.* modules not installed: -j" .. text, 0)
  end
  fn = module.start
end
return fn(unpack(args))
"#;

impl JitSetup {
    fn apply(&self, runtime: &Runtime) -> Result<(), String> {
        for (kind, text) in &self.0 {
            let setup = runtime.lua().load(JIT_SETUP_SOURCE).set_name("=tinn/jit-options");
            setup.call::<()>((*kind, text.as_str())).map_err(|err| {
                // the message only: where in the setup chunk it was raised says nothing useful
                let text = match err {
                    mlua::Error::RuntimeError(message) => message,
                    other => other.to_string(),
                };
                text.split("\nstack traceback:").next().unwrap_or_default().to_string()
            })?;
        }
        Ok(())
    }
}

/// Runs Lua source embedded in the binary (the shadow app, LuaJIT's bcsave) as a script.
fn run_source(code: &str, name: &str, args: &[String]) -> Result<i32, RuntimeError> {
    Runtime::new()?.run(Script::Source { code: code.to_string(), name: name.into() }, args)
}

/// The exit status of a run; a runtime that could not start or load is said on stderr.
fn exit_status(result: Result<i32, RuntimeError>) -> i32 {
    result.unwrap_or_else(|message| {
        eprintln!("tinn: {message}");
        1
    })
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


fn run(
    execute: Option<String>,
    script_and_args: Vec<String>,
    jit: &JitSetup,
    watchdog: Option<Duration>,
) -> Result<i32, RuntimeError> {
    let (script, args) = match (execute, script_and_args.split_first()) {
        (Some(code), _) => (Script::Source { code, name: "(command line)".into() }, script_and_args.clone()),
        (None, Some((first, rest))) if first == "-" => (stdin_script()?, rest.to_vec()),
        (None, Some((first, rest))) => (Script::File(PathBuf::from(first)), rest.to_vec()),
        (None, None) if !std::io::stdin().is_terminal() => (stdin_script()?, Vec::new()),
        (None, None) => return repl::run(watchdog),
    };
    let runtime = Runtime::new()?;
    if let Err(message) = jit.apply(&runtime) {
        eprintln!("tinn: {message}");
        return Ok(1);
    }
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
