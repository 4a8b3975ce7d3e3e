//! tinn's HTTP server driven by curl, an independent client.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use crate::support::tinn;

/// Kills the server when the test ends, also when an assertion fails first.
pub(crate) struct KillOnDrop(pub(crate) Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn curl(args: &[&str]) -> (String, String) {
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

    // res:compress(true): curl --compressed gets brotli (preferred to gzip) and decodes it
    let (body, log) = curl(&["--compressed", "--verbose", &format!("{base}/gzip")]);
    assert_eq!(body, "compress me ".repeat(200));
    assert!(log.to_lowercase().contains("content-encoding: br"), "{log}");
    let (body, log) = curl(&["--compressed", "--verbose", "-H", "accept-encoding: gzip", &format!("{base}/gzip")]);
    assert_eq!(body, "compress me ".repeat(200));
    assert!(log.to_lowercase().contains("content-encoding: gzip"), "{log}");
    let (body, log) = curl(&["--verbose", &format!("{base}/gzip")]);
    assert_eq!(body, "compress me ".repeat(200), "no gzip for a client that did not ask");
    assert!(!log.to_lowercase().contains("content-encoding"), "{log}");

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

/// Descriptors open in process `pid`.
fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).expect("read /proc/<pid>/fd").count()
}

/// CPU time (user + system) process `pid` has used, in clock ticks (1/100 s on Linux).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("read /proc/<pid>/stat");
    // the fields after the command name, which is in parentheses and may hold spaces
    let fields: Vec<&str> = stat.rsplit_once(')').expect("stat has (comm)").1.split_whitespace().collect();
    fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime")
}

/// Issue 14 item 8: at the descriptor limit the accept loop retried at once and spun a core
/// while answering nobody, and each connection cost two descriptors (a copy kept to write a
/// 408). Now: one per connection, a pause between failed accepts, one line on stderr, and
/// service resumes as soon as connections close.
#[test]
fn http_server_at_the_fd_limit_backs_off_and_recovers() {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::time::Duration;

    let mut command = Command::new("sh");
    command
        .args(["-c", &format!("ulimit -n 64 && exec '{}' http/serve_at_fd_limit.lua", env!("CARGO_BIN_EXE_tinn"))])
        .current_dir(crate::support::tests_dir());
    let mut started = crate::support::Started::first_line(command);
    let pid = started.child.id();
    let ports: Vec<u16> = started.first_printed().split_whitespace().map(|p| p.parse().expect("a port")).collect();
    let (http_port, echo_port) = (ports[0], ports[1]);
    let ask = |port: u16, request: &str| -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
        stream.write_all(request.as_bytes()).expect("send");
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        answer
    };
    let served = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

    // a request answered: the server runs (what it opens at start is open)
    assert!(ask(http_port, served).ends_with("ok"));
    let before = open_fds(pid);
    let mut held: Vec<TcpStream> = (0..10).map(|_| TcpStream::connect(("127.0.0.1", http_port)).expect("connect")).collect();
    // connections are accepted in order: once a later one is answered, the 10 are accepted
    assert!(ask(http_port, served).ends_with("ok"));
    let per_ten = open_fds(pid) - before;
    assert!(per_ten <= 11, "10 idle connections cost {per_ten} descriptors (one each expected)");

    // Far more connections than descriptors: the rest wait in the listen backlogs.
    for _ in 0..60 {
        held.push(TcpStream::connect(("127.0.0.1", http_port)).expect("connect"));
        held.push(TcpStream::connect(("127.0.0.1", echo_port)).expect("connect"));
    }
    // both servers say (once) that they ran out of descriptors; from then on they must rest
    let out_of_descriptors = started.wait_for_stderr("HTTP server on") && started.wait_for_stderr("accept");
    assert!(out_of_descriptors, "both servers report running out of descriptors");
    let ticks = cpu_ticks(pid);
    std::thread::sleep(Duration::from_secs(2));
    let used = cpu_ticks(pid) - ticks;
    assert!(used < 30, "out of descriptors the server used {used} ticks of CPU in 2 s (spinning)");

    drop(held);
    let answer = ask(http_port, served);
    assert!(answer.starts_with("HTTP/1.1 200 OK") && answer.ends_with("ok"), "served again: {answer:?}");
    assert_eq!(ask(echo_port, "hello\n"), "hello\n", "tinn.net serves again");
    ask(http_port, "GET /quit HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

    let (status, _, stderr) = started.output();
    assert_eq!(status, 0, "{stderr}");
    assert_eq!(stderr.matches("HTTP server on").count(), 1, "said once: {stderr}");
    assert_eq!(stderr.matches("accept").count(), 1, "tinn.net said once too: {stderr}");
    assert!(stderr.contains("Too many open files"), "{stderr}");
}

/// A test CA in a fresh folder, and certificates it signs: `<name>.pem` / `<name>.key`.
pub(crate) struct TestCa {
    pub(crate) dir: std::path::PathBuf,
}

impl TestCa {
    pub(crate) fn new(label: &str) -> TestCa {
        let dir = std::env::temp_dir().join(format!("tinn-{label}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        openssl(&dir, &["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=tinn test CA"]);
        TestCa { dir }
    }

    /// Signs a certificate `<name>.pem` for common name `cn`, valid for `san`
    /// (`DNS:localhost,IP:127.0.0.1`), with its key in `<name>.key`.
    pub(crate) fn issue(&self, name: &str, cn: &str, san: &str) {
        let (key, csr, pem, ext) = (format!("{name}.key"), format!("{name}.csr"), format!("{name}.pem"), format!("{name}.cnf"));
        openssl(&self.dir, &["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", &key, "-out", &csr, "-subj", &format!("/CN={cn}")]);
        std::fs::write(self.dir.join(&ext), format!("subjectAltName={san}\n")).expect("write extensions");
        openssl(&self.dir, &["x509", "-req", "-in", &csr, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", &pem, "-days", "1", "-extfile", &ext]);
    }

    pub(crate) fn path(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }
}

impl Drop for TestCa {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

/// The subject curl saw in the server's certificate, and the body, for `url`.
fn curl_tls(ca: &TestCa, port: u16, host: &str, path: &str) -> (String, String) {
    let resolve = format!("{host}:{port}:127.0.0.1");
    let (body, log) = curl(&["--verbose", "--cacert", &ca.path("ca.pem"), "--resolve", &resolve, &format!("https://{host}:{port}{path}")]);
    let subject = log.lines().find_map(|l| l.trim_start_matches("* ").trim().strip_prefix("subject: ")).unwrap_or("").to_owned();
    (subject, if body.is_empty() { log } else { body })
}

/// Issue 19: tinn serves HTTPS (it spoke only plain HTTP): certificates picked by SNI, clear
/// errors for bad ones, reload by `server:reload()` and SIGHUP while a connection stays open,
/// and a client stalling in the handshake is dropped without holding up the others.
#[test]
fn https_server_sni_reload_and_stalled_handshake() {
    use std::io::{Read, Write};
    use std::time::{Duration, Instant};

    let ca = TestCa::new("tls-server");
    ca.issue("a", "first", "DNS:localhost,IP:127.0.0.1");
    ca.issue("b", "second", "DNS:b.test");
    ca.issue("renewed", "renewed", "DNS:localhost,IP:127.0.0.1");

    let mut server = KillOnDrop(
        tinn().args(["http/tls_server.lua", &ca.dir.display().to_string()]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("start the tinn server"),
    );
    let mut stdout = BufReader::new(server.0.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("the server prints its port");
    let port: u16 = line.trim().parse().expect("a port");

    // SNI: localhost is answered by the certificate valid for it, b.test by the one named so
    let (subject, body) = curl_tls(&ca, port, "localhost", "/a");
    assert_eq!((subject.as_str(), body.as_str()), ("CN=first", "hello tls /a\n"));
    let (subject, body) = curl_tls(&ca, port, "b.test", "/b");
    assert_eq!((subject.as_str(), body.as_str()), ("CN=second", "hello tls /b\n"));

    // A client that connects and stalls in the handshake: others are served meanwhile, and it
    // is dropped after headerTimeoutMs (500 ms).
    let mut stalled = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stalled.write_all(&[0x16, 0x03, 0x01]).expect("a handshake's first bytes");
    let (_, body) = curl_tls(&ca, port, "localhost", "/meanwhile");
    assert_eq!(body, "hello tls /meanwhile\n");
    stalled.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    let began = Instant::now();
    let mut rest = Vec::new();
    let _ = stalled.read_to_end(&mut rest);
    assert!(began.elapsed() < Duration::from_secs(5), "the stalled handshake was dropped ({:?})", began.elapsed());

    // A connection open across the reload keeps working
    let mut open = KillOnDrop(
        Command::new("openssl")
            .args(["s_client", "-quiet", "-connect", &format!("127.0.0.1:{port}"), "-CAfile", &ca.path("ca.pem")])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start openssl s_client"),
    );
    let mut open_in = open.0.stdin.take().expect("stdin");
    let mut open_out = BufReader::new(open.0.stdout.take().expect("stdout"));
    let mut ask = |path: &str| -> String {
        open_in.write_all(format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes()).expect("send over s_client");
        loop {
            let mut line = String::new();
            if open_out.read_line(&mut line).expect("read from s_client") == 0 || line.starts_with("hello") {
                return line;
            }
        }
    };
    assert_eq!(ask("/before"), "hello tls /before\n");

    std::fs::copy(ca.dir.join("renewed.pem"), ca.dir.join("a.pem")).expect("renew the certificate");
    std::fs::copy(ca.dir.join("renewed.key"), ca.dir.join("a.key")).expect("renew the key");
    // SAFETY: kill only sends a signal to our own child process.
    unsafe { libc::kill(server.0.id() as i32, libc::SIGHUP) };
    let deadline = Instant::now() + Duration::from_secs(10);
    while curl_tls(&ca, port, "localhost", "/").0 != "CN=renewed" {
        assert!(Instant::now() < deadline, "SIGHUP reloads the certificate");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(ask("/after"), "hello tls /after\n", "the connection open across the reload still works");

    // A broken file: reload says why and the certificates in use stay
    std::fs::copy(ca.dir.join("b.key"), ca.dir.join("a.key")).expect("a key of another certificate");
    let (_, body) = curl_tls(&ca, port, "localhost", "/reload");
    assert!(body.starts_with("reload nil tls key does not match certificate"), "{body}");
    assert_eq!(curl_tls(&ca, port, "localhost", "/still").0, "CN=renewed");
    drop(open);

    let (_, body) = curl_tls(&ca, port, "localhost", "/quit");
    assert_eq!(body, "bye\n");
    let status = server.0.wait().expect("the server exits after /quit");
    let mut printed = String::new();
    stdout.read_to_string(&mut printed).expect("read the rest");
    let mut stderr = String::new();
    server.0.stderr.take().expect("stderr").read_to_string(&mut stderr).expect("stderr");
    assert!(status.success(), "the server ends cleanly: {status} {stderr}");
    let printed = printed.replace(&ca.dir.display().to_string(), "DIR").replace(&format!(":{port}/"), ":PORT/");
    let expected = [
        "HttpServer(https://127.0.0.1:PORT)\t1",
        "mismatched key\tnil\thttp.serve: tls key does not match certificate (key 'DIR/b.key', cert 'DIR/a.pem')",
        "missing file\tnil\thttp.serve: tls cert: read 'DIR/nope.pem': No such file or directory (os error 2)",
        "not PEM\tnil\thttp.serve: tls cert (PEM text): not a PEM certificate:",
        "no key\tnil\thttp.serve: tls key 'DIR/a.pem': no PEM private key found",
        "bad option\tfalse\tbad argument #1 to 'http.serve' ('tls.key' must be PEM text or a file path, got nil)",
        "own client\t200\thello tls /self",
        "own client without the CA\tnil\ttrue",
        "wss\techo over TLS: hello\ttext",
        "wss without the CA\tnil\twebsocket 'wss://localhost:PORT/ws': invalid peer certificate: UnknownIssuer",
    ];
    let lines: Vec<&str> = printed.lines().filter(|l| !l.is_empty()).collect();
    for (want, got) in expected.iter().zip(&lines) {
        assert!(got.starts_with(want), "want {want:?}\n got {got:?}\nall:\n{printed}\n{stderr}");
    }
    assert_eq!(lines.len(), expected.len(), "{printed}");
}

/// Issue 19: Ctrl-C on a server script drains it (the request in flight gets its response, new
/// connections are refused), then the program exits 130 as before; it used to cut the request off.
#[test]
fn ctrl_c_drains_a_server_script() {
    use std::time::{Duration, Instant};

    let mut server = KillOnDrop(
        tinn().arg("http/serve_until_interrupted.lua").stdout(Stdio::piped()).spawn().expect("start the tinn server"),
    );
    let mut stdout = BufReader::new(server.0.stdout.take().expect("stdout"));
    let mut port = String::new();
    stdout.read_line(&mut port).expect("the server prints its port");
    let port: u16 = port.trim().parse().expect("a port");
    let slow = std::thread::spawn(move || curl(&[&format!("http://127.0.0.1:{port}/slow?ms=700")]));
    let mut serving = String::new();
    stdout.read_line(&mut serving).expect("the server says the request arrived");
    assert_eq!(serving, "serving /slow\n");
    // SAFETY: kill only sends a signal to our own child process.
    unsafe { libc::kill(server.0.id() as i32, libc::SIGINT) };
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
        assert!(Instant::now() < deadline, "new connections are refused while draining");
        std::thread::sleep(Duration::from_millis(20));
    }
    let (body, err) = slow.join().expect("the curl thread");
    assert_eq!(body, "done /slow", "the request in flight finished: {err}");
    let status = server.0.wait().expect("the server exits");
    assert_eq!(status.code(), Some(130), "{status}");
}

/// A script that waits for Ctrl-C itself takes it over: its handler runs and nothing drains the
/// servers (the drain is the exit path of a signal nobody waits for); SIGTERM, which it does not
/// wait for, drains them before the program exits 143.
#[test]
fn a_script_handling_ctrl_c_takes_it_over_from_the_server_drain() {
    let serve = "local http = require('tinn.http') \
        local server = assert(http.serve{ port = 0, handler = function(_, res) res:send('x') end }) \
        tinn.atExit(function() print('at exit, server closed: ' .. tostring(server:isClosed())) end)";
    let handled = format!(
        "{serve} onSignal(function() print('handler, server closed: ' .. tostring(server:isClosed())) stop(0) end, 'SIGINT') \
         print('ready')"
    );
    let (status, stdout, stderr) = crate::support::interrupt(&handled, libc::SIGINT);
    assert_eq!(
        (status, stdout.as_str()),
        (0, "ready\nhandler, server closed: false\nat exit, server closed: false\n"),
        "{stderr}"
    );
    let (status, stdout, stderr) = crate::support::interrupt(&format!("{serve} print('ready')"), libc::SIGTERM);
    assert_eq!((status, stdout.as_str()), (143, "ready\nat exit, server closed: true\n"), "{stderr}");
}
