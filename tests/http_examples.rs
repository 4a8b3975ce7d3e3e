//! The HTTP examples, started as a user would and queried with curl.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use crate::support::tinn;

/// Kills the example when the test ends, also when an assertion fails first.
struct Example(Child, String);

impl Example {
    /// Sends SIGINT (Ctrl-C) and waits up to 10 s for the example to end; its exit status, or
    /// `None` if it still runs.
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

/// Issue 19: the static example is `http.static`: validators and 304s, ranges, HEAD, content
/// types, index files, and no way out of its folder by `..` or a symbolic link.
#[test]
fn static_example_serves_files_with_validators_ranges_and_no_escapes() {
    let dir = std::env::temp_dir().join(format!("tinn-static-{}", std::process::id()));
    let root = dir.join("site");
    std::fs::create_dir_all(root.join("sub")).expect("make the folder");
    std::fs::write(root.join("hello.txt"), "hello static\n").expect("write");
    std::fs::write(root.join("sub/index.html"), "<p>index</p>\n").expect("write");
    let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(root.join("big.bin"), &big).expect("write");
    std::fs::write(dir.join("secret.txt"), "secret\n").expect("write");
    std::os::unix::fs::symlink(dir.join("secret.txt"), root.join("escape.txt")).expect("symlink out");
    std::os::unix::fs::symlink(root.join("hello.txt"), root.join("inside.txt")).expect("symlink in");
    struct RemoveOnDrop(std::path::PathBuf);
    impl Drop for RemoveOnDrop {
        fn drop(&mut self) {
            std::fs::remove_dir_all(&self.0).ok();
        }
    }
    let _cleanup = RemoveOnDrop(dir.clone());

    let example = start("http/static.lua", &[&root.display().to_string()]);
    let base = &example.1;
    let url = |path: &str| format!("{base}{path}");
    let status = |args: &[&str]| curl(&[&["-o", "/dev/null", "-w", "%{http_code}"], args].concat());

    let raw_head = curl(&["-D", "-", "-o", "/dev/null", &url("/hello.txt")]);
    let head = raw_head.to_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("content-type: text/plain; charset=utf-8"), "{head}");
    assert!(head.contains("content-length: 13"), "{head}");
    let header = |name: &str| {
        let line = raw_head.lines().find(|l| l.to_lowercase().starts_with(&format!("{name}: "))).expect(name);
        line[name.len() + 2..].trim().to_owned()
    };
    let etag = header("etag");
    let modified = header("last-modified");
    assert_eq!(curl(&[&url("/hello.txt")]), "hello static\n");

    // validators
    assert_eq!(status(&["-H", &format!("if-none-match: {etag}"), &url("/hello.txt")]), "304");
    assert_eq!(status(&["-H", "if-none-match: \"other\"", &url("/hello.txt")]), "200");
    assert_eq!(status(&["-H", &format!("if-modified-since: {modified}"), &url("/hello.txt")]), "304");
    assert_eq!(status(&["-H", "if-modified-since: Sat, 01 Jan 2000 00:00:00 GMT", &url("/hello.txt")]), "200");

    // ranges
    let partial = curl(&["-D", "-", "-r", "2-4", &url("/hello.txt")]);
    assert!(partial.starts_with("HTTP/1.1 206"), "{partial}");
    assert!(partial.to_lowercase().contains("content-range: bytes 2-4/13"), "{partial}");
    assert!(partial.ends_with("\r\n\r\nllo"), "{partial}");
    assert_eq!(curl(&["-r", "-3", &url("/hello.txt")]), "ic\n");
    assert_eq!(status(&["-r", "99-", &url("/hello.txt")]), "416");
    let output = Command::new("curl").args(["--silent", "--max-time", "10", "-r", "100000-200009", &url("/big.bin")]).output().expect("curl");
    assert!(output.stdout == big[100_000..200_010], "a range of a streamed file ({} bytes)", output.stdout.len());
    let output = Command::new("curl").args(["--silent", "--max-time", "10", &url("/big.bin")]).output().expect("curl");
    assert!(output.stdout == big, "the whole streamed file ({} bytes)", output.stdout.len());

    // HEAD: the headers of a GET, no body
    let head = curl(&["-I", &url("/big.bin")]).to_lowercase();
    assert!(head.contains("content-length: 300000") && head.contains("content-type: application/octet-stream"), "{head}");

    // folders and their index
    assert_eq!(curl(&[&url("/sub/")]), "<p>index</p>\n");
    let moved = curl(&["-D", "-", "-o", "/dev/null", &url("/sub?x=1")]).to_lowercase();
    assert!(moved.starts_with("http/1.1 301") && moved.contains("location: /sub/?x=1"), "{moved}");
    assert_eq!(status(&[&url("/missing.txt")]), "404");
    assert_eq!(status(&["-X", "POST", &url("/hello.txt")]), "405");

    // no way out
    assert_eq!(status(&["--path-as-is", &url("/../secret.txt")]), "403");
    assert_eq!(status(&["--path-as-is", &url("/%2e%2e/secret.txt")]), "403");
    assert_eq!(status(&[&url("/escape.txt")]), "403", "a link out of the folder");
    assert_eq!(curl(&[&url("/inside.txt")]), "hello static\n", "a link within it");
}

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
