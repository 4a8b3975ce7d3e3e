//! `tinn.log` keeps lines in memory; Ctrl-C must still get them to disk (DESIGN.md §2: with no
//! handler, Ctrl-C cancels all tasks, flushes logs and exits 130).

#[cfg(unix)]
use crate::support::interrupt;

#[cfg(unix)]
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
    let (status, stdout, stderr) = interrupt(&script, &[libc::SIGINT]);
    let logged = std::fs::read_to_string(&path).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!((status, stdout.as_str()), (130, "ready\n"), "stderr: {stderr}");
    // Each line is `<timestamp> <LEVEL> <message>`; the timestamp varies.
    let lines: Vec<&str> = logged.lines().map(|line| line.split_once(' ').map_or(line, |(_, rest)| rest)).collect();
    assert_eq!(lines, ["INFO line 1", "INFO line 2", "INFO line 3"], "log file:\n{logged}");
}
