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

/// Runs `openssl` with `args` in `dir`, failing the test with its output if it fails.
fn openssl(dir: &std::path::Path, args: &[&str]) {
    let output = Command::new("openssl").current_dir(dir).args(args).output().expect("openssl is installed");
    assert!(output.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn https_client_trusts_a_given_ca() {
    let dir = std::env::temp_dir().join(format!("tinn-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    openssl(&dir, &["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=tinn test CA"]);
    openssl(&dir, &["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"]);
    std::fs::write(dir.join("san.cnf"), "subjectAltName=IP:127.0.0.1\n").expect("write extensions");
    openssl(&dir, &["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "1", "-extfile", "san.cnf"]);
    std::fs::write(dir.join("hello.txt"), "hello over TLS\n").expect("write the served file");

    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
    let accept = format!("127.0.0.1:{port}");
    let _server = KillOnDrop(
        Command::new("openssl")
            .current_dir(&dir)
            .args(["s_server", "-accept", &accept, "-cert", "server.pem", "-key", "server.key", "-WWW", "-quiet"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start openssl s_server"),
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::net::TcpStream::connect(&accept).is_err() {
        assert!(std::time::Instant::now() < deadline, "openssl s_server did not start");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let ca = dir.join("ca.pem");
    let output = tinn()
        .args(["http/tls_client.lua", &port.to_string(), &ca.display().to_string()])
        .output()
        .expect("run tinn");
    let stdout = String::from_utf8_lossy(&output.stdout);
    std::fs::remove_dir_all(&dir).ok();
    let mut lines = stdout.lines();
    assert_eq!(lines.next(), Some("with the test CA\t200\thello over TLS"), "{stdout} {}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(lines.next(), Some("without it\tnil\ttrue"), "{stdout}");
    let bad = lines.next().unwrap_or_default();
    assert!(bad.starts_with("bad ca\tnil\tca: "), "a malformed CA is a clear error: {bad}");
}
