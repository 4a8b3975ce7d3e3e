//! tinn's HTTP server driven by curl, an independent client.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use crate::support::tinn;

/// Kills the server when the test ends, also when an assertion fails first.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn curl(args: &[&str]) -> (String, String) {
    let output = Command::new("curl")
        .args(["--silent", "--show-error", "--max-time", "10"])
        .args(args)
        .output()
        .expect("curl is installed (.ci/run installs it)");
    (String::from_utf8_lossy(&output.stdout).into_owned(), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn curl_against_tinn_server() {
    let mut server = KillOnDrop(
        tinn().arg("http/serve_for_curl.lua").stdout(Stdio::piped()).spawn().expect("start the tinn server"),
    );
    let mut port = String::new();
    BufReader::new(server.0.stdout.take().expect("stdout")).read_line(&mut port).expect("the server prints its port");
    let base = format!("http://127.0.0.1:{}", port.trim());

    let (body, _) = curl(&[&format!("{base}/a")]);
    assert_eq!(body, "hello curl /a");

    // two URLs in one curl run share the kept-alive connection
    let (body, log) = curl(&["--verbose", &format!("{base}/one"), &format!("{base}/two")]);
    assert_eq!(body, "hello curl /onehello curl /two");
    assert!(log.contains("Re-using existing connection") || log.contains("Reusing existing"), "keep-alive: {log}");
    assert!(log.contains("x-served-by: tinn"), "headers reach curl: {log}");

    let upload = std::env::temp_dir().join(format!("tinn-upload-{}", std::process::id()));
    std::fs::write(&upload, "x".repeat(3 * 1024 * 1024)).expect("write the upload file");
    let data = format!("@{}", upload.display());
    let (body, err) = curl(&["--data-binary", &data, "-H", "content-type: text/x-test", &format!("{base}/up")]);
    std::fs::remove_file(&upload).ok();
    assert_eq!(body, format!("text/x-test got {} bytes", 3 * 1024 * 1024), "{err}");

    let (body, _) = curl(&[&format!("{base}/quit")]);
    assert_eq!(body, "bye");
    let status = server.0.wait().expect("the server exits after /quit");
    assert!(status.success(), "the server ends cleanly: {status}");
}
