//! The change journal under the faults a user meets (issue 14): a real inotify queue overflow
//! while the reader is paused (SIGSTOP), kill -9 of the reader, a full disk under the journal
//! file (a small tmpfs), and a crash loop. Each test ends with `journal/replay.lua`, which
//! replays the journal file and compares the result with the tree on disk: nothing lost,
//! nothing twice, no usn reused.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use crate::support::tinn;

/// How long a reader may take to print an awaited line.
const LINE_TIME_LIMIT: Duration = Duration::from_secs(60);

/// A fresh directory holding the watched tree (`tree/`) and, beside it, the journal file.
struct Scene {
    dir: PathBuf,
}

impl Scene {
    fn new(test: &str) -> Scene {
        let dir = std::env::temp_dir().join(format!("tinn-journal-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("tree")).expect("make the tree");
        Scene { dir }
    }

    fn tree(&self) -> PathBuf {
        self.dir.join("tree")
    }

    fn journal(&self) -> PathBuf {
        self.dir.join("journal")
    }

    fn touch(&self, name: &str) {
        std::fs::write(self.tree().join(name), b"").expect("create a file");
    }

    fn remove(&self, name: &str) {
        std::fs::remove_file(self.tree().join(name)).expect("remove a file");
    }
}

impl Drop for Scene {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A running `journal/reader.lua`; its stdout lines arrive on a channel.
struct Reader {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Reader {
    fn start(tree: &Path, journal: &Path, print: bool) -> Reader {
        let mut command = tinn();
        command.arg("journal/reader.lua").arg(tree).arg(journal);
        if print {
            command.arg("print");
        }
        let mut child = command.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().expect("start the reader");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut reader = Reader { child, lines, seen: Vec::new() };
        reader.wait_for("ready");
        reader
    }

    /// Waits for a line starting with `prefix`; returns it.
    fn wait_for(&mut self, prefix: &str) -> String {
        let deadline = Instant::now() + LINE_TIME_LIMIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.starts_with(prefix) {
                        return line;
                    }
                }
                Err(_) => panic!("the reader did not print {prefix:?}; it printed:\n{}", self.seen.join("\n")),
            }
        }
    }

    /// Creates `marker-<name>` in the tree and waits until the reader has seen it: everything
    /// done before is then journaled (or an overflow was).
    fn sync(&mut self, scene: &Scene, name: &str) {
        scene.touch(&format!("marker-{name}"));
        self.wait_for(&format!("marker\tmarker-{name}"));
    }

    /// Stops the reader cleanly; returns the usn after its last entry.
    fn stop(mut self, scene: &Scene) -> (u64, Vec<String>) {
        scene.touch("marker-stop");
        let line = self.wait_for("stopped");
        let usn = line.split('\t').nth(1).and_then(|n| n.parse().ok()).expect("stopped <usn>");
        let _ = self.child.wait();
        let rest: Vec<String> = self.lines.try_iter().collect();
        self.seen.extend(rest);
        (usn, std::mem::take(&mut self.seen))
    }

    fn signal(&self, signal: i32) {
        // SAFETY: kill only sends a signal to our own child process.
        unsafe { libc::kill(self.child.id() as i32, signal) };
    }

    /// kill -9; returns what it printed.
    fn kill9(mut self) -> Vec<String> {
        self.signal(libc::SIGKILL);
        let _ = self.child.wait();
        // the pipe's writer is gone, so the thread ends after the last line
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.seen.push(line);
        }
        std::mem::take(&mut self.seen)
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What `journal/replay.lua` found: its output as `key → rest of line`.
struct Replay {
    output: String,
    fields: BTreeMap<String, String>,
}

impl Replay {
    fn run(tree: &Path, journal: &Path, upto: Option<u64>, dump: bool) -> Replay {
        let mut command = tinn();
        command.arg("journal/replay.lua").arg(tree).arg(journal);
        if upto.is_some() || dump {
            command.arg(upto.map_or("nil".to_string(), |u| u.to_string()));
        }
        if dump {
            command.arg("dump");
        }
        let output = command.output().expect("run journal/replay.lua");
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(output.status.success(), "replay failed:\n{text}\n{}", String::from_utf8_lossy(&output.stderr));
        let mut fields = BTreeMap::new();
        for line in text.lines().filter(|l| !l.starts_with("entry\t")) {
            let mut parts = line.split('\t');
            let mut key = parts.next().unwrap_or_default().to_string();
            if key == "count" {
                key = format!("count {}", parts.next().unwrap_or_default());
            }
            fields.insert(key, parts.collect::<Vec<_>>().join("\t"));
        }
        Replay { output: text, fields }
    }

    fn get(&self, key: &str) -> &str {
        self.fields.get(key).map(String::as_str).unwrap_or("")
    }

    fn count(&self, reason: &str) -> u64 {
        self.get(&format!("count {reason}")).parse().unwrap_or(u64::MAX)
    }

    /// The tree on disk is what the journal says, and usns follow one another.
    fn assert_matches_disk(&self) {
        let summary: String = self.output.lines().filter(|l| !l.starts_with("entry\t")).collect::<Vec<_>>().join("\n");
        assert_eq!(self.get("usns consecutive"), "true", "{summary}");
        assert!(self.get("in replay but gone from disk").starts_with("0\t"), "the journal lost deletions:\n{summary}");
        assert!(self.get("on disk but not in replay").starts_with("0\t"), "the journal lost creations:\n{summary}");
    }

    /// usn → the `entry` line the replay printed for it (`dump` mode).
    fn entries(&self) -> BTreeMap<u64, String> {
        entries_of(self.output.lines())
    }
}

/// usn → the rest of every `entry <usn> ...` line.
fn entries_of<'a>(lines: impl Iterator<Item = &'a str>) -> BTreeMap<u64, String> {
    lines
        .filter_map(|line| line.strip_prefix("entry\t"))
        .filter_map(|rest| rest.split_once('\t').and_then(|(usn, rest)| Some((usn.parse().ok()?, rest.to_string()))))
        .collect()
}

/// Every entry a reader was handed is in the final journal, unchanged: no usn was reused.
fn assert_handed_out_entries_kept(handed: &[String], journal: &BTreeMap<u64, String>) {
    let handed = entries_of(handed.iter().map(String::as_str));
    assert!(!handed.is_empty(), "the readers were handed no entries");
    for (usn, entry) in &handed {
        assert_eq!(journal.get(usn), Some(entry), "usn {usn} was handed out as {entry:?} but the journal file says {:?}", journal.get(usn));
    }
}

#[test]
fn journal_overflow_while_paused_loses_no_deletion() {
    let scene = Scene::new("overflow");
    let mut reader = Reader::start(&scene.tree(), &scene.journal(), false);
    for i in 0..10 {
        scene.touch(&format!("first{i}"));
    }
    reader.sync(&scene, "first");
    // Paused, the reader cannot drain the kernel queue (16,384 events by default): 6,000 files
    // made and removed are 18,000 events, so the kernel drops some and reports an overflow.
    reader.signal(libc::SIGSTOP);
    for i in 0..6000 {
        scene.touch(&format!("bulk{i}"));
    }
    for i in 0..6000 {
        scene.remove(&format!("bulk{i}"));
    }
    for i in 0..10 {
        scene.remove(&format!("first{i}"));
    }
    scene.remove("marker-first");
    reader.signal(libc::SIGCONT);
    let (upto, _) = reader.stop(&scene);
    let replay = Replay::run(&scene.tree(), &scene.journal(), Some(upto), false);
    assert!(replay.count("OVERFLOW") >= 1, "no overflow happened, so this test proved nothing:\n{}", replay.output);
    replay.assert_matches_disk();
}

#[test]
fn journal_kill9_records_exactly_the_changes_made_while_down() {
    // a fresh journal over 100 files, killed; 50 made and 20 removed while it is down
    let scene = Scene::new("kill9-fresh");
    for i in 0..100 {
        scene.touch(&format!("old{i}"));
    }
    let reader = Reader::start(&scene.tree(), &scene.journal(), false);
    reader.kill9();
    for i in 0..50 {
        scene.touch(&format!("new{i}"));
    }
    for i in 0..20 {
        scene.remove(&format!("old{i}"));
    }
    let replay = Replay::run(&scene.tree(), &scene.journal(), None, false);
    replay.assert_matches_disk();
    assert_eq!((replay.count("CREATE"), replay.count("DELETE")), (50, 20), "{}", replay.output);
}

#[test]
fn journal_kill9_after_a_clean_close_records_nothing_twice() {
    let scene = Scene::new("kill9-again");
    for i in 0..100 {
        scene.touch(&format!("old{i}"));
    }
    let reader = Reader::start(&scene.tree(), &scene.journal(), false);
    reader.stop(&scene); // CREATE marker-stop, then a clean close
    let mut reader = Reader::start(&scene.tree(), &scene.journal(), false);
    for i in 0..30 {
        scene.touch(&format!("new{i}"));
    }
    scene.remove("old0");
    reader.sync(&scene, "journaled");
    reader.kill9();
    let replay = Replay::run(&scene.tree(), &scene.journal(), None, false);
    replay.assert_matches_disk();
    // marker-stop, 30 files, marker-journaled: each once
    assert_eq!((replay.count("CREATE"), replay.count("DELETE")), (32, 1), "{}", replay.output);
}

/// A 16 MB tmpfs for the journal file (room, once freed, for the 40,000 entries of the test); unmounted when dropped.
struct SmallDisk {
    path: PathBuf,
}

impl SmallDisk {
    fn mount(path: PathBuf) -> SmallDisk {
        std::fs::create_dir_all(&path).expect("mount point");
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=16m", "tmpfs"])
            .arg(&path)
            .status()
            .expect("run mount");
        assert!(status.success(), "mounting a 16 MB tmpfs at {} failed: the full-disk test needs root (CAP_SYS_ADMIN)", path.display());
        SmallDisk { path }
    }

    /// Fills what is left with one file; returns its path.
    fn fill(&self) -> PathBuf {
        use std::io::Write;
        let filler = self.path.join("filler");
        let mut file = std::fs::File::create(&filler).expect("make the filler");
        let block = vec![0u8; 4096];
        while file.write_all(&block).is_ok() {}
        let _ = file.write_all(&block[..1]);
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.path).status();
    }
}

#[test]
fn journal_on_a_full_disk_hands_out_only_written_usns() {
    let scene = Scene::new("full-disk");
    let disk = SmallDisk::mount(scene.dir.join("disk"));
    let journal = disk.path.join("journal");
    let mut reader = Reader::start(&scene.tree(), &journal, true);
    // the disk fills while changes go on: the reader is told, nothing is handed out unwritten
    let filler = disk.fill();
    for i in 0..100 {
        scene.touch(&format!("while-full{i}"));
    }
    reader.wait_for("error\twrite");
    std::fs::remove_file(&filler).expect("free the disk");
    reader.sync(&scene, "room-again");
    // full again, for more changes than the journal keeps waiting in memory: they are dropped,
    // and an OVERFLOW with a rescan stands for them once there is room
    let filler = disk.fill();
    for i in 0..40_000 {
        scene.touch(&format!("many{i}"));
    }
    for i in 0..50 {
        scene.remove(&format!("while-full{i}"));
    }
    reader.wait_for("error\twrite");
    std::fs::remove_file(&filler).expect("free the disk");
    reader.sync(&scene, "room-again-2");
    let (_, handed) = reader.stop(&scene);
    assert!(!disk.path.join("journal.tree.tmp").exists(), "a temp file was left behind");
    let replay = Replay::run(&scene.tree(), &journal, None, true);
    replay.assert_matches_disk();
    assert!(replay.count("OVERFLOW") >= 1, "the dropped entries were not replaced by an OVERFLOW:\n{}", &replay.output[replay.output.len().saturating_sub(2000)..]);
    assert_handed_out_entries_kept(&handed, &replay.entries());
    drop(disk);
}

#[test]
fn journal_survives_kill9_loop() {
    const OPERATIONS: usize = 100_000;
    const KILLS: usize = 20;
    let scene = Scene::new("kill9-loop");
    let tree = scene.tree();
    // another process's worth of file operations: files made, written, renamed, removed, and
    // directories made, filled, renamed and removed with what they hold
    let writer = std::thread::spawn(move || {
        let mut done = 0;
        let mut i = 0usize;
        while done < OPERATIONS {
            let f = tree.join(format!("f{i}"));
            let g = tree.join(format!("g{i}"));
            done += usize::from(std::fs::write(&f, b"x").is_ok());
            done += usize::from(std::fs::rename(&f, &g).is_ok());
            if !i.is_multiple_of(3) {
                done += usize::from(std::fs::remove_file(&g).is_ok());
            }
            if i.is_multiple_of(10) {
                let d = tree.join(format!("d{i}"));
                let e = tree.join(format!("e{i}"));
                done += usize::from(std::fs::create_dir(&d).is_ok());
                done += usize::from(std::fs::write(d.join("inside"), b"y").is_ok());
                done += usize::from(std::fs::rename(&d, &e).is_ok());
                if i.is_multiple_of(20) {
                    done += usize::from(std::fs::remove_dir_all(&e).is_ok());
                }
            }
            if i.is_multiple_of(4) {
                std::thread::sleep(Duration::from_millis(1)); // spread the burst over the kills
            }
            i += 1;
        }
        done
    });
    let mut seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(1) | 1;
    eprintln!("kill -9 loop: seed {seed}");
    let mut random = move |below: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % below
    };
    let mut handed = Vec::new();
    for _ in 0..KILLS {
        let reader = Reader::start(&scene.tree(), &scene.journal(), true);
        std::thread::sleep(Duration::from_millis(20 + random(200)));
        handed.extend(reader.kill9());
        std::thread::sleep(Duration::from_millis(random(30)));
    }
    assert!(!writer.is_finished(), "the operations ended before the last kill: spread them more");
    let operations = writer.join().expect("the writer thread");
    let replay = Replay::run(&scene.tree(), &scene.journal(), None, true);
    replay.assert_matches_disk();
    let journal = replay.entries();
    assert_handed_out_entries_kept(&handed, &journal);
    eprintln!(
        "kill -9 loop: {operations} operations, {} entries in the journal, {} handed out before kills, {} kills; replay matches disk, no usn reused",
        journal.len(),
        entries_of(handed.iter().map(String::as_str)).len(),
        KILLS
    );
}
