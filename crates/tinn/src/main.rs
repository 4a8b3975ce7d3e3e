//! `tinn`: run LuaJIT scripts on a cooperative scheduler (DESIGN.md §1). This crate only parses
//! the command line, hands the script to `tinn-runtime` and maps the outcome to an exit status.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
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
    after_help = "Examples:\n  tinn hello.lua            run a script (its tasks, timers and IO) to completion\n  tinn -e 'print(1 + 1)'    run a string\n  echo 'print(1)' | tinn    run standard input"
)]
struct Cli {
    /// Run CODE instead of a script file; remaining arguments become `arg[1..]`.
    #[arg(short = 'e', value_name = "CODE")]
    execute: Option<String>,

    /// The script to run ('-' for standard input), then its arguments.
    #[arg(value_name = "SCRIPT [ARGS]", trailing_var_arg = true, allow_hyphen_values = true)]
    script_and_args: Vec<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(status) => ExitCode::from(u8::try_from(status).unwrap_or(1)),
        Err(message) => {
            eprintln!("tinn: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<i32, RuntimeError> {
    let (script, args) = match (cli.execute, cli.script_and_args.split_first()) {
        (Some(code), _) => (Script::Source { code, name: "(command line)".into() }, cli.script_and_args.clone()),
        (None, Some((first, rest))) if first == "-" => (stdin_script()?, rest.to_vec()),
        (None, Some((first, rest))) => (Script::File(PathBuf::from(first)), rest.to_vec()),
        (None, None) if !std::io::stdin().is_terminal() => (stdin_script()?, Vec::new()),
        (None, None) => {
            // The interactive REPL is tracked separately; until it lands, say how to run things.
            eprintln!("tinn {}: no script given. Run `tinn script.lua`, `tinn -e 'code'` or see `tinn --help`.", tinn_runtime::VERSION);
            return Ok(2);
        }
    };
    Runtime::new()?.run(script, &args)
}

fn stdin_script() -> Result<Script, RuntimeError> {
    let mut code = String::new();
    std::io::stdin()
        .read_to_string(&mut code)
        .map_err(|source| RuntimeError::Open { path: PathBuf::from("-"), source })?;
    Ok(Script::Source { code, name: "stdin".into() })
}
