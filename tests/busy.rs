//! Tasks that do not let go: a loop that never yields must still end on Ctrl-C, SIGTERM or
//! SIGHUP with its logs written (issues 14.6, 15.7); a task that keeps yielding must not starve
//! the log writer or timers, and a log faster than its disk must not grow memory (issue 14.5);
//! the watchdog names a task that runs too long; a reactor future that panics hands its task an
//! error (issue 14.11).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::support::{tinn, Started};

/// A fresh, empty temp directory for one test; removed by the caller.
fn temp_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tinn-busy-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A log file's messages, without the timestamps.
fn logged(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines().map(|line| line.split_once(' ').map_or(line, |(_, rest)| rest).to_string()).collect()
}

/// Waits for the child to end, killing it after `limit`; returns how long that took.
fn wait_at_most(started: &mut Started, limit: Duration) -> Duration {
    let since = Instant::now();
    while started.child.try_wait().expect("wait").is_none() {
        if since.elapsed() > limit {
            let _ = started.child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    since.elapsed()
}

/// Runs busy/spin.lua (`mode` "interp" or "jit"), lets it spin, sends `signals` 50 ms apart.
fn spin_and_signal(test: &str, mode: &str, signals: &[i32]) -> (i32, String, String, Vec<String>, Duration) {
    let dir = temp_dir(test);
    let log = dir.join("spin.log");
    let mut command = tinn();
    command.arg("busy/spin.lua").arg(&log).arg(mode);
    // the first line comes once the loop runs (in "jit" mode, once it is compiled)
    let mut started = Started::first_line(command);
    let first = Instant::now();
    for (index, &signal) in signals.iter().enumerate() {
        if index > 0 {
            std::thread::sleep(Duration::from_millis(50));
        }
        started.signal(signal);
    }
    wait_at_most(&mut started, Duration::from_secs(5));
    let took = first.elapsed();
    let (status, stdout, stderr) = started.output();
    let lines = logged(&log);
    let _ = std::fs::remove_dir_all(&dir);
    (status, stdout, stderr, lines, took)
}

#[test]
fn ctrl_c_interrupts_an_interpreted_loop_runs_exit_hooks_and_flushes_logs() {
    let (status, stdout, stderr, log, _) = spin_and_signal("interp-int", "interp", &[libc::SIGINT]);
    assert_eq!((status, stdout.as_str()), (130, "spinning\nexit hook ran\n"), "stderr: {stderr}");
    assert!(stderr.starts_with("tinn: error in task 1 (main): interrupted\nstack traceback:\n"), "stderr: {stderr}");
    assert!(stderr.contains("busy/spin.lua:24: in main chunk"), "the traceback shows the loop: {stderr}");
    assert_eq!(log, ["INFO before the loop"]);
}

#[test]
fn ctrl_c_ends_a_jit_compiled_loop_naming_the_task() {
    let (status, stdout, stderr, log, _) = spin_and_signal("jit-int", "jit", &[libc::SIGINT]);
    assert_eq!((status, stdout.as_str()), (130, "spinning\n"), "stderr: {stderr}");
    assert_eq!(stderr, "tinn: interrupted while task 1 (main) was running without yielding\n");
    assert_eq!(log, ["INFO before the loop"], "the log was written from Rust");
}

#[test]
fn sigterm_and_sighup_end_a_loop_that_never_yields() {
    for (mode, signal, status, name) in [
        ("jit", libc::SIGTERM, 143, "SIGTERM"),
        ("jit", libc::SIGHUP, 129, "SIGHUP"),
        ("interp", libc::SIGTERM, 143, "SIGTERM"),
    ] {
        let (got, stdout, stderr, log, _) = spin_and_signal(&format!("{mode}-{name}"), mode, &[signal]);
        assert_eq!(got, status, "{mode} {name}: stdout {stdout:?} stderr {stderr:?}");
        assert!(stderr.contains(&format!("interrupted by {name}")), "{mode} {name}: {stderr}");
        assert_eq!(log, ["INFO before the loop"], "{mode} {name}");
    }
}

#[test]
fn second_ctrl_c_exits_at_once_and_still_flushes_logs() {
    let (status, _, stderr, log, took) = spin_and_signal("twice", "jit", &[libc::SIGINT, libc::SIGINT]);
    assert_eq!(status, 130, "stderr: {stderr}");
    // the second Ctrl-C comes 50 ms after the first, well before the 250 ms fallback
    assert!(!stderr.contains("without yielding"), "the fallback did not have to act: {stderr}");
    assert!(took < Duration::from_millis(240), "took {took:?} from the first Ctrl-C");
    assert_eq!(log, ["INFO before the loop"]);
}

#[test]
fn log_flushes_while_tasks_yield_and_survives_kill9() {
    let dir = temp_dir("kill9");
    let log = dir.join("yield.log");
    let mut command = tinn();
    command.arg("busy/log_yield.lua").arg(&log);
    let mut started = Started::first_line(command);
    // lines on disk while the script still runs (it has logged 1000 when it says "ready")
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut while_running = logged(&log).len();
    while while_running < 1000 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
        while_running = logged(&log).len();
    }
    let _ = started.child.kill();
    let _ = started.child.wait();
    let lines = logged(&log);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(while_running >= 1000, "only {while_running} lines on disk while the script ran");
    // every line on disk is whole and in order
    for (index, line) in lines.iter().enumerate().take(lines.len().saturating_sub(1)) {
        assert_eq!(*line, format!("INFO line {}", index + 1));
    }
}

#[test]
fn log_waits_for_a_slow_writer_instead_of_growing() {
    let dir = temp_dir("fifo");
    let fifo = dir.join("slow.log");
    let path = std::ffi::CString::new(fifo.display().to_string()).expect("path");
    // SAFETY: mkfifo reads a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o600) }, 0, "mkfifo");
    let mut command = tinn();
    command.arg("busy/slow_disk.lua").arg(&fifo);
    let mut started = Started::first_line(command);
    let reader = std::thread::spawn(move || {
        use std::io::BufRead;
        let file = std::fs::File::open(&fifo).expect("open the fifo");
        // the reader is slow to start: until then the pipe holds 64 KiB
        std::thread::sleep(Duration::from_millis(1500));
        std::io::BufReader::new(file).lines().map_while(Result::ok).count()
    });
    wait_at_most(&mut started, Duration::from_secs(60));
    let (status, stdout, stderr) = started.output();
    let read = reader.join().expect("reader");
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!((status, stdout.as_str()), (0, "ready\nmemory bounded\n"), "stderr: {stderr}");
    assert_eq!(read, 300_000, "every line reached the reader");
}

#[test]
fn watchdog_names_a_task_that_runs_too_long() {
    // interpreted, so the hook can print where the task is
    let script = "jit.off() print('go') local t = os.clock() \
                  local function busy() while os.clock() - t < 0.4 do end end busy() print('done')";
    let output = tinn().args(["--watchdog", "100", "-e", script]).output().expect("tinn runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(String::from_utf8_lossy(&output.stdout), "go\ndone\n");
    assert!(output.status.success(), "the watchdog only warns: {stderr}");
    assert!(stderr.starts_with("tinn: watchdog: task 1 (main) has run for "), "{stderr}");
    assert!(stderr.contains("ms without yielding\ntinn: watchdog: task 1 (main) is at:\nstack traceback:\n"), "{stderr}");
    assert!(stderr.contains("in function 'busy'"), "the traceback shows the busy function: {stderr}");
    // the environment variable does the same; a task that yields is never reported
    let output = tinn()
        .env("TINN_WATCHDOG_MS", "50")
        .args(["-e", "for i = 1, 20 do sleep(10) end spawn(function() while true do yield() end end) sleep(200) stop()"])
        .output()
        .expect("tinn runs");
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
    let output = tinn().env("TINN_WATCHDOG_MS", "soon").args(["-e", "print(1)"]).output().expect("tinn runs");
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "tinn: TINN_WATCHDOG_MS must be a positive number of milliseconds, got 'soon'\n"
    );
}

#[test]
fn a_panic_in_a_reactor_future_reaches_the_waiting_task() {
    let mut command = tinn();
    command.env("TINN_TEST_HOOKS", "1").env_remove("RUST_BACKTRACE").arg("runtime/reactor_panic.lua");
    let mut started = Started::first_line(command);
    let took = wait_at_most(&mut started, Duration::from_secs(10));
    let (status, stdout, stderr) = started.output();
    assert!(took < Duration::from_secs(10), "the task stayed parked");
    assert_eq!(
        (status, stdout.as_str()),
        (0, "start\nnil\tinternal error in tinn_runtime::install_test_hooks: deliberate panic\n"),
        "stderr: {stderr}"
    );
}
