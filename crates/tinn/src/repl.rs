//! The interactive prompt: `tinn` with no arguments on a terminal (DESIGN.md §1).
//!
//! Lines are read by rustyline on a thread of their own, so the scheduler keeps running while
//! the prompt waits (tasks spawned at the prompt go on sleeping, serving and printing). The
//! REPL itself is Lua (`repl.lua`), running as task 1: it asks for a line with
//! `host.readLine(prompt)`, a reactor operation that completes when the reader thread answers,
//! compiles the entry, runs it as a task and waits for it. Ctrl-C while an entry runs reaches
//! the scheduler as the named signal `SIGINT`, which the REPL turns into `task:cancel()`.

use std::path::PathBuf;
use std::sync::mpsc;

use mlua::{IntoLuaMulti, Lua, MultiValue, Table, Value};
use rustyline::error::ReadlineError;
use rustyline::ExternalPrinter;
use tinn_runtime::{Runtime, RuntimeError, Script};

/// The REPL's Lua side; its chunk name starts with `tinn/`, so tracebacks leave it out.
const REPL_SOURCE: &str = include_str!("repl.lua");

/// Where the Lua side finds the reader; removed from `package.loaded` as soon as it is taken.
const HOST_MODULE: &str = "tinn.repl.host";

/// The terminal control sequence that ends bracketed-paste mode.
const BRACKETED_PASTE_OFF: &str = "\x1b[?2004l";

/// Environment variable that overrides the history file (`~/.tinn_history`); empty disables it.
const HISTORY_ENV: &str = "TINN_HISTORY";

/// What the Lua side asks of the reader thread.
enum Request {
    /// Read one line after showing `prompt`; the answer goes to `reply`.
    Read { prompt: String, reply: tokio::sync::oneshot::Sender<Answer> },
    /// Remember a complete entry in the history (and the history file).
    Remember(String),
}

/// The outcome of one read.
enum Answer {
    Line(String),
    Interrupted,
    Eof,
    Failed(String),
}

/// Runs the REPL until `.exit`, Ctrl-D or `stop()`; returns the exit status.
pub(crate) fn run(watchdog: Option<std::time::Duration>) -> Result<i32, RuntimeError> {
    let runtime = Runtime::new()?;
    if let Some(limit) = watchdog {
        runtime.set_watchdog(limit)?;
    }
    let (requests, reports) = start_reader(history_path());
    install_host(runtime.lua(), requests, reports)?;
    // rustyline puts the terminal in raw mode while it reads; if the program ends during a read
    // (a task calls stop()), the terminal must not be left that way.
    let _terminal = TerminalModes::save();
    runtime.run(Script::Source { code: REPL_SOURCE.into(), name: "tinn/repl".into() }, &[])
}

fn history_path() -> Option<PathBuf> {
    match std::env::var_os(HISTORY_ENV) {
        Some(path) if path.is_empty() => None,
        Some(path) => Some(PathBuf::from(path)),
        None => std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".tinn_history")),
    }
}

/// Starts the reader thread; it ends when the Lua state (holding the sender) goes away. The
/// second sender takes text printed while the prompt may be showing (errors of background
/// tasks): it goes above the prompt, which is drawn again with what was typed so far.
fn start_reader(history: Option<PathBuf>) -> (mpsc::Sender<Request>, mpsc::Sender<String>) {
    let (sender, requests) = mpsc::channel::<Request>();
    let (report_sender, reports) = mpsc::channel::<String>();
    let spawned = std::thread::Builder::new().name("tinn-repl-reader".into()).spawn(move || {
        let mut editor = match rustyline::DefaultEditor::new() {
            Ok(editor) => editor,
            Err(err) => {
                start_printer(None, reports);
                let message = format!("cannot read the terminal: {err}");
                for request in requests {
                    if let Request::Read { reply, .. } = request {
                        let _ = reply.send(Answer::Failed(message.clone()));
                    }
                }
                return;
            }
        };
        let printer = editor.create_external_printer().ok();
        start_printer(printer.map(|printer| Box::new(printer) as Box<dyn ExternalPrinter + Send>), reports);
        if let Some(path) = &history {
            // A missing history file is the normal first run; other failures only lose history.
            let _ = editor.load_history(path);
        }
        for request in requests {
            match request {
                Request::Read { prompt, reply } => {
                    let answer = match editor.readline(&prompt) {
                        Ok(line) => Answer::Line(line),
                        Err(ReadlineError::Interrupted) => Answer::Interrupted,
                        Err(ReadlineError::Eof) => Answer::Eof,
                        Err(err) => Answer::Failed(err.to_string()),
                    };
                    // The REPL task may have been cancelled meanwhile; then nobody listens.
                    let _ = reply.send(answer);
                }
                Request::Remember(entry) => {
                    if matches!(editor.add_history_entry(entry), Ok(true)) {
                        if let Some(path) = &history {
                            let _ = editor.append_history(path);
                        }
                    }
                }
            }
        }
    });
    if let Err(err) = spawned {
        // No thread, no prompt: every read fails with the reason, and the REPL says so.
        eprintln!("tinn: cannot start the line reader: {err}");
    }
    (sender, report_sender)
}

/// Prints reports on a thread of its own: rustyline's printer may wait for the reader to take
/// a message, and the scheduler must not. Without a printer (no terminal) they go to stderr.
fn start_printer(printer: Option<Box<dyn ExternalPrinter + Send>>, reports: mpsc::Receiver<String>) {
    let spawned = std::thread::Builder::new().name("tinn-repl-printer".into()).spawn(move || {
        let mut printer = printer;
        for report in reports {
            let printed = printer.as_mut().is_some_and(|printer| printer.print(report.clone()).is_ok());
            if !printed {
                eprint!("{report}");
            }
        }
    });
    if let Err(err) = spawned {
        eprintln!("tinn: cannot start the REPL's printer: {err}");
    }
}

/// `package.loaded["tinn.repl.host"] = { readLine = ..., remember = ..., report = ... }` for
/// repl.lua.
fn install_host(lua: &Lua, requests: mpsc::Sender<Request>, reports: mpsc::Sender<String>) -> mlua::Result<()> {
    let host = lua.create_table()?;
    // false when the printer is gone: the caller writes to stderr itself
    host.set("report", lua.create_function(move |_, text: String| Ok(reports.send(text).is_ok()))?)?;
    let reads = requests.clone();
    host.set(
        "readLine",
        lua.create_function(move |lua, prompt: String| -> mlua::Result<MultiValue> {
            let (reply, answer) = tokio::sync::oneshot::channel();
            if reads.send(Request::Read { prompt, reply }).is_err() {
                return (Value::Nil, "the line reader has stopped").into_lua_multi(lua);
            }
            tinn_reactor::start(lua, async move {
                let answer = answer.await.unwrap_or(Answer::Failed("the line reader has stopped".into()));
                tinn_reactor::completion(move |lua| match answer {
                    Answer::Line(line) => line.into_lua_multi(lua),
                    Answer::Interrupted => (Value::Nil, "interrupted").into_lua_multi(lua),
                    Answer::Eof => (Value::Nil, "eof").into_lua_multi(lua),
                    Answer::Failed(message) => (Value::Nil, message).into_lua_multi(lua),
                })
            })
        })?,
    )?;
    host.set(
        "remember",
        lua.create_function(move |_, entry: String| {
            // A stopped reader only means the entry is not kept.
            let _ = requests.send(Request::Remember(entry));
            Ok(())
        })?,
    )?;
    let loaded: Table = lua.globals().get::<Table>("package")?.get("loaded")?;
    loaded.set(HOST_MODULE, host)
}

/// The terminal's modes at start, put back when the REPL ends.
struct TerminalModes {
    saved: Option<libc::termios>,
}

impl TerminalModes {
    fn save() -> TerminalModes {
        // SAFETY: termios is plain data; tcgetattr fills it or fails (stdin not a terminal).
        let mut modes: libc::termios = unsafe { std::mem::zeroed() };
        let ok = unsafe { libc::tcgetattr(libc::STDIN_FILENO, &mut modes) } == 0;
        TerminalModes { saved: ok.then_some(modes) }
    }
}

impl Drop for TerminalModes {
    fn drop(&mut self) {
        if let Some(modes) = &self.saved {
            // SAFETY: restores modes read from the same descriptor by tcgetattr.
            unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, modes) };
            // rustyline also turns bracketed paste on while it reads; turn it off again.
            use std::io::{IsTerminal, Write};
            let mut stdout = std::io::stdout();
            if stdout.is_terminal() {
                let _ = stdout.write_all(BRACKETED_PASTE_OFF.as_bytes());
                let _ = stdout.flush();
            }
        }
    }
}
