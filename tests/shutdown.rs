//! Shutdown: what a program leaves behind when Ctrl-C or `stop` ends it. `tinn.log` keeps lines
//! in memory; Ctrl-C must still get them to disk (DESIGN.md §2: with no handler, Ctrl-C cancels
//! all tasks, flushes logs and exits 130). Workers get QUIT and a grace period for their exit hooks.

use crate::support::interrupt;

#[test]
fn ctrl_c_flushes_buffered_log_lines() {
    let dir = std::env::temp_dir().join(format!("tinn-log-sigint-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("app.log");
    // flushMs = 60000: nothing reaches the file before the signal, so only the exit flush can
    // have written what the test finds.
    let script = format!(
        "local log = require('tinn.log') \
         local logger = assert(log.open({path:?}, {{ flushMs = 60000 }})) \
         for i = 1, 3 do logger:info('line %d', i) end \
         logger:debug('below the level') \
         print('ready') sleep(10000) print('not reached')",
        path = path.display().to_string()
    );
    let (status, stdout, stderr) = interrupt(&script, libc::SIGINT);
    let logged = std::fs::read_to_string(&path).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!((status, stdout.as_str()), (130, "ready\n"), "stderr: {stderr}");
    // Each line is `<timestamp> <LEVEL> <message>`; the timestamp varies.
    let lines: Vec<&str> = logged.lines().map(|line| line.split_once(' ').map_or(line, |(_, rest)| rest)).collect();
    assert_eq!(lines, ["INFO line 1", "INFO line 2", "INFO line 3"], "log file:\n{logged}");
}

// Workers at exit (issue 10): the process waits, within a grace period, for the workers it sent
// QUIT to, so their exit hooks run and their tinn.log lines reach the disk.

/// A fresh, empty temp directory for one test; removed by the caller.
fn worker_temp_dir(test: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("tinn-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Runs `tests/<script> <args>`, waits for its first stdout line, then (if given) sends `signal`;
/// kills it if it has not ended `limit` later. Returns status, stdout, stderr and how long it
/// took to end after the first line.
fn run_and_signal(
    script: &str,
    args: &[&str],
    signal: Option<i32>,
    limit: std::time::Duration,
) -> (i32, String, String, std::time::Duration) {
    let mut command = crate::support::tinn();
    command.arg(script).args(args);
    let mut started = crate::support::Started::first_line(command);
    let since = std::time::Instant::now();
    if let Some(signal) = signal {
        started.signal(signal);
    }
    while started.child.try_wait().expect("wait").is_none() {
        if since.elapsed() > limit {
            let _ = started.child.kill();
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let elapsed = since.elapsed();
    let (status, stdout, stderr) = started.output();
    (status, stdout, stderr, elapsed)
}

/// A log file's messages, without the timestamps.
fn logged_messages(path: &std::path::Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines().map(|line| line.split_once(' ').map_or(line, |(_, rest)| rest).to_string()).collect()
}

#[test]
fn ctrl_c_quits_workers_and_flushes_their_logs() {
    let dir = worker_temp_dir("worker-sigint");
    let dir_arg = dir.display().to_string();
    let limit = std::time::Duration::from_secs(10);
    let (status, stdout, stderr, elapsed) =
        run_and_signal("worker_signals/ctrl_c.lua", &[&dir_arg], Some(libc::SIGINT), limit);
    let logs = [logged_messages(&dir.join("worker1.log")), logged_messages(&dir.join("worker2.log"))];
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!((status, stdout.as_str()), (130, "ready\n"), "stderr: {stderr}");
    assert!(stderr.is_empty(), "stderr: {stderr}");
    assert!(elapsed < std::time::Duration::from_secs(2), "took {elapsed:?} to exit");
    // flushMs is a minute: only the workers' exit hooks can have written these files, and
    // they end with the line written when QUIT arrived.
    let last = ["INFO worker 1 exit hook", "INFO worker 2 got QUIT"];
    for (index, (lines, last)) in logs.iter().zip(last).enumerate() {
        let number = index + 1;
        assert!(lines.len() >= 3, "worker {number} log: {lines:?}");
        assert_eq!(lines[0], format!("INFO worker {number} started"), "worker {number} log: {lines:?}");
        assert_eq!(lines[1], format!("INFO worker {number} tick 1"), "worker {number} log: {lines:?}");
        assert_eq!(lines[lines.len() - 1], last, "worker {number} log: {lines:?}");
        let ticks = &lines[1..lines.len() - 1];
        for (tick, line) in ticks.iter().enumerate() {
            assert_eq!(*line, format!("INFO worker {number} tick {}", tick + 1), "worker {number} log: {lines:?}");
        }
    }
}

#[test]
fn stop_waits_for_nested_workers_exit_hooks() {
    let dir = worker_temp_dir("worker-stop");
    let dir_arg = dir.display().to_string();
    let limit = std::time::Duration::from_secs(10);
    let (status, stdout, stderr, elapsed) = run_and_signal("worker_signals/stop_nested.lua", &[&dir_arg], None, limit);
    let outer = std::fs::read_to_string(dir.join("outer.txt")).unwrap_or_default();
    let inner = std::fs::read_to_string(dir.join("inner.txt")).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!((status, stdout.as_str()), (3, "stopping\n"), "stderr: {stderr}");
    assert!(stderr.is_empty(), "stderr: {stderr}");
    assert!(elapsed < std::time::Duration::from_secs(2), "took {elapsed:?} to exit");
    assert_eq!((outer.as_str(), inner.as_str()), ("outer exit hook ran\n", "inner exit hook ran\n"));
}

#[test]
fn join_after_quit_waits_for_the_workers_own_workers() {
    let dir = worker_temp_dir("worker-join-nested");
    let dir_arg = dir.display().to_string();
    let limit = std::time::Duration::from_secs(10);
    let (status, stdout, stderr, _) = run_and_signal("worker_signals/join_nested.lua", &[&dir_arg], None, limit);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        (status, stdout.as_str()),
        (0, "join\t0\tdone\ninner file\tinner exit hook ran\n\n"),
        "stderr: {stderr}"
    );
    assert!(stderr.is_empty(), "stderr: {stderr}");
}

#[test]
fn ctrl_c_with_a_worker_that_never_yields_exits_after_the_grace_period() {
    let limit = std::time::Duration::from_secs(10);
    let (status, stdout, stderr, elapsed) =
        run_and_signal("worker_signals/spinning.lua", &[], Some(libc::SIGINT), limit);
    assert_eq!((status, stdout.as_str()), (130, "ready\nstopping\n"), "stderr: {stderr}");
    assert_eq!(stderr, "tinn: 1 worker did not stop within 2 s (spinner)\n");
    // The grace period is 2 s; the margin is for a loaded machine.
    let range = std::time::Duration::from_millis(1900)..std::time::Duration::from_secs(5);
    assert!(range.contains(&elapsed), "took {elapsed:?} to exit");
}

#[test]
fn ctrl_c_while_waiting_for_a_stuck_worker_exits_at_once() {
    use std::time::Duration;
    let mut child = crate::support::tinn()
        .arg("worker_signals/spinning.lua")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn tinn");
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut first).expect("the script prints a first line");
    // The first Ctrl-C ends the program; the second, during the 2 s wait, ends the process.
    // SAFETY: kill only sends a signal to our own child process.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    // The exit hook's line is the handshake: from the first Ctrl-C on, a second one ends the
    // process at once, whether it comes during the exit hooks, before the wait for the worker
    // or during it; the 2 s grace period would show if it were lost.
    let mut stopping = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut stopping).expect("read stdout");
    assert_eq!(stopping, "stopping\n");
    let started = std::time::Instant::now();
    // SAFETY: as above.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(5) {
            let _ = child.kill();
            break child.wait().expect("wait");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let output = std::process::Output { status, stdout: Vec::new(), stderr: Vec::new() };
    assert_eq!(crate::support::status_of(&output), 130);
    assert!(started.elapsed() < Duration::from_millis(1000), "took {:?}", started.elapsed());
}
