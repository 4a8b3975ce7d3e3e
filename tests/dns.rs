//! `tinn.dns` against a real, independent DNS server: dnsmasq on 127.0.0.1 and a free port,
//! started here with its records given by flags, and killed when the test ends (a drop guard,
//! so also when it fails). tinn's answers are compared with dig's for the same questions. Both
//! programs come from Debian (dnsmasq-base, bind9-dnsutils); `.ci/run` installs them. Without
//! them these tests fail, saying so. The hostile-server tests need no dnsmasq: they are
//! `dns/hostile.lua` in the script table.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::net::{TcpListener, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::support::{status_of, tests_dir, tinn};

/// How long dnsmasq may take to answer its first query.
const START_TIME_LIMIT: Duration = Duration::from_secs(10);

/// The zone every test sees: `example.test` (authoritative, with SOA and NS) and the reverse
/// zone of 192.0.2.0/24.
fn zone_flags() -> Vec<String> {
    let mut flags: Vec<String> = [
        "--host-record=www.example.test,192.0.2.10,2001:db8::10",
        "--host-record=www.example.test,192.0.2.11",
        "--host-record=mail.example.test,192.0.2.20",
        "--host-record=sip.example.test,192.0.2.30",
        "--mx-host=example.test,mail.example.test,10",
        "--mx-host=example.test,backup.example.test,20",
        "--srv-host=_sip._tcp.example.test,sip.example.test,5060,10,20",
        "--txt-record=example.test,v=spf1 -all,second string",
        "--cname=alias.example.test,www.example.test",
        "--auth-zone=example.test,192.0.2.0/24,2001:db8::/64",
        "--auth-server=ns1.example.test,127.0.0.1",
        "--auth-soa=2024010101,hostmaster.example.test,1200,120,604800",
        "--local=/example.test/",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // 120 addresses for one name: more than 1232 bytes, so dnsmasq truncates the UDP answer
    flags.extend((100..220).map(|i| format!("--host-record=big.example.test,192.0.2.{i}")));
    flags
}

/// A program from PATH or the sbin folders, or a failure that says how to get it.
fn program(name: &str) -> PathBuf {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH").map(|p| std::env::split_paths(&p).collect()).unwrap_or_default();
    dirs.extend(["/usr/sbin", "/sbin", "/usr/local/sbin"].map(PathBuf::from));
    dirs.iter().map(|dir| dir.join(name)).find(|path| path.is_file()).unwrap_or_else(|| {
        panic!(
            "{name} is not installed. The DNS tests run a real DNS server (dnsmasq) and compare with dig; \
             .ci/run installs both (apt-get install dnsmasq-base bind9-dnsutils)"
        )
    })
}

/// A port free for both UDP and TCP on 127.0.0.1 (dnsmasq serves both).
fn free_port() -> u16 {
    loop {
        let udp = UdpSocket::bind("127.0.0.1:0").expect("bind a UDP socket on 127.0.0.1");
        let port = udp.local_addr().expect("local address").port();
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// `dig @127.0.0.1 -p PORT +noall +answer ARGS`.
fn dig(port: u16, args: &[&str]) -> Output {
    Command::new(program("dig"))
        .arg("@127.0.0.1")
        .args(["-p", &port.to_string(), "+noall", "+answer", "+time=2", "+tries=2"])
        .args(args)
        .output()
        .expect("dig runs")
}

/// dnsmasq serving [`zone_flags`]; killed when dropped.
struct Dnsmasq {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Drop for Dnsmasq {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

impl Dnsmasq {
    fn start() -> Dnsmasq {
        let dnsmasq = program("dnsmasq");
        program("dig");
        let mut failures = Vec::new();
        for attempt in 0..5 {
            let port = free_port();
            let log = std::env::temp_dir().join(format!("tinn-dnsmasq-{}-{port}-{attempt}.log", std::process::id()));
            let child = Command::new(&dnsmasq)
                .args(["--no-daemon", "--conf-file=/dev/null", "--listen-address=127.0.0.1", "--bind-interfaces"])
                .args(["--no-resolv", "--no-hosts", "--pid-file=", "--log-facility=-"])
                .arg(format!("--port={port}"))
                .args(zone_flags())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(File::create(&log).expect("a log file for dnsmasq"))
                .spawn()
                .unwrap_or_else(|e| panic!("starting {}: {e}", dnsmasq.display()));
            let mut server = Dnsmasq { child, port, log };
            let deadline = Instant::now() + START_TIME_LIMIT;
            while Instant::now() < deadline {
                if let Ok(Some(_)) = server.child.try_wait() {
                    break; // it ended: most likely the port was taken meanwhile; try another
                }
                let answer = dig(port, &["+time=1", "+tries=1", "www.example.test", "A"]);
                if String::from_utf8_lossy(&answer.stdout).contains("192.0.2.10") {
                    return server;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            failures.push(std::fs::read_to_string(&server.log).unwrap_or_default());
        }
        panic!("dnsmasq did not start answering on 127.0.0.1; its output:\n{}", failures.join("\n---\n"));
    }
}

/// Runs a script (path relative to `tests/`) with arguments; returns status, stdout, stderr.
fn run(script: &str, args: &[String]) -> (i32, String, String) {
    let output = tinn().arg(script).args(args).output().expect("the tinn binary runs");
    (status_of(&output), String::from_utf8_lossy(&output.stdout).into_owned(), String::from_utf8_lossy(&output.stderr).into_owned())
}

/// The questions compared with dig: every record type the helpers cover.
const QUESTIONS: &[(&str, &str)] = &[
    ("www.example.test", "A"),
    ("www.example.test", "AAAA"),
    ("example.test", "MX"),
    ("example.test", "TXT"),
    ("_sip._tcp.example.test", "SRV"),
    ("alias.example.test", "CNAME"),
    ("alias.example.test", "A"),
    ("example.test", "NS"),
    ("example.test", "SOA"),
    ("10.2.0.192.in-addr.arpa", "PTR"),
    ("big.example.test", "A"),
];

#[test]
fn dns_answers_match_dig_for_every_type() {
    let server = Dnsmasq::start();
    let mut args = vec![server.port.to_string()];
    for (name, rtype) in QUESTIONS {
        args.push(name.to_string());
        args.push(rtype.to_string());
    }
    let (status, stdout, stderr) = run("dns/dig.lua", &args);
    assert_eq!(status, 0, "dns/dig.lua failed\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}");

    let mut tinn_answers: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in stdout.lines() {
        let (question, record) = line.split_once('|').unwrap_or((line, ""));
        tinn_answers.entry(question.to_string()).or_default().insert(record.to_string());
    }
    for (name, rtype) in QUESTIONS {
        let question = format!("{name} {rtype}");
        let output = dig(server.port, &[name, rtype]);
        let text = String::from_utf8_lossy(&output.stdout);
        // dig's columns: owner ttl class type data...; keep the records of the type asked
        let expected: BTreeSet<String> = text
            .lines()
            .filter(|line| !line.starts_with(';') && !line.trim().is_empty())
            .filter_map(|line| {
                let fields: Vec<&str> = line.split_whitespace().collect();
                match fields.as_slice() {
                    [owner, ttl, _class, found, data @ ..] if found == rtype => {
                        Some(format!("{owner} {ttl} {found} {}", data.join(" ")))
                    }
                    _ => None,
                }
            })
            .collect();
        assert!(!expected.is_empty(), "dig found no {rtype} records for {name}: is dnsmasq set up?\n{text}");
        let got = tinn_answers.get(&question).cloned().unwrap_or_default();
        assert_eq!(got, expected, "tinn and dig disagree on {question}\n--- tinn ---\n{stdout}\n--- dig ---\n{text}");
    }
}

#[test]
fn dns_errors_sections_tcp_fallback_1000_concurrent_and_resolver_files() {
    let server = Dnsmasq::start();
    let (status, stdout, stderr) = run("dns/dnsmasq.lua", &[server.port.to_string()]);
    let context = format!("--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}");
    assert_eq!(status, 0, "dns/dnsmasq.lua failed\n{context}");
    assert!(stderr.is_empty(), "unexpected stderr\n{context}");
    let expected = std::fs::read_to_string(tests_dir().join("dns/dnsmasq.out")).expect("tests/dns/dnsmasq.out");
    assert_eq!(stdout, expected, "stdout differs from dns/dnsmasq.out\n{context}");
}

#[test]
fn dns_example_lookup_against_dnsmasq() {
    let server = Dnsmasq::start();
    let args: Vec<String> = ["127.0.0.1", &server.port.to_string(), "example.test", "www.example.test", "mail.example.test", "nope.example.test"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let (status, stdout, stderr) = run("../examples/dns/lookup.lua", &args);
    let context = format!("--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}");
    assert_eq!(status, 0, "examples/dns/lookup.lua failed\n{context}");
    for expected in [
        "www.example.test           192.0.2.10",
        "www.example.test           192.0.2.11",
        "mail.example.test          192.0.2.20",
        "nope.example.test          NXDOMAIN",
        "3 A lookups at once:",
        "MX  example.test            10 mail.example.test",
        "MX  example.test            20 backup.example.test",
        "SRV _sip._tcp.example.test priority 10 weight 20 port 5060 sip.example.test",
        "MX and SRV lookups at once:",
    ] {
        assert!(stdout.contains(expected), "the example's output lacks {expected:?}\n{context}");
    }
}
