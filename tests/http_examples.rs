//! The HTTP examples, started as a user would and queried with curl.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use crate::support::tinn;

/// Kills the example when the test ends, also when an assertion fails first.
struct Example(Child, String);

impl Example {
    /// Sends SIGINT (Ctrl-C) and waits up to 10 s for the example to end; its exit status, or
    /// `None` if it still runs.
    #[cfg(unix)]
    fn interrupt(&mut self) -> Option<std::process::ExitStatus> {
        use std::time::{Duration, Instant};
        // SAFETY: kill only sends a signal to our own child process.
        unsafe { libc::kill(self.0.id() as i32, libc::SIGINT) };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Some(status) = self.0.try_wait().expect("wait for the example") {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Example {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `examples/<path>` on a free port (with `extra` arguments); returns it with its base URL.
fn start(path: &str, extra: &[&str]) -> Example {
    let mut child = tinn()
        .args([&format!("../examples/{path}"), "0"])
        .args(extra)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the example");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("it prints its address");
    let url = line.trim().strip_prefix("listening on ").expect("a 'listening on' line").to_string();
    Example(child, url)
}

fn curl(args: &[&str]) -> String {
    let output = Command::new("curl")
        .args(["--silent", "--show-error", "--max-time", "10"])
        .args(args)
        .output()
        .expect("curl is installed (.ci/run installs it)");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn hello_example_answers() {
    let example = start("http/hello.lua", &[]);
    assert_eq!(curl(&[&format!("{}/", example.1)]), "Hello, World!\n");
}

#[test]
fn json_api_example_routes() {
    let example = start("http/json_api.lua", &[]);
    let base = &example.1;
    assert_eq!(curl(&[&format!("{base}/todos")]), "[]");
    // object keys come in no fixed order, so check fields
    let created = curl(&["-X", "POST", "-d", r#"{"title": "write docs"}"#, &format!("{base}/todos")]);
    for field in [r#""title":"write docs""#, r#""id":1"#, r#""done":false"#] {
        assert!(created.contains(field), "{field} in {created}");
    }
    let one = curl(&[&format!("{base}/todos/1")]);
    assert!(one.contains(r#""title":"write docs""#) && one.contains(r#""id":1"#), "{one}");
    assert!(curl(&["-X", "POST", "-d", "not json", &format!("{base}/todos")]).contains("expected a JSON object"));
    assert!(curl(&[&format!("{base}/todos/9")]).contains("no todo 9"));
    assert!(curl(&[&format!("{base}/nope")]).contains("no route for GET /nope"));
}

#[test]
fn static_example_streams_files_and_refuses_escapes() {
    let example = start("http/static.lua", &["http"]);
    let base = &example.1;
    let expected = std::fs::read_to_string(crate::support::tests_dir().join("http/robustness.lua")).expect("read the file");
    assert_eq!(curl(&[&format!("{base}/robustness.lua")]), expected);
    assert!(curl(&[&format!("{base}/missing.txt")]).starts_with("not found"));
    assert_eq!(curl(&["--path-as-is", &format!("{base}/../Cargo.toml")]), "bad path\n");
}

#[cfg(unix)]
#[test]
fn multicore_example_spreads_connections_over_its_workers_and_stops_on_ctrl_c() {
    let mut example = start("workers/http-multicore.lua", &["2"]);
    // `Connection: close` puts every request on a new connection, which the kernel hands to one
    // of the two reuseport sockets by a hash of its addresses: 40 connections all landing on
    // the same worker has probability 2^-39. The write-out adds the answering worker's id.
    let url = format!("{}/", example.1);
    let mut args = vec!["-H", "Connection: close", "--write-out", "%header{x-worker}\n"];
    args.extend(std::iter::repeat_n(url.as_str(), 40));
    let output = curl(&args);
    let lines: Vec<&str> = output.lines().collect();
    assert_eq!(lines.len(), 80, "40 bodies and worker ids:\n{output}");
    let mut workers = std::collections::BTreeSet::new();
    for answer in lines.chunks(2) {
        assert_eq!(answer[0], "Hello, World!", "{output}");
        assert!(answer[1].parse::<u32>().is_ok(), "a worker id in x-worker: {output}");
        workers.insert(answer[1]);
    }
    assert_eq!(workers.len(), 2, "both workers answered: {workers:?}");

    let status = example.interrupt().expect("Ctrl-C ends the example and its workers");
    assert_eq!(status.code(), Some(130), "the exit status after Ctrl-C");
}
