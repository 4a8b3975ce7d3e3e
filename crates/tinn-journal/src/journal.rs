//! The journal: inotify events → numbered entries, written to the journal file before any reader
//! sees them.
//!
//! The journal keeps a *view* of the tree: what replaying its entries in usn order says exists
//! (see [`apply`]). The view, not the last `stat`, is what every rescan compares the disk with —
//! after a kernel queue overflow, at open (changes made while nobody watched, also after kill
//! -9) and once a full disk has room again — so replaying the journal always ends at the tree on
//! disk. The view at open is rebuilt from the journal file itself (plus the tree as it was when
//! the journal was made, `<journalFile>.tree`), so it is consistent with the file at every usn.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fs::File;
use std::io::Write;
use std::ops::Bound;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mlua::{IntoLuaMulti, Lua, MultiValue, Result as LuaResult, Table, UserData, UserDataMethods};
use tokio::sync::Notify;
use tokio::time::Instant;

use tinn_reactor::ScriptError;

use crate::error::JournalError;
use crate::inotify::{self, RawEvent};

/// Reason names and bits; one entry may carry several.
pub(crate) const REASONS: &[(&str, u32)] = &[
    ("CREATE", CREATE),
    ("MODIFY", MODIFY),
    ("CLOSE_WRITE", CLOSE_WRITE),
    ("DELETE", DELETE),
    ("RENAME_OLD", RENAME_OLD),
    ("RENAME_NEW", RENAME_NEW),
    ("ATTRIB", ATTRIB),
    ("OVERFLOW", OVERFLOW),
];
const CREATE: u32 = 0x01;
const MODIFY: u32 = 0x02;
const CLOSE_WRITE: u32 = 0x04;
const DELETE: u32 = 0x08;
const RENAME_OLD: u32 = 0x10;
const RENAME_NEW: u32 = 0x20;
const ATTRIB: u32 = 0x40;
const OVERFLOW: u32 = 0x80;

/// Written entries kept in memory; older ones are only in the file.
const MEMORY_LIMIT: usize = 1 << 20;
/// Entries recorded but not yet written (the disk is full) that are kept in memory. Past it they
/// are dropped and, once writes succeed again, an OVERFLOW and a rescan stand for them.
const PENDING_LIMIT: usize = 1 << 16;
/// How often writing is retried while the disk is full.
const RETRY_EVERY: Duration = Duration::from_millis(250);
/// Written entries reach the disk itself (fdatasync) at most this long after being written.
const SYNC_EVERY: Duration = Duration::from_secs(1);
/// First line of a journal file; entries follow, one per line.
const JOURNAL_MAGIC: &str = "#tinn-journal-2";
/// First line of the tree file: the tree as it was when the journal was made.
const TREE_MAGIC: &str = "#tinn-tree-2";

/// What the journal knows of one path.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Info {
    is_dir: bool,
    size: u64,
    /// Nanoseconds since the epoch; 0 when the path was gone before it could be looked at.
    mtime: i128,
}

impl Info {
    /// A path that was gone when its event was handled.
    fn gone(is_dir: bool) -> Info {
        Info { is_dir, size: 0, mtime: 0 }
    }
}

#[derive(Clone)]
struct Entry {
    usn: u64,
    path: PathBuf,
    reason: u32,
    info: Info,
    /// Microseconds since the epoch.
    time: u64,
}

/// The tree as the journal's entries describe it, keyed by each path's bytes: ordered that way
/// a subtree (a directory's path and "/") is still one range, and a lookup compares with memcmp
/// instead of walking std::path components (which took most of the journal's time in a burst).
type View = BTreeMap<Vec<u8>, Info>;

fn key(path: &Path) -> &[u8] {
    path.as_os_str().as_bytes()
}

fn key_path(key: &[u8]) -> PathBuf {
    PathBuf::from(std::ffi::OsStr::from_bytes(key))
}

/// Replays one entry onto a view: CREATE and RENAME_NEW make a path exist, DELETE and RENAME_OLD
/// remove it with everything below it; other reasons update what is known of an existing path.
/// Live recording and reopening both go through here, so they cannot disagree.
fn apply(view: &mut View, entry: &Entry) {
    if entry.reason & (DELETE | RENAME_OLD) != 0 {
        remove_subtree(view, &entry.path);
    } else if entry.reason & (CREATE | RENAME_NEW) != 0 {
        view.insert(key(&entry.path).to_vec(), entry.info);
    } else if let Some(known) = view.get_mut(key(&entry.path)) {
        *known = entry.info;
    }
}

/// The paths strictly below `dir` in a view.
fn below<'a>(view: &'a View, dir: &Path) -> impl Iterator<Item = (&'a Vec<u8>, &'a Info)> + 'a {
    let mut prefix = key(dir).to_vec();
    if prefix.last() != Some(&b'/') {
        prefix.push(b'/');
    }
    view.range::<[u8], _>((Bound::Included(prefix.as_slice()), Bound::Unbounded))
        .take_while(move |(p, _)| p.starts_with(&prefix))
}

fn remove_subtree(view: &mut View, path: &Path) {
    view.remove(key(path));
    let gone: Vec<Vec<u8>> = below(view, path).map(|(p, _)| p.clone()).collect();
    for p in gone {
        view.remove(&p);
    }
}

fn now_micros() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros() as u64).unwrap_or(0)
}

fn stat(path: &Path) -> Option<Info> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_nanos() as i128)
        .unwrap_or(0);
    Some(Info { is_dir: meta.is_dir(), size: meta.len(), mtime })
}

/// A path's bytes in a line of the journal or tree file: `\`, tab, newline and CR escaped.
fn escape(path: &Path, out: &mut Vec<u8>) {
    for &b in path.as_os_str().as_bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => out.push(b),
        }
    }
}

fn unescape(text: &[u8]) -> PathBuf {
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.iter();
    while let Some(&b) = bytes.next() {
        if b == b'\\' {
            match bytes.next() {
                Some(b't') => out.push(b'\t'),
                Some(b'n') => out.push(b'\n'),
                Some(b'r') => out.push(b'\r'),
                Some(&other) => out.push(other),
                None => {}
            }
        } else {
            out.push(b);
        }
    }
    PathBuf::from(std::ffi::OsStr::from_bytes(&out))
}

/// Appends an entry's line: `usn time reason isDir size mtime path crc32`, tab-separated; the
/// checksum covers the rest of the line, so a line torn by a crash or a full disk is recognised.
fn encode_line(entry: &Entry, out: &mut Vec<u8>) {
    let start = out.len();
    let info = &entry.info;
    let _ = write!(out, "{}\t{}\t{}\t{}\t{}\t{}\t", entry.usn, entry.time, entry.reason, u8::from(info.is_dir), info.size, info.mtime);
    escape(&entry.path, out);
    let crc = crc32fast::hash(&out[start..]);
    let _ = writeln!(out, "\t{crc:08x}");
}

/// Parses a line written by [`encode_line`] (without its newline); None if torn or damaged.
fn decode_line(line: &[u8]) -> Option<Entry> {
    let split = line.iter().rposition(|&b| b == b'\t')?;
    let (body, crc) = (&line[..split], &line[split + 1..]);
    if u32::from_str_radix(std::str::from_utf8(crc).ok()?, 16).ok()? != crc32fast::hash(body) {
        return None;
    }
    let mut fields = body.splitn(7, |&b| b == b'\t');
    let mut number = || std::str::from_utf8(fields.next()?).ok().map(str::to_owned);
    let usn = number()?.parse().ok()?;
    let time = number()?.parse().ok()?;
    let reason = number()?.parse().ok()?;
    let is_dir = number()? == "1";
    let size = number()?.parse().ok()?;
    let mtime = number()?.parse().ok()?;
    let path = unescape(fields.next()?);
    Some(Entry { usn, path, reason, info: Info { is_dir, size, mtime }, time })
}

/// Adds a written entry to those kept in memory, forgetting the oldest past [`MEMORY_LIMIT`].
fn keep(entries: &mut VecDeque<Entry>, entry: Entry) {
    entries.push_back(entry);
    if entries.len() > MEMORY_LIMIT {
        entries.pop_front();
    }
}

/// Where a tree's journal lives by default: `$XDG_STATE_HOME/tinn/journals/` (or
/// `~/.local/state/...`), never inside the tree, whose changes it would record.
fn default_journal_file(root: &Path) -> PathBuf {
    let state = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .unwrap_or_else(std::env::temp_dir);
    let name: String = root.to_string_lossy().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    state.join("tinn/journals").join(format!("{name}.journal"))
}

/// `<journalFile><suffix>`.
fn beside(journal_file: &Path, suffix: &str) -> PathBuf {
    let mut name = journal_file.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

/// What an existing journal file holds.
struct Loaded {
    id: String,
    /// The last [`MEMORY_LIMIT`] entries.
    entries: VecDeque<Entry>,
    first_usn: u64,
    next_usn: u64,
    /// The view after the last entry.
    view: View,
}

/// Reads a journal file (None if there is none yet) and rebuilds its view. A torn or damaged
/// tail — what a crash or a full disk can leave — is cut off the file.
fn load(file: &Path, root: &Path) -> Result<Option<Loaded>, JournalError> {
    let bytes = match std::fs::read(file) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(JournalError::io("journal", file, e)),
    };
    let Some(header_end) = bytes.iter().position(|&b| b == b'\n') else { return Ok(None) };
    let mut header = bytes[..header_end].split(|&b| b == b'\t');
    let magic = header.next().unwrap_or_default();
    if magic == b"#tinn-journal" {
        return Err(JournalError::OldFormat(file.to_path_buf()));
    }
    if magic != JOURNAL_MAGIC.as_bytes() {
        return Err(JournalError::NotAJournal(file.to_path_buf()));
    }
    let id = String::from_utf8_lossy(header.next().unwrap_or_default()).into_owned();
    let recorded_root = unescape(header.next().unwrap_or_default());
    if recorded_root != root {
        return Err(JournalError::OtherRoot { file: file.to_path_buf(), recorded: recorded_root, root: root.to_path_buf() });
    }
    let mut view = load_tree(&beside(file, ".tree"), &id).unwrap_or_default();
    let mut entries = VecDeque::new();
    let (mut first_usn, mut next_usn) = (None, 1);
    let mut good_end = header_end + 1;
    let mut at = good_end;
    while let Some(len) = bytes[at..].iter().position(|&b| b == b'\n') {
        let line = &bytes[at..at + len];
        at += len + 1;
        // a damaged line inside the file is skipped; usns must follow on
        let Some(entry) = decode_line(line).filter(|e| first_usn.is_none() || e.usn == next_usn) else { continue };
        first_usn.get_or_insert(entry.usn);
        next_usn = entry.usn + 1;
        apply(&mut view, &entry);
        keep(&mut entries, entry);
        good_end = at;
    }
    if good_end < bytes.len() {
        let cut = std::fs::OpenOptions::new().write(true).open(file).and_then(|f| f.set_len(good_end as u64));
        if let Err(source) = cut {
            return Err(JournalError::CutTail { file: file.to_path_buf(), source });
        }
    }
    Ok(Some(Loaded { id, entries, first_usn: first_usn.unwrap_or(next_usn), next_usn, view }))
}

/// The tree as it was when journal `id` was made; None if missing, of another journal or torn.
fn load_tree(file: &Path, id: &str) -> Option<View> {
    let bytes = std::fs::read(file).ok()?;
    let mut lines = bytes.split(|&b| b == b'\n');
    let header = format!("{TREE_MAGIC}\t{id}");
    if lines.next()? != header.as_bytes() {
        return None;
    }
    let mut view = View::new();
    for line in lines {
        if let Some(count) = line.strip_prefix(b"#end\t") {
            let complete = std::str::from_utf8(count).ok()?.parse::<usize>().ok()? == view.len();
            return complete.then_some(view);
        }
        let mut f = line.splitn(4, |&b| b == b'\t');
        let (Some(dir), Some(size), Some(mtime), Some(path)) = (f.next(), f.next(), f.next(), f.next()) else { return None };
        let size = std::str::from_utf8(size).ok()?.parse().ok()?;
        let mtime = std::str::from_utf8(mtime).ok()?.parse().ok()?;
        view.insert(key(&unescape(path)).to_vec(), Info { is_dir: dir == b"1", size, mtime });
    }
    None
}

/// Writes the tree file atomically (temp file, fsync, rename); the temp file never stays behind.
fn save_tree(file: &Path, id: &str, view: &View) -> std::io::Result<()> {
    let mut text = format!("{TREE_MAGIC}\t{id}\n").into_bytes();
    for (path, info) in view {
        let _ = write!(text, "{}\t{}\t{}\t", u8::from(info.is_dir), info.size, info.mtime);
        escape(&key_path(path), &mut text);
        text.push(b'\n');
    }
    let _ = writeln!(text, "#end\t{}", view.len());
    let temp = beside(file, ".tmp");
    let written = File::create(&temp).and_then(|mut f| f.write_all(&text).and_then(|()| f.sync_all())).and_then(|()| std::fs::rename(&temp, file));
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

struct Journal {
    root: PathBuf,
    journal_file: PathBuf,
    journal_id: String,
    fd: Arc<OwnedFd>,
    reader: inotify::Reader,
    watches: RefCell<HashMap<i32, PathBuf>>,
    root_gone: Cell<bool>,
    /// The tree as every recorded entry (written or pending) describes it.
    view: RefCell<View>,
    /// Written entries: the only ones readers see.
    entries: RefCell<VecDeque<Entry>>,
    first_usn: Cell<u64>,
    /// The usn after the last written entry.
    written_next: Cell<u64>,
    /// The usn the next recorded entry gets.
    next_usn: Cell<u64>,
    /// Recorded entries not written yet, and their lines.
    pending: RefCell<Vec<Entry>>,
    pending_lines: RefCell<Vec<u8>>,
    /// Pending entries were dropped (the disk stayed full): events are ignored until a write
    /// succeeds, then an OVERFLOW and a rescan stand for them.
    lost: Cell<bool>,
    file: RefCell<Option<File>>,
    /// The file's length after the last whole write: a failed write is cut back to it.
    written_len: Cell<u64>,
    /// Events taken from the reader and not handled yet, and how far they are handled.
    backlog: RefCell<(Vec<u8>, usize)>,
    /// When written entries are next fdatasync'ed (None: nothing unsynced).
    sync_at: Cell<Option<Instant>>,
    notify: Notify,
    /// Wakes the pump when a write failed or entries were dropped outside it (a reader's drain),
    /// so it retries and rescans without waiting for the next kernel event.
    pump_wake: Notify,
    /// The last failure (a write, a sync, the watch), for every reader until one succeeds.
    error: RefCell<Option<Rc<JournalError>>>,
}

impl Journal {
    /// Keeps `err` for readers until a write succeeds.
    fn fail(&self, err: JournalError) {
        *self.error.borrow_mut() = Some(Rc::new(err));
    }

    /// Numbers a change and applies it to the view; it is written by the next [`Journal::flush`].
    fn record(&self, path: PathBuf, reason: u32, info: Info) {
        let entry = Entry { usn: self.next_usn.get(), path, reason, info, time: now_micros() };
        self.next_usn.set(entry.usn + 1);
        apply(&mut self.view.borrow_mut(), &entry);
        encode_line(&entry, &mut self.pending_lines.borrow_mut());
        let mut pending = self.pending.borrow_mut();
        pending.push(entry);
        if pending.len() > PENDING_LIMIT {
            drop(pending);
            // a rescan of a big tree records this many at once: only a failed write keeps them
            self.flush();
            if self.pending.borrow().len() > PENDING_LIMIT {
                self.drop_pending();
            }
        }
    }

    /// Gives up entries that could not be written: their usns were never handed out, so they are
    /// free again, and the view goes back to what the file says.
    fn drop_pending(&self) {
        self.pending.borrow_mut().clear();
        self.pending_lines.borrow_mut().clear();
        self.next_usn.set(self.written_next.get());
        match load(&self.journal_file, &self.root) {
            Ok(Some(loaded)) => *self.view.borrow_mut() = loaded.view,
            Ok(None) => self.view.borrow_mut().clear(),
            Err(err) => self.fail(err),
        }
        self.lost.set(true);
        self.pump_wake.notify_one();
    }

    /// Writes pending entries, then makes them visible to readers and wakes them. On failure
    /// (a full disk) the file is cut back to its last whole entry and readers get the error;
    /// the entries stay pending and the pump retries.
    fn flush(&self) {
        let mut lines = self.pending_lines.borrow_mut();
        if !lines.is_empty() {
            let mut file = self.file.borrow_mut();
            let Some(file) = file.as_mut() else { return };
            match file.write_all(&lines) {
                Ok(()) => {
                    self.written_len.set(self.written_len.get() + lines.len() as u64);
                    lines.clear();
                    let mut entries = self.entries.borrow_mut();
                    for entry in self.pending.borrow_mut().drain(..) {
                        self.written_next.set(entry.usn + 1);
                        keep(&mut entries, entry);
                    }
                    self.error.borrow_mut().take();
                    if self.sync_at.get().is_none() {
                        self.sync_at.set(Some(Instant::now() + SYNC_EVERY));
                    }
                }
                Err(e) => {
                    let _ = file.set_len(self.written_len.get());
                    self.fail(JournalError::io("write", &self.journal_file, e));
                    self.pump_wake.notify_one();
                }
            }
        }
        self.notify.notify_waiters();
    }

    /// After entries were dropped: once the file takes writes again, records an OVERFLOW and
    /// how the tree differs from what the file says.
    fn recover(&self) {
        if self.lost.get() {
            self.lost.set(false);
            self.rescan();
        }
    }

    /// Scans `dir` and every directory below it, watching each; returns what is below `dir`.
    fn scan(&self, dir: &Path) -> View {
        let mut found = View::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(dir) = stack.pop() {
            match inotify::add_watch(&self.fd, &dir) {
                Ok(wd) => {
                    self.watches.borrow_mut().insert(wd, dir.clone());
                }
                Err(_) => continue, // gone already, or not a directory any more
            }
            let Ok(read) = std::fs::read_dir(&dir) else { continue };
            for child in read.flatten().map(|e| e.path()) {
                let Some(info) = stat(&child) else { continue };
                if info.is_dir {
                    stack.push(child.clone());
                }
                found.insert(key(&child).to_vec(), info);
            }
        }
        found
    }

    /// Watches `dir`'s subtree and records how it differs from the view: DELETE for every known
    /// path that is gone, CREATE for every new one, MODIFY where size or mtime changed.
    fn reconcile(&self, dir: &Path) {
        let disk = self.scan(dir);
        let gone: Vec<(Vec<u8>, Info)> = below(&self.view.borrow(), dir)
            .filter(|(path, known)| disk.get(*path).is_none_or(|now| now.is_dir != known.is_dir))
            .map(|(path, known)| (path.clone(), *known))
            .collect();
        for (path, known) in gone {
            // a directory's DELETE took what was below it
            if self.view.borrow().contains_key(&path) {
                self.record(key_path(&path), DELETE, known);
            }
        }
        for (path, info) in disk {
            let known = self.view.borrow().get(&path).copied();
            match known {
                None => self.record(key_path(&path), CREATE, info),
                Some(known) if known != info && !info.is_dir => self.record(key_path(&path), MODIFY, info),
                Some(_) => {}
            }
        }
    }

    /// After an overflow: an OVERFLOW entry, then what differs between the tree and the view.
    fn rescan(&self) {
        self.record(self.root.clone(), OVERFLOW, Info::gone(true));
        self.reconcile(&self.root.clone());
    }

    fn forget_watches(&self, dir: &Path) {
        let mut watches = self.watches.borrow_mut();
        let gone: Vec<i32> = watches.iter().filter(|(_, p)| p.starts_with(dir)).map(|(wd, _)| *wd).collect();
        for wd in gone {
            inotify::rm_watch(&self.fd, wd);
            watches.remove(&wd);
        }
    }

    fn handle(&self, event: RawEvent) {
        if event.mask & inotify::IN_Q_OVERFLOW != 0 {
            if !self.lost.get() {
                self.rescan();
            }
            return;
        }
        let Some(dir) = self.watches.borrow().get(&event.wd).cloned() else { return };
        if event.mask & inotify::IN_IGNORED != 0 {
            self.watches.borrow_mut().remove(&event.wd);
            return;
        }
        if self.lost.get() {
            return; // the rescan after recovery finds it
        }
        let is_root = dir == self.root;
        if event.mask & (inotify::IN_DELETE_SELF | inotify::IN_MOVE_SELF) != 0 {
            // a subdirectory's removal is reported by its parent; the root's only here
            if is_root && !self.root_gone.get() {
                self.root_gone.set(true);
                let reason = if event.mask & inotify::IN_DELETE_SELF != 0 { DELETE } else { RENAME_OLD };
                self.record(self.root.clone(), reason, Info::gone(true));
            }
            return;
        }
        let path = if event.name.is_empty() { dir } else { dir.join(std::ffi::OsStr::from_bytes(&event.name)) };
        let is_dir = event.mask & inotify::IN_ISDIR != 0;
        let mut reason = 0;
        for (bit, ours) in [
            (inotify::IN_CREATE, CREATE),
            (inotify::IN_MODIFY, MODIFY),
            (inotify::IN_CLOSE_WRITE, CLOSE_WRITE),
            (inotify::IN_DELETE, DELETE),
            (inotify::IN_MOVED_FROM, RENAME_OLD),
            (inotify::IN_MOVED_TO, RENAME_NEW),
            (inotify::IN_ATTRIB, ATTRIB),
        ] {
            if event.mask & bit != 0 {
                reason |= ours;
            }
        }
        if reason == 0 {
            return;
        }
        let _ = event.cookie; // renames are paired by order: RENAME_OLD then RENAME_NEW
        if reason & CREATE != 0 && self.view.borrow().contains_key(key(&path)) {
            return; // already reported by the scan of its new directory
        }
        // A path gone before its event is handled is still recorded: the view must hold it so
        // that its DELETE, if the kernel drops it, comes from the next rescan. A removed path
        // is not looked at: it is gone, or already another file's.
        let info = if reason & (DELETE | RENAME_OLD) != 0 { Info::gone(is_dir) } else { stat(&path).unwrap_or(Info::gone(is_dir)) };
        self.record(path.clone(), reason, info);
        if reason & (DELETE | RENAME_OLD) != 0 {
            if is_dir {
                self.forget_watches(&path);
            }
        } else if is_dir && reason & (CREATE | RENAME_NEW) != 0 {
            // what it holds (made before its watch existed, or moved in with it) follows as CREATE
            self.reconcile(&path);
        }
    }

    /// The first written entry at or after `usn` whose reason matches `mask`.
    fn find(&self, usn: u64, mask: u32) -> Result<Option<Entry>, JournalError> {
        let entries = self.entries.borrow();
        let Some(front) = entries.front() else { return Ok(None) };
        if usn < front.usn && usn >= self.first_usn.get() && front.usn > self.first_usn.get() {
            return Err(JournalError::Evicted { usn, oldest: front.usn, file: self.journal_file.clone() });
        }
        let start = usn.saturating_sub(front.usn) as usize;
        Ok(entries.iter().skip(start).find(|e| e.usn >= usn && e.reason & mask != 0).cloned())
    }

    /// Handles up to one buffer of the events read so far; true if it handled any (more may
    /// follow). One buffer at a time, not all: a writer that outruns the journal would keep it
    /// here while the event loop stood still.
    fn drain_once(&self, backlog: &mut (Vec<u8>, usize)) -> bool {
        if let Some(e) = self.reader.failure() {
            self.fail(JournalError::io("watch", &self.root, e));
        }
        let (bytes, at) = backlog;
        if *at >= bytes.len() {
            self.reader.take(bytes);
            *at = 0;
        }
        let (events, used) = inotify::parse(&bytes[*at..], DRAIN_BYTES);
        *at = if used == 0 { bytes.len() } else { *at + used };
        let any = !events.is_empty();
        for event in events {
            self.handle(event);
        }
        any
    }

    /// Drains one buffer and writes what it recorded. Called by the pump and before every read
    /// of the journal, so a reader busy with entries keeps up. True if more may follow.
    fn drain_and_flush(&self) -> bool {
        let drained = match self.backlog.try_borrow_mut() {
            Ok(mut backlog) => self.drain_once(&mut backlog),
            Err(_) => false, // the pump is draining right now
        };
        if drained || !self.pending.borrow().is_empty() {
            self.flush();
        }
        drained
    }

    /// A second handle on the journal file, for fdatasync off the event loop's thread.
    fn file_for_sync(&self) -> Option<std::io::Result<File>> {
        self.file.borrow().as_ref().map(File::try_clone)
    }

    /// When the pump must wake without an event: to retry a failed write, or to sync.
    fn next_timer(&self) -> Option<Instant> {
        let retry = (self.lost.get() || !self.pending.borrow().is_empty()).then(|| Instant::now() + RETRY_EVERY);
        match (retry, self.sync_at.get()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// fdatasync's the journal file if entries were written since the last time it was due.
    async fn sync_if_due(&self) {
        if self.sync_at.get().is_some_and(|at| at <= Instant::now()) {
            self.sync_at.set(None);
            if let Err(err) = sync_file(self.file_for_sync(), &self.journal_file).await {
                self.fail(err);
            }
        }
    }
}

/// fdatasync's a journal file on tokio's blocking pool, so the event loop does not wait for the disk.
async fn sync_file(file: Option<std::io::Result<File>>, name: &Path) -> Result<(), JournalError> {
    let failed = |e: std::io::Error| JournalError::io("sync", name, e);
    let Some(file) = file else { return Ok(()) };
    let file = file.map_err(failed)?;
    match tokio::task::spawn_blocking(move || file.sync_data()).await {
        Ok(result) => result.map_err(failed),
        Err(e) => Err(failed(std::io::Error::other(e))),
    }
}

/// Bytes of events handled per drain before other tasks get a turn.
const DRAIN_BYTES: usize = 256 * 1024;

async fn pump(journal: Rc<Journal>) {
    loop {
        let timer = journal.next_timer();
        tokio::select! {
            () = journal.reader.readable() => {
                while journal.drain_and_flush() {
                    tokio::task::yield_now().await; // a buffer at a time; other tasks run between
                }
            }
            () = tokio::time::sleep_until(timer.unwrap_or_else(Instant::now)), if timer.is_some() => {}
            () = journal.pump_wake.notified() => {}
        }
        if journal.pending.borrow().is_empty() {
            journal.recover();
        }
        journal.flush();
        journal.sync_if_due().await;
    }
}


/// `open(path, journalFile?)` → handle | nil, err
pub(crate) fn open(lua: &Lua, (path, journal_file): (String, Option<String>)) -> LuaResult<MultiValue> {
    let root = match std::fs::canonicalize(&path) {
        Ok(root) if root.is_dir() => root,
        Ok(_) => return JournalError::NotADirectory(path).into_failure(lua),
        Err(source) => return JournalError::Tree { path, what: "", source }.into_failure(lua),
    };
    let journal_file = journal_file.map(PathBuf::from).unwrap_or_else(|| default_journal_file(&root));
    if let Some(parent) = journal_file.parent() {
        if let Err(e) = std::fs::create_dir_all(parent) {
            return JournalError::io("journal", parent, e).into_failure(lua);
        }
    }
    let _ = std::fs::remove_file(beside(&beside(&journal_file, ".tree"), ".tmp")); // left by a crash
    let loaded = match load(&journal_file, &root) {
        Ok(loaded) => loaded,
        Err(err) => return err.into_failure(lua),
    };
    let started = inotify::init().map(Arc::new).and_then(|fd| inotify::Reader::start(Arc::clone(&fd)).map(|reader| (fd, reader)));
    let (fd, reader) = match started {
        Ok(fd) => fd,
        Err(source) => return JournalError::Tree { path, what: "inotify: ", source }.into_failure(lua),
    };
    let fresh = loaded.is_none();
    let loaded = loaded.unwrap_or_else(|| Loaded {
        id: format!("{:x}{:x}", now_micros(), std::process::id()),
        entries: VecDeque::new(),
        first_usn: 1,
        next_usn: 1,
        view: View::new(),
    });
    let journal = Rc::new(Journal {
        root: root.clone(),
        journal_file,
        journal_id: loaded.id,
        fd,
        reader,
        watches: RefCell::new(HashMap::new()),
        root_gone: Cell::new(false),
        view: RefCell::new(loaded.view),
        entries: RefCell::new(loaded.entries),
        first_usn: Cell::new(loaded.first_usn),
        written_next: Cell::new(loaded.next_usn),
        next_usn: Cell::new(loaded.next_usn),
        pending: RefCell::new(Vec::new()),
        pending_lines: RefCell::new(Vec::new()),
        lost: Cell::new(false),
        file: RefCell::new(None),
        written_len: Cell::new(0),
        backlog: RefCell::new((Vec::new(), 0)),
        sync_at: Cell::new(None),
        notify: Notify::new(),
        pump_wake: Notify::new(),
        error: RefCell::new(None),
    });
    if fresh {
        // the tree as it is now is the journal's starting point: nothing in it is reported
        let start = journal.scan(&root);
        let tree_file = beside(&journal.journal_file, ".tree");
        if let Err(e) = save_tree(&tree_file, &journal.journal_id, &start) {
            return JournalError::io("journal", &tree_file, e).into_failure(lua);
        }
        *journal.view.borrow_mut() = start;
        let mut header = format!("{JOURNAL_MAGIC}\t{}\t", journal.journal_id).into_bytes();
        escape(&root, &mut header);
        header.push(b'\n');
        let made = File::create(&journal.journal_file).and_then(|mut f| f.write_all(&header).and_then(|()| f.sync_all()));
        if let Err(e) = made {
            let _ = std::fs::remove_file(&journal.journal_file);
            return JournalError::io("journal", &journal.journal_file, e).into_failure(lua);
        }
    }
    let file = match std::fs::OpenOptions::new().append(true).open(&journal.journal_file).and_then(|f| f.metadata().map(|m| (m.len(), f))) {
        Ok((len, file)) => {
            journal.written_len.set(len);
            file
        }
        Err(e) => return JournalError::io("journal", &journal.journal_file, e).into_failure(lua),
    };
    *journal.file.borrow_mut() = Some(file);
    if !fresh {
        // what changed while no journal watched the tree (also after a crash)
        journal.reconcile(&root);
    }
    journal.flush();
    let pump = tokio::task::spawn_local(pump(Rc::clone(&journal)));
    lua.create_userdata(JournalHandle { journal, pump: pump.abort_handle() })?.into_lua_multi(lua)
}

/// The userdata behind a script's journal; stops watching when closed or collected.
pub struct JournalHandle {
    journal: Rc<Journal>,
    pump: tokio::task::AbortHandle,
}

impl JournalHandle {
    /// Records what the kernel still holds, writes and syncs it, stops watching. What cannot be
    /// written (a full disk) is found again by the next open's rescan.
    fn shut(&self) {
        if self.journal.file.borrow().is_none() {
            return;
        }
        self.pump.abort();
        self.journal.reader.stop(); // and reads what the kernel still holds
        while self.journal.drain_and_flush() {}
        if let Some(Ok(file)) = self.journal.file_for_sync() {
            let _ = file.sync_data();
        }
        self.journal.file.borrow_mut().take();
        self.journal.notify.notify_waiters();
    }
}

impl Drop for JournalHandle {
    fn drop(&mut self) {
        self.shut();
    }
}

fn entry_table(lua: &Lua, entry: &Entry) -> LuaResult<Table> {
    let t = lua.create_table()?;
    t.set("usn", entry.usn)?;
    t.set("path", lua.create_string(entry.path.as_os_str().as_bytes())?)?;
    let name = entry.path.file_name().map(|n| n.as_bytes().to_vec()).unwrap_or_default();
    t.set("filename", lua.create_string(name)?)?;
    t.set("reason", entry.reason)?;
    let names = lua.create_table()?;
    for (name, bit) in REASONS {
        if entry.reason & bit != 0 {
            names.push(*name)?;
        }
    }
    t.set("reasons", names)?;
    t.set("isDirectory", entry.info.is_dir)?;
    t.set("timestamp", entry.time as f64 / 1e6)?;
    Ok(t)
}

fn journal_wait(lua: &Lua, handle: &JournalHandle, (usn, mask): (u64, u32)) -> LuaResult<MultiValue> {
    let journal = Rc::clone(&handle.journal);
    journal.drain_and_flush();
    match journal.find(usn, mask) {
        Ok(Some(entry)) => return entry_table(lua, &entry)?.into_lua_multi(lua),
        Ok(None) => {}
        Err(err) => return err.into_failure(lua),
    }
    if let Some(err) = journal.error.borrow().clone() {
        return err.into_failure(lua);
    }
    tinn_reactor::start(lua, async move {
        let found = loop {
            let woken = journal.notify.notified();
            match journal.find(usn, mask) {
                Ok(Some(entry)) => break Ok(entry),
                Ok(None) => {}
                Err(err) => break Err(Rc::new(err)),
            }
            if let Some(err) = journal.error.borrow().clone() {
                break Err(err);
            }
            if journal.file.borrow().is_none() {
                break Err(Rc::new(JournalError::Closed));
            }
            woken.await;
        };
        tinn_reactor::completion(move |lua| match found {
            Ok(entry) => entry_table(lua, &entry)?.into_lua_multi(lua),
            Err(err) => err.into_failure(lua),
        })
    })
}

/// `handle:sync()`: fdatasync's the journal file; suspends only the calling task.
fn journal_sync(lua: &Lua, handle: &JournalHandle, (): ()) -> LuaResult<MultiValue> {
    let journal = Rc::clone(&handle.journal);
    journal.drain_and_flush();
    if let Some(err) = journal.error.borrow().clone() {
        return err.into_failure(lua);
    }
    let file = journal.file_for_sync();
    tinn_reactor::start(lua, async move {
        let synced = sync_file(file, &journal.journal_file).await;
        tinn_reactor::completion(move |lua| match synced {
            Ok(()) => true.into_lua_multi(lua),
            Err(err) => err.into_failure(lua),
        })
    })
}

impl UserData for JournalHandle {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_method("wait", journal_wait);
        methods.add_method("sync", journal_sync);
        methods.add_method("nextUsn", |_, this, ()| Ok(this.journal.written_next.get()));
        methods.add_method("info", |lua, this, ()| {
            let info = lua.create_table()?;
            info.set("journalId", this.journal.journal_id.clone())?;
            info.set("firstUsn", this.journal.first_usn.get())?;
            info.set("nextUsn", this.journal.written_next.get())?;
            info.set("path", lua.create_string(this.journal.root.as_os_str().as_bytes())?)?;
            info.set("journalFile", lua.create_string(this.journal.journal_file.as_os_str().as_bytes())?)?;
            info.set("pending", this.journal.pending.borrow().len())?;
            Ok(info)
        });
        // Behaves as a kernel queue overflow would (tests; see tests/journal.rs for a real one).
        methods.add_method("simulateOverflow", |_, this, ()| {
            this.journal.rescan();
            this.journal.flush();
            Ok(())
        });
        methods.add_method("close", |_, this, ()| {
            this.shut();
            Ok(())
        });
    }
}
