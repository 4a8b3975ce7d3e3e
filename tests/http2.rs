//! Issue 19: tinn's HTTP/2 server, driven by curl, h2load, nghttp and raw frames.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::http::{curl, KillOnDrop, TestCa};
use crate::support::tinn;

/// How many requests the barrier handler holds until all are in flight.
const BARRIER: usize = 64;

/// HTTP/2 frame types (RFC 9113 §6).
const HEADERS: u8 = 0x1;
const SETTINGS: u8 = 0x4;
const GOAWAY: u8 = 0x7;
const WINDOW_UPDATE: u8 = 0x8;

fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let length = u32::try_from(payload.len()).expect("small frame").to_be_bytes();
    let mut bytes = vec![length[1], length[2], length[3], kind, flags];
    bytes.extend_from_slice(&stream.to_be_bytes());
    bytes.extend_from_slice(payload);
    bytes
}

/// A raw h2c connection: the preface, SETTINGS (with `window` as the streams' initial window)
/// and a connection window grown as far as it goes.
fn h2c_connect(port: u16, window: u32) -> TcpStream {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let mut hello = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    let mut settings = vec![0x00, 0x04]; // SETTINGS_INITIAL_WINDOW_SIZE
    settings.extend_from_slice(&window.to_be_bytes());
    hello.extend(frame(SETTINGS, 0, 0, &settings));
    hello.extend(frame(WINDOW_UPDATE, 0, 0, &(0x7fff_ffff - 65_535u32).to_be_bytes()));
    stream.write_all(&hello).expect("send the preface");
    stream
}

/// A GET of `path` on stream 1, its headers in HPACK without the dynamic table.
fn h2c_get(stream: &mut TcpStream, path: &str) {
    // :method GET, :scheme http (static table), :path and :authority as literals
    let mut block = vec![0x82, 0x86, 0x04, u8::try_from(path.len()).expect("short path")];
    block.extend_from_slice(path.as_bytes());
    block.extend_from_slice(&[0x01, 9]);
    block.extend_from_slice(b"localhost");
    stream.write_all(&frame(HEADERS, 0x5, 1, &block)).expect("send HEADERS");
}

/// Reads frames until one of type `kind` arrives; false when the connection ends first.
fn read_until_frame(stream: &mut TcpStream, kind: u8) -> bool {
    let mut header = [0u8; 9];
    while stream.read_exact(&mut header).is_ok() {
        let length = u32::from_be_bytes([0, header[0], header[1], header[2]]) as usize;
        let mut payload = vec![0u8; length];
        if stream.read_exact(&mut payload).is_err() {
            return false;
        }
        if header[3] == kind {
            return true;
        }
    }
    false
}

fn resident_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc/<pid>/status");
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).expect("VmRSS");
    line.split_whitespace().nth(1).expect("a number").parse().expect("kB")
}

/// The HTTP version curl used and the body, for `url` with `args` before it.
fn curl_version(args: &[&str], url: &str) -> (String, String) {
    let mut all = vec!["--write-out", "\n%{http_version}"];
    all.extend_from_slice(args);
    all.push(url);
    let (out, err) = curl(&all);
    match out.rsplit_once('\n') {
        Some((body, version)) => (version.to_owned(), body.to_owned()),
        None => (String::new(), err),
    }
}

/// HTTP/2 over TLS (ALPN) and with prior knowledge on a plain port, beside HTTP/1.1 on the same
/// ports (HTTP/1.1 only with `http2 = false`); garbage after the preface is dropped; tinn's own
/// client takes HTTP/2 when offered; streams of one connection run at once; a client that never reads a 100 MiB response
/// holds up the handler's writes instead of filling memory; an idle connection gets a GOAWAY;
/// draining answers the stream in flight and sends a GOAWAY.
#[test]
fn http2_server_tls_h2c_streams_flow_control_goaway() {
    let ca = TestCa::new("http2");
    ca.issue("a", "localhost", "DNS:localhost,IP:127.0.0.1");
    let mut server = KillOnDrop(
        tinn()
            .args(["http/http2_server.lua", &ca.dir.display().to_string(), &BARRIER.to_string()])
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the tinn server"),
    );
    let mut stdout = BufReader::new(server.0.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("the server prints its ports");
    let ports: Vec<u16> = line.split_whitespace().map(|p| p.parse().expect("a port")).collect();
    let (secure, plain, http1_only) = (ports[0], ports[1], ports[2]);
    for want in [
        "client\tHTTP/2.0\thello HTTP/2.0 /self",
        "client\tHTTP/1.1\thello HTTP/1.1 /self",
        "bad option\tfalse\tbad argument #1 to 'http.serve' ('http2' must be a boolean, got string)",
    ] {
        let mut line = String::new();
        stdout.read_line(&mut line).expect("what the client got");
        assert_eq!(line, format!("{want}\n"));
    }
    let ca_file = ca.path("ca.pem");
    let https = |path: &str| format!("https://localhost:{secure}{path}");
    let h2c = |path: &str| format!("http://127.0.0.1:{plain}{path}");

    assert_eq!(curl_version(&["--cacert", &ca_file, "--http2"], &https("/a")), ("2".into(), "hello HTTP/2.0 /a\n".into()));
    assert_eq!(curl_version(&["--cacert", &ca_file, "--http1.1"], &https("/b")), ("1.1".into(), "hello HTTP/1.1 /b\n".into()));
    assert_eq!(curl_version(&["--http2-prior-knowledge"], &h2c("/c")), ("2".into(), "hello HTTP/2.0 /c\n".into()));
    assert_eq!(curl_version(&[], &h2c("/d")), ("1.1".into(), "hello HTTP/1.1 /d\n".into()));
    let url = format!("https://localhost:{http1_only}/e");
    assert_eq!(curl_version(&["--cacert", &ca_file, "--http2"], &url), ("1.1".into(), "hello HTTP/1.1 /e\n".into()), "http2 = false");
    // Garbage after the preface: that connection is dropped, the server serves on.
    let mut garbage = TcpStream::connect(("127.0.0.1", plain)).expect("connect");
    garbage.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\nthis is no HTTP/2 frame at all").expect("send");
    garbage.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    assert!(!read_until_frame(&mut garbage, HEADERS), "no response to garbage");
    let refused = "WebSocket over HTTP/2 (RFC 8441) is not supported: the client must connect over HTTP/1.1\n";
    assert_eq!(curl_version(&["--http2-prior-knowledge"], &h2c("/ws")), ("2".into(), refused.into()));

    // One connection, BARRIER streams at once: each is answered only when all are in flight.
    for url in [https("/barrier"), h2c("/barrier")] {
        let n = BARRIER.to_string();
        let output = Command::new("h2load").args(["-n", &n, "-c", "1", "-m", &n, &url]).output().expect("h2load is installed (.ci/run installs nghttp2-client)");
        let report = String::from_utf8_lossy(&output.stdout);
        assert!(report.contains(&format!("status codes: {BARRIER} 2xx")), "{url}: {report}");
    }

    // A client that asks for 100 MiB and never reads: the handler's writes stall, memory stays put.
    let before = resident_kib(server.0.id());
    let mut stalled = h2c_connect(plain, 0x7fff_ffff);
    h2c_get(&mut stalled, "/big");
    let written = || curl(&[&h2c("/written")]).0.parse::<u64>().expect("a count");
    let mut last = u64::MAX;
    let deadline = Instant::now() + Duration::from_secs(10);
    while written() != last {
        assert!(Instant::now() < deadline, "the writes stall");
        last = written();
        std::thread::sleep(Duration::from_millis(300));
    }
    let grown = resident_kib(server.0.id()).saturating_sub(before);
    assert!(last < 400, "{last} of 1600 chunks of 64 KiB went out to a client that reads nothing");
    assert!(grown < 48 * 1024, "the server grew by {grown} KiB for a client that reads nothing");
    drop(stalled);

    // Idle: no stream for idleTimeoutMs (500) brings a GOAWAY.
    let mut idle = h2c_connect(plain, 65_535);
    idle.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    let began = Instant::now();
    assert!(read_until_frame(&mut idle, GOAWAY), "an idle connection gets a GOAWAY");
    let waited = began.elapsed();
    assert!(waited >= Duration::from_millis(400) && waited < Duration::from_secs(5), "GOAWAY after {waited:?}");

    // Draining: the stream in flight is answered, the connection gets a GOAWAY.
    let output = Command::new("nghttp").args(["-v", &h2c("/slow"), &h2c("/drain")]).output().expect("nghttp is installed");
    let log = String::from_utf8_lossy(&output.stdout);
    assert!(log.contains("slow done") && log.contains("draining") && log.contains("recv GOAWAY"), "{log}");

    assert_eq!(curl(&["--cacert", &ca_file, &https("/quit")]).0, "bye\n");
    assert!(server.0.wait().expect("the server exits").success());
}
