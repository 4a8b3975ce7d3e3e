//! The HTTP examples, started as a user would and queried with curl.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use crate::support::tinn;

/// Kills the example when the test ends, also when an assertion fails first.
struct Example(Child, String);

impl Drop for Example {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `examples/http/<name>` on a free port (with `extra` arguments); returns it with its
/// base URL.
fn start(name: &str, extra: &[&str]) -> Example {
    let mut child = tinn()
        .args([&format!("../examples/http/{name}"), "0"])
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
    let example = start("hello.lua", &[]);
    assert_eq!(curl(&[&format!("{}/", example.1)]), "Hello, World!\n");
}

#[test]
fn json_api_example_routes() {
    let example = start("json_api.lua", &[]);
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
    let example = start("static.lua", &["http"]);
    let base = &example.1;
    let expected = std::fs::read_to_string(crate::support::tests_dir().join("http/robustness.lua")).expect("read the file");
    assert_eq!(curl(&[&format!("{base}/robustness.lua")]), expected);
    assert!(curl(&[&format!("{base}/missing.txt")]).starts_with("not found"));
    assert_eq!(curl(&["--path-as-is", &format!("{base}/../Cargo.toml")]), "bad path\n");
}
