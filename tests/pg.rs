//! `tinn.pg` against a real PostgreSQL: each test makes its own cluster with `initdb` in a temp
//! folder, starts it with `pg_ctl` on a free port on 127.0.0.1 (TLS on, with a CA and server
//! certificate made here by openssl), runs `tests/pg/*.lua` through the real binary with the
//! URL in `PG_URL`, and stops the cluster when it ends (a drop guard, so also when it fails).
//! As root, the server runs as the `postgres` user (`runuser`), which refuses to run as root.
//! The programs come from Debian's `postgresql` and `openssl` packages; `.ci/run` installs them.
//! Without them these tests fail, saying so.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{status_of, tests_dir, tinn, Started};

/// The superuser's password in every test cluster.
const PASSWORD: &str = "tinn-test-secret";

/// PostgreSQL's server programs: Debian keeps them out of PATH, in /usr/lib/postgresql/<v>/bin.
fn pg_bin() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|dir| dir.filter_map(|e| e.ok()).map(|e| e.path().join("bin")).filter(|p| p.join("initdb").is_file()).collect())
        .unwrap_or_default();
    versions.sort();
    versions.pop().unwrap_or_else(|| {
        panic!("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb); .ci/run installs it (apt-get install postgresql)")
    })
}

fn running_as_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0").local_addr().expect("local address").port()
}

/// Runs a command to completion, panicking with its output when it fails.
fn must(command: &mut Command, what: &str) {
    let output = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        output.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A test CA and a server certificate for 127.0.0.1 signed by it, in `dir`.
fn make_certificates(dir: &Path) {
    let openssl = |args: &[&str]| {
        must(Command::new("openssl").args(args).current_dir(dir), &format!("openssl {}", args.join(" ")));
    };
    std::fs::write(dir.join("server.ext"), "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n").expect("write server.ext");
    openssl(&["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=tinn test CA"]);
    openssl(&["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"]);
    openssl(&[
        "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt", "-days",
        "2", "-extfile", "server.ext",
    ]);
}

/// A throw-away cluster; stopped and deleted when dropped.
pub struct Cluster {
    dir: PathBuf,
    bin: PathBuf,
    pub port: u16,
}

impl Cluster {
    pub fn start(name: &str) -> Cluster {
        let bin = pg_bin();
        let dir = std::env::temp_dir().join(format!("tinn-pg-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the cluster folder");
        make_certificates(&dir);
        std::fs::write(dir.join("password"), PASSWORD).expect("write the password file");
        let cluster = Cluster { dir, bin, port: free_port() };
        if running_as_root() {
            must(Command::new("chown").args(["-R", "postgres:postgres"]).arg(&cluster.dir), "chown the cluster folder");
        }
        must(
            cluster
                .as_server_user("initdb")
                .args(["-D"])
                .arg(cluster.dir.join("data"))
                .args(["-U", "postgres", "-A", "scram-sha-256", "--no-sync", "-E", "UTF8", "--locale=C"])
                .arg(format!("--pwfile={}", cluster.dir.join("password").display())),
            "initdb",
        );
        // server.key must be private to the server's user
        must(Command::new("chmod").arg("600").arg(cluster.dir.join("server.key")), "chmod server.key");
        cluster.pg_ctl_start();
        cluster
    }

    /// A server program, run as `postgres` when we are root.
    fn as_server_user(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        let mut command = if running_as_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(path);
            command
        } else {
            Command::new(path)
        };
        command.current_dir(&self.dir).stdin(Stdio::null());
        command
    }

    pub fn pg_ctl_start(&self) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c ssl=on -c ssl_cert_file={} -c ssl_key_file={} -c fsync=off -c max_connections=60",
            self.port,
            self.dir.display(),
            self.dir.join("server.crt").display(),
            self.dir.join("server.key").display(),
        );
        must(
            self.as_server_user("pg_ctl")
                .args(["-w", "-t", "60", "-D"])
                .arg(self.dir.join("data"))
                .arg("-l")
                .arg(self.dir.join("server.log"))
                .args(["-o", &options, "start"]),
            "pg_ctl start",
        );
    }

    /// Stops the server at once, as a crash would (no clean shutdown of sessions).
    pub fn pg_ctl_stop_immediate(&self) {
        must(self.as_server_user("pg_ctl").args(["-w", "-D"]).arg(self.dir.join("data")).args(["-m", "immediate", "stop"]), "pg_ctl stop");
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres:{PASSWORD}@127.0.0.1:{}/postgres", self.port)
    }

    pub fn ca(&self) -> PathBuf {
        self.dir.join("ca.crt")
    }

    /// `tinn <script>` with the cluster's URL, CA and port in the environment.
    pub fn tinn(&self, script: &str) -> Command {
        let mut command = tinn();
        command.arg(script).env("PG_URL", self.url()).env("PG_CA", self.ca()).env("PG_PORT", self.port.to_string());
        command
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.as_server_user("pg_ctl").args(["-D"]).arg(self.dir.join("data")).args(["-m", "immediate", "stop"]).output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs `tests/<script>` against `cluster`; checks exit 0 and `<script>.out`.
fn check(cluster: &Cluster, script: &str) {
    let output = cluster.tinn(script).output().expect("the tinn binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let context = || format!("script {script}\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}\n--- server log ---\n{}", cluster.log());
    assert_eq!(status_of(&output), 0, "exit status of {}", context());
    let expected = std::fs::read_to_string(tests_dir().join(script).with_extension("out"))
        .unwrap_or_else(|e| panic!("{script}: its .out file: {e}"));
    assert_eq!(stdout, expected, "stdout differs from {script} .out\n{}", context());
    assert!(stderr.is_empty(), "unexpected stderr\n{}", context());
}

/// One cluster for the scripts that leave the server running; each script makes its own tables.
#[test]
fn pg_scripts_against_a_real_server() {
    let cluster = Cluster::start("scripts");
    for script in [
        "pg/types.lua",
        "pg/errors.lua",
        "pg/transactions.lua",
        "pg/rows.lua",
        "pg/cancel.lua",
        "pg/concurrency.lua",
        "pg/listen.lua",
        "pg/copy.lua",
        "pg/tls.lua",
    ] {
        check(&cluster, script);
    }
    check_doc_examples(&cluster);
}

/// The first line of a docs/pg.md example that tests/docs.rs skips and this module runs.
const DOC_MARKER: &str = "-- not run: needs a PostgreSQL server";

/// Runs every example of docs/pg.md against `cluster`: each must exit 0 and print, line by
/// line, what its `--> ` comments say.
fn check_doc_examples(cluster: &Cluster) {
    let page = std::fs::read_to_string(tests_dir().join("../docs/pg.md")).expect("docs/pg.md");
    let mut examples = Vec::new();
    let mut current: Option<String> = None;
    for line in page.lines() {
        match &mut current {
            None if line.trim() == "```lua" => current = Some(String::new()),
            Some(code) if line.trim_start().starts_with("```") => {
                if code.starts_with(DOC_MARKER) {
                    examples.push(std::mem::take(code));
                }
                current = None;
            }
            Some(code) => {
                code.push_str(line);
                code.push('\n');
            }
            None => {}
        }
    }
    assert!(examples.len() >= 2, "docs/pg.md has {} runnable examples", examples.len());
    let dir = std::env::temp_dir().join(format!("tinn-pg-docs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a folder for the examples");
    for (index, code) in examples.iter().enumerate() {
        let path = dir.join(format!("example{index}.lua"));
        std::fs::write(&path, code).expect("write the example");
        let output = cluster.tinn(path.to_str().expect("a UTF-8 temp path")).output().expect("the tinn binary runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let expected: Vec<&str> = code.lines().filter_map(|line| line.split_once("--> ").map(|(_, out)| out.trim_end())).collect();
        let got: Vec<&str> = stdout.lines().map(str::trim_end).collect();
        assert!(
            status_of(&output) == 0 && got == expected,
            "docs/pg.md example {index}: exit {}, expected {expected:?}, got {got:?}\n{code}\n--- stderr ---\n{stderr}",
            status_of(&output)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The server is killed while a query runs: the task gets an error that says the connection was
/// lost, and once the server is back the same db works again (the pool opened new connections).
#[test]
fn pg_server_killed_mid_query_then_pool_recovers() {
    let cluster = Cluster::start("killed");
    let started = Started::first_line({
        let mut command = cluster.tinn("pg/killed.lua");
        command.stdin(Stdio::piped());
        command
    });
    // The script printed "querying" once the server showed its pg_sleep running. Kill the
    // server under it, and keep it down a while: calls made meanwhile fail.
    cluster.pg_ctl_stop_immediate();
    let stopped_at = Instant::now();
    std::thread::sleep(Duration::from_millis(700));
    cluster.pg_ctl_start();
    let (status, stdout, stderr) = started.output();
    let context = format!("--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}\n--- server log ---\n{}", cluster.log());
    assert_eq!(status, 0, "exit status\n{context}");
    let expected = std::fs::read_to_string(tests_dir().join("pg/killed.out")).expect("pg/killed.out");
    assert_eq!(stdout, expected, "stdout differs from pg/killed.out\n{context}");
    assert!(stopped_at.elapsed() < Duration::from_secs(60), "the script took too long after the restart\n{context}");
}
