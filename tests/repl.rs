//! The REPL, driven through a real terminal: tmux runs `tinn` in a pane, the test types into it
//! and reads the screen (`.ci/run` installs tmux).

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::support::tests_dir;

/// How long a step may take before the test fails and prints the screen.
const STEP_TIMEOUT: Duration = Duration::from_secs(10);

static SESSIONS: AtomicUsize = AtomicUsize::new(0);

/// A tmux server of our own (its own socket) running tinn in one pane; killed on drop.
struct Terminal {
    socket: String,
    history: PathBuf,
}

impl Terminal {
    fn start() -> Terminal {
        let n = SESSIONS.fetch_add(1, Ordering::SeqCst);
        let socket = format!("tinn-repl-test-{}-{n}", std::process::id());
        let history = std::env::temp_dir().join(format!("{socket}.history"));
        let _ = std::fs::remove_file(&history);
        // The pane's shell line: tinn, then its exit status, then a pause so the screen stays.
        let command = format!(
            "env -u LUA_PATH -u LUA_CPATH TINN_HISTORY='{}' '{}'; echo \"EXITED $?\"; sleep 60",
            history.display(),
            env!("CARGO_BIN_EXE_tinn")
        );
        let status = Command::new("tmux")
            .args(["-L", &socket, "-f", "/dev/null", "new-session", "-d", "-s", "repl", "-x", "120", "-y", "50"])
            .arg("-c")
            .arg(tests_dir())
            .arg(command)
            .status()
            .expect("tmux runs (.ci/run installs it)");
        assert!(status.success(), "tmux new-session failed");
        let terminal = Terminal { socket, history };
        terminal.wait_for("Type .help for help");
        terminal
    }

    fn tmux(&self, args: &[&str]) -> String {
        let output = Command::new("tmux").args(["-L", &self.socket]).args(args).output().expect("tmux runs");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Types `text` literally (tmux would read words like `end` as key names) and presses Enter.
    fn line(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "repl", "-l", text]);
        self.tmux(&["send-keys", "-t", "repl", "Enter"]);
    }

    fn key(&self, key: &str) {
        self.tmux(&["send-keys", "-t", "repl", key]);
    }

    /// The whole pane, scroll-back included.
    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-t", "repl", "-p", "-J", "-S", "-200"])
    }

    /// Waits until the screen contains `text`; returns the screen.
    fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + STEP_TIMEOUT;
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(Instant::now() < deadline, "the screen never showed {text:?}:\n{screen}");
            std::thread::sleep(Duration::from_millis(25));
        }
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        self.tmux(&["kill-server"]);
        let _ = std::fs::remove_file(&self.history);
    }
}

#[test]
fn multi_line_function_and_printed_values() {
    let t = Terminal::start();
    t.line("function twice(n)");
    t.wait_for(">> ");
    t.line("  return n * 2");
    t.line("end");
    t.line("=twice(21) .. '!'");
    t.wait_for("\"42!\"");
    // every value of a multi-value result (strings quoted, so not the typed 'two')
    t.line("=1, 'two'");
    t.wait_for("\"two\"");
    // bare expressions print too; tables in full, cycles safe
    t.line("t = { 1, { a = 'x' } } t.self = t");
    t.line("t");
    t.wait_for("{ 1, { a = \"x\" }, self = <cycle> }");
    // the first value is kept in _
    t.line("=#_ + 100");
    t.wait_for("102");
    // a syntax error is reported and the REPL goes on
    t.line("x = = 1");
    t.wait_for("stdin:1: unexpected symbol near '='");
    t.line(".exit");
    t.wait_for("EXITED 0");
    let history = std::fs::read_to_string(&t.history).expect("the history file was written");
    assert!(history.contains("function twice(n)"), "history keeps the multi-line entry: {history}");
}

#[test]
fn sleep_tasks_and_sockets_at_the_prompt() {
    let t = Terminal::start();
    let started = Instant::now();
    t.line("t0 = tinn.now() sleep(500) print('slept ' .. tostring(tinn.now() - t0 >= 499))");
    t.wait_for("slept true");
    assert!(started.elapsed() >= Duration::from_millis(500), "the prompt waited for the entry");
    // a task spawned at the prompt keeps running while the prompt waits for the next line
    t.line("spawn(function() sleep(300) print('background ' .. 'done') end)");
    t.wait_for("background done");
    // a TCP round trip on loopback inside one entry
    t.line(
        "net = require('tinn.net') s = net.tcp.listen('127.0.0.1', 0) \
         spawn(function() local c = s:accept() c:write(c:read('l') .. '!\\n') c:close() end) \
         c = net.tcp.connect('127.0.0.1', s.port) c:write('echo\\n') print('got ' .. c:read('l')) c:close() s:close()",
    );
    t.wait_for("got echo!");
    t.key("C-d");
    t.wait_for("EXITED 0");
}

#[test]
fn ctrl_c_cancels_the_running_entry_not_the_repl() {
    let t = Terminal::start();
    // the spawned task prints only once the entry has parked in sleep: a handshake
    t.line("spawn(function() print('sleep' .. 'ing') end) sleep(30000) print('not ' .. 'reached')");
    t.wait_for("sleeping");
    t.key("C-c");
    t.wait_for("(cancelled)");
    t.line("print('still ' .. 'here')");
    let screen = t.wait_for("still here");
    assert!(!screen.contains("not reached"), "{screen}");
    // at the prompt, Ctrl-C discards the input; a second one says how to leave
    t.tmux(&["send-keys", "-t", "repl", "-l", "half typed"]);
    t.key("C-c");
    t.key("C-c");
    t.wait_for("(to leave, press Ctrl-D or type .exit)");
    // an error in a task started at the prompt is printed; the REPL keeps going
    t.line("spawn(function() error('from a task') end)");
    t.wait_for("from a task");
    t.line("print(1 + 1 .. ' ok')");
    t.wait_for("2 ok");
    t.line(".exit");
    t.wait_for("EXITED 0");
}

/// A server started at the prompt does not take Ctrl-C from the REPL: it cancels the running
/// entry, and the server goes on serving (its drain belongs to the program's exit).
#[test]
fn ctrl_c_with_a_server_running_cancels_the_entry_and_the_server_stays() {
    let t = Terminal::start();
    t.line("http = require('tinn.http') server = assert(http.serve{ port = 0, handler = function(_, res) res:send('up') end })");
    t.line("spawn(function() print('sleep' .. 'ing') end) sleep(30000) print('not ' .. 'reached')");
    t.wait_for("sleeping");
    t.key("C-c");
    t.wait_for("(cancelled)");
    t.line("r = http.request('http://127.0.0.1:' .. server.port .. '/') print('server ' .. r.body)");
    t.wait_for("server up");
    t.line("server:close() print('closed ' .. tostring(server:isClosed()))");
    t.wait_for("closed true");
    t.line(".exit");
    t.wait_for("EXITED 0");
}

/// Issue 15.9: an error at the prompt shows where it happened, and an error from a background
/// task is printed above the prompt, which is drawn again with what was being typed.
#[test]
fn errors_show_their_traceback_and_background_errors_redraw_the_prompt() {
    let t = Terminal::start();
    t.line("nosuch()");
    let screen = t.wait_for("attempt to call global 'nosuch'");
    let after = screen.split("attempt to call global 'nosuch'").nth(1).unwrap_or("");
    let next_lines: Vec<&str> = after.lines().skip(1).take(2).collect();
    assert_eq!(next_lines.first().map(|l| l.trim()), Some("stack traceback:"), "{screen}");
    assert!(next_lines.get(1).is_some_and(|l| l.contains("stdin:1")), "the traceback names the entry:\n{screen}");
    t.line("delay(function() error('late ' .. 'failure') end, 500)");
    t.wait_for("Task(");
    t.tmux(&["send-keys", "-t", "repl", "-l", "half typed"]);
    let screen = t.wait_for("late failure");
    // the prompt and the typed text come back below the report
    let deadline = Instant::now() + STEP_TIMEOUT;
    let mut screen = screen;
    while screen.lines().rev().find(|l| !l.trim().is_empty()) != Some("> half typed") {
        assert!(Instant::now() < deadline, "the prompt was not drawn again below the error:\n{screen}");
        std::thread::sleep(Duration::from_millis(25));
        screen = t.screen();
    }
    t.key("C-u");
    t.line(".exit");
    t.wait_for("EXITED 0");
}

#[test]
fn ctrl_c_interrupts_an_entry_that_never_yields() {
    let t = Terminal::start();
    // a million turns before it says so: LuaJIT would have compiled the loop by then, were it
    // allowed to (a handshake, not a pause)
    t.line("local i = 0 while true do i = i + 1 if i == 1000000 then print('spin' .. 'ning') end end");
    t.wait_for("spinning");
    t.key("C-c");
    t.wait_for("interrupted");
    t.line("print('still ' .. 'here')");
    let screen = t.wait_for("still here");
    assert!(!screen.contains("EXITED"), "{screen}");
    t.line(".exit");
    t.wait_for("EXITED 0");
}
