//! The journal: inotify events → numbered entries, kept in memory and appended to a file.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::{SystemTime, UNIX_EPOCH};

use mlua::{IntoLuaMulti, Lua, MultiValue, Result as LuaResult, Table, UserData, UserDataMethods, Value};
use tokio::io::unix::AsyncFd;
use tokio::sync::Notify;

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

/// Entries kept in memory; older ones are only in the file.
const MEMORY_LIMIT: usize = 1 << 20;

#[derive(Clone)]
struct Entry {
    usn: u64,
    path: PathBuf,
    reason: u32,
    is_dir: bool,
    /// Microseconds since the epoch.
    time: u64,
}

/// What the tree looked like, for the rescan after an overflow: path → (is dir, size, mtime).
type Snapshot = HashMap<PathBuf, (bool, u64, i128)>;

struct Journal {
    root: PathBuf,
    journal_file: PathBuf,
    journal_id: String,
    fd: AsyncFd<OwnedFd>,
    watches: RefCell<HashMap<i32, PathBuf>>,
    root_gone: Cell<bool>,
    entries: RefCell<VecDeque<Entry>>,
    first_usn: Cell<u64>,
    next_usn: Cell<u64>,
    file: RefCell<Option<std::io::BufWriter<File>>>,
    snapshot: RefCell<Snapshot>,
    notify: Notify,
    error: RefCell<Option<String>>,
}

fn now_micros() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros() as u64).unwrap_or(0)
}

fn stat(path: &Path) -> Option<(bool, u64, i128)> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_nanos() as i128)
        .unwrap_or(0);
    Some((meta.is_dir(), meta.len(), mtime))
}

/// Paths in a line of the journal file: `\` `\t` `\n` escaped.
fn escape(path: &Path) -> String {
    let text = String::from_utf8_lossy(path.as_os_str().as_bytes());
    text.replace('\\', "\\\\").replace('\t', "\\t").replace('\n', "\\n")
}

fn unescape(text: &str) -> PathBuf {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('t') => out.push('\t'),
                Some('n') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    PathBuf::from(out)
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

impl Journal {
    /// Appends an entry (memory and file) and wakes waiting readers.
    fn record(&self, path: PathBuf, reason: u32, is_dir: bool) {
        let entry = Entry { usn: self.next_usn.get(), path, reason, is_dir, time: now_micros() };
        self.next_usn.set(entry.usn + 1);
        if let Some(file) = self.file.borrow_mut().as_mut() {
            let line = format!("{}\t{}\t{}\t{}\t{}\n", entry.usn, entry.time, entry.reason, u8::from(entry.is_dir), escape(&entry.path));
            if let Err(e) = file.write_all(line.as_bytes()) {
                *self.error.borrow_mut() = Some(format!("write '{}': {e}", self.journal_file.display()));
            }
        }
        let mut entries = self.entries.borrow_mut();
        entries.push_back(entry);
        if entries.len() > MEMORY_LIMIT {
            entries.pop_front();
        }
    }

    fn flush(&self) {
        if let Some(file) = self.file.borrow_mut().as_mut() {
            if let Err(e) = file.flush() {
                *self.error.borrow_mut() = Some(format!("write '{}': {e}", self.journal_file.display()));
            }
        }
        self.notify.notify_waiters();
    }

    /// Watches `dir` and every directory below it; with `report`, records what is found
    /// (files made in a new directory before its watch existed) as CREATE.
    fn watch_tree(&self, dir: &Path, report: bool) {
        let mut stack = vec![dir.to_path_buf()];
        while let Some(dir) = stack.pop() {
            match inotify::add_watch(self.fd.get_ref(), &dir) {
                Ok(wd) => {
                    self.watches.borrow_mut().insert(wd, dir.clone());
                }
                Err(_) => continue, // gone already, or not a directory any more
            }
            let Ok(read) = std::fs::read_dir(&dir) else { continue };
            let mut children: Vec<PathBuf> = read.flatten().map(|e| e.path()).collect();
            children.sort();
            for child in children {
                let Some(info) = stat(&child) else { continue };
                let known = self.snapshot.borrow_mut().insert(child.clone(), info).is_some();
                if report && !known {
                    self.record(child.clone(), CREATE, info.0);
                }
                if info.0 {
                    stack.push(child);
                }
            }
        }
    }

    fn forget_tree(&self, dir: &Path) {
        self.snapshot.borrow_mut().retain(|p, _| !p.starts_with(dir));
        let mut watches = self.watches.borrow_mut();
        let gone: Vec<i32> = watches.iter().filter(|(_, p)| p.starts_with(dir)).map(|(wd, _)| *wd).collect();
        for wd in gone {
            inotify::rm_watch(self.fd.get_ref(), wd);
            watches.remove(&wd);
        }
    }

    /// After an overflow: compares the tree with the snapshot and records the differences.
    fn rescan(&self) {
        self.record(self.root.clone(), OVERFLOW, true);
        let old = std::mem::take(&mut *self.snapshot.borrow_mut());
        self.compare(old);
    }

    /// Watches the whole tree again and records how it differs from `old`.
    fn compare(&self, old: Snapshot) {
        self.watch_tree(&self.root.clone(), false);
        let new = self.snapshot.borrow().clone();
        let mut changes: Vec<(PathBuf, u32, bool)> = Vec::new();
        for (path, info) in &new {
            match old.get(path) {
                None => changes.push((path.clone(), CREATE, info.0)),
                Some(before) if before != info && !info.0 => changes.push((path.clone(), MODIFY, false)),
                _ => {}
            }
        }
        for (path, info) in &old {
            if !new.contains_key(path) {
                changes.push((path.clone(), DELETE, info.0));
            }
        }
        changes.sort_by(|a, b| a.0.cmp(&b.0));
        for (path, reason, is_dir) in changes {
            self.record(path, reason, is_dir);
        }
    }

    fn handle(&self, event: RawEvent) {
        if event.mask & inotify::IN_Q_OVERFLOW != 0 {
            self.rescan();
            return;
        }
        let Some(dir) = self.watches.borrow().get(&event.wd).cloned() else { return };
        if event.mask & inotify::IN_IGNORED != 0 {
            self.watches.borrow_mut().remove(&event.wd);
            return;
        }
        let is_root = dir == self.root;
        if event.mask & (inotify::IN_DELETE_SELF | inotify::IN_MOVE_SELF) != 0 {
            // a subdirectory's removal is reported by its parent; the root's only here
            if is_root && !self.root_gone.get() {
                self.root_gone.set(true);
                let reason = if event.mask & inotify::IN_DELETE_SELF != 0 { DELETE } else { RENAME_OLD };
                self.record(self.root.clone(), reason, true);
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
        if reason & CREATE != 0 {
            // already reported by the scan of a new directory
            if self.snapshot.borrow().contains_key(&path) {
                return;
            }
        }
        self.record(path.clone(), reason, is_dir);
        if reason & (DELETE | RENAME_OLD) != 0 {
            if is_dir {
                self.forget_tree(&path);
            } else {
                self.snapshot.borrow_mut().remove(&path);
            }
        } else if let Some(info) = stat(&path) {
            self.snapshot.borrow_mut().insert(path.clone(), info);
            if is_dir && reason & (CREATE | RENAME_NEW) != 0 {
                self.watch_tree(&path, reason & CREATE != 0);
            }
        }
    }

    /// The first entry at or after `usn` whose reason matches `mask`, from memory.
    fn find(&self, usn: u64, mask: u32) -> Result<Option<Entry>, String> {
        let entries = self.entries.borrow();
        let Some(front) = entries.front() else { return Ok(None) };
        if usn < front.usn && usn >= self.first_usn.get() && front.usn > self.first_usn.get() {
            return Err(format!("usn {usn} is no longer kept in memory (oldest is {}); read '{}'", front.usn, self.journal_file.display()));
        }
        let start = usn.saturating_sub(front.usn) as usize;
        Ok(entries.iter().skip(start).find(|e| e.usn >= usn && e.reason & mask != 0).cloned())
    }
}

impl Journal {
    /// Handles what the kernel has queued now, without waiting. Called by the pump and before
    /// every read of the journal, so a reader busy with entries keeps the kernel queue drained.
    fn drain_now(&self, buf: &mut [u8]) -> bool {
        let mut any = false;
        loop {
            match inotify::read(self.fd.get_ref(), buf) {
                Ok(0) => return any,
                Ok(n) => {
                    any = true;
                    for event in inotify::parse(&buf[..n]) {
                        self.handle(event);
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return any,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    *self.error.borrow_mut() = Some(format!("watch '{}': {e}", self.root.display()));
                    return any;
                }
            }
        }
    }

    fn drain_and_flush(&self) {
        let mut buf = vec![0u8; READ_BUFFER];
        if self.drain_now(&mut buf) {
            self.flush();
        }
    }

    /// Where the tree's last known state is kept between runs.
    fn tree_file(&self) -> PathBuf {
        let mut name = self.journal_file.as_os_str().to_os_string();
        name.push(".tree");
        PathBuf::from(name)
    }

    /// Saves the snapshot so the next open can record what changed while nobody watched.
    fn save_tree(&self) {
        let mut text = String::new();
        for (path, (is_dir, size, mtime)) in self.snapshot.borrow().iter() {
            text.push_str(&format!("{}\t{size}\t{mtime}\t{}\n", u8::from(*is_dir), escape(path)));
        }
        let tree = self.tree_file();
        let mut temp = tree.clone().into_os_string();
        temp.push(".tmp");
        if let Err(e) = std::fs::write(&temp, text).and_then(|()| std::fs::rename(&temp, &tree)) {
            *self.error.borrow_mut() = Some(format!("write '{}': {e}", tree.display()));
        }
    }

    fn load_tree(&self) -> Option<Snapshot> {
        let text = std::fs::read_to_string(self.tree_file()).ok()?;
        let mut snapshot = Snapshot::new();
        for line in text.lines() {
            let mut f = line.splitn(4, '\t');
            let (Some(dir), Some(size), Some(mtime), Some(path)) = (f.next(), f.next(), f.next(), f.next()) else { continue };
            let (Ok(size), Ok(mtime)) = (size.parse(), mtime.parse()) else { continue };
            snapshot.insert(unescape(path), (dir == "1", size, mtime));
        }
        Some(snapshot)
    }
}

const READ_BUFFER: usize = 256 * 1024;

async fn pump(journal: Rc<Journal>) {
    let mut buf = vec![0u8; READ_BUFFER];
    loop {
        let mut guard = match journal.fd.readable().await {
            Ok(guard) => guard,
            Err(e) => {
                *journal.error.borrow_mut() = Some(format!("watch '{}': {e}", journal.root.display()));
                journal.notify.notify_waiters();
                return;
            }
        };
        journal.drain_now(&mut buf);
        guard.clear_ready();
        journal.flush();
    }
}

/// Loads the entries of an existing journal file; returns (journal id, entries).
fn load(file: &Path, root: &Path) -> Result<Option<(String, VecDeque<Entry>)>, String> {
    let Ok(handle) = File::open(file) else { return Ok(None) };
    let mut lines = BufReader::new(handle).lines();
    let header = match lines.next() {
        Some(Ok(h)) => h,
        _ => return Ok(None),
    };
    let mut parts = header.split('\t');
    if parts.next() != Some("#tinn-journal") {
        return Err(format!("journal '{}': not a tinn journal file", file.display()));
    }
    let id = parts.next().unwrap_or_default().to_string();
    let recorded_root = unescape(parts.next().unwrap_or_default());
    if recorded_root != root {
        return Err(format!("journal '{}': records '{}', not '{}'", file.display(), recorded_root.display(), root.display()));
    }
    let mut entries = VecDeque::new();
    for line in lines.map_while(Result::ok) {
        let mut f = line.splitn(5, '\t');
        let (Some(usn), Some(time), Some(reason), Some(dir), Some(path)) = (f.next(), f.next(), f.next(), f.next(), f.next()) else {
            continue; // a line cut short by a crash
        };
        let (Ok(usn), Ok(time), Ok(reason)) = (usn.parse(), time.parse(), reason.parse()) else { continue };
        entries.push_back(Entry { usn, time, reason, is_dir: dir == "1", path: unescape(path) });
        if entries.len() > MEMORY_LIMIT {
            entries.pop_front();
        }
    }
    Ok(Some((id, entries)))
}

fn failed(lua: &Lua, message: String) -> LuaResult<MultiValue> {
    (Value::Nil, message).into_lua_multi(lua)
}

/// `open(path, journalFile?)` → handle | nil, err
pub(crate) fn open(lua: &Lua, (path, journal_file): (String, Option<String>)) -> LuaResult<MultiValue> {
    let root = match std::fs::canonicalize(&path) {
        Ok(root) if root.is_dir() => root,
        Ok(_) => return failed(lua, format!("ChangeJournal '{path}': not a directory")),
        Err(e) => return failed(lua, format!("ChangeJournal '{path}': {e}")),
    };
    let journal_file = journal_file.map(PathBuf::from).unwrap_or_else(|| default_journal_file(&root));
    let (journal_id, entries) = match load(&journal_file, &root) {
        Ok(Some(found)) => found,
        Ok(None) => (format!("{:x}{:x}", now_micros(), std::process::id()), VecDeque::new()),
        Err(message) => return failed(lua, message),
    };
    if let Some(parent) = journal_file.parent() {
        if let Err(e) = std::fs::create_dir_all(parent) {
            return failed(lua, format!("journal '{}': {e}", parent.display()));
        }
    }
    let fresh = entries.is_empty() && !journal_file.exists();
    let mut file = match std::fs::OpenOptions::new().create(true).append(true).open(&journal_file) {
        Ok(file) => std::io::BufWriter::new(file),
        Err(e) => return failed(lua, format!("journal '{}': {e}", journal_file.display())),
    };
    if fresh || std::fs::metadata(&journal_file).map(|m| m.len() == 0).unwrap_or(false) {
        let header = format!("#tinn-journal\t{journal_id}\t{}\n", escape(&root));
        if let Err(e) = file.write_all(header.as_bytes()).and_then(|()| file.flush()) {
            return failed(lua, format!("journal '{}': {e}", journal_file.display()));
        }
    }
    // SAFETY: the OwnedFd is open and owned by the AsyncFd for the AsyncFd's whole life.
    let registered = inotify::init().and_then(|fd| unsafe { AsyncFd::register(fd) }.map_err(std::io::Error::from));
    let fd = match registered {
        Ok(fd) => fd,
        Err(e) => return failed(lua, format!("ChangeJournal '{path}': inotify: {e}")),
    };
    let first_usn = entries.front().map(|e| e.usn).unwrap_or(1);
    let next_usn = entries.back().map(|e| e.usn + 1).unwrap_or(1);
    let journal = Rc::new(Journal {
        root: root.clone(),
        journal_file,
        journal_id,
        fd,
        watches: RefCell::new(HashMap::new()),
        root_gone: Cell::new(false),
        entries: RefCell::new(entries),
        first_usn: Cell::new(first_usn),
        next_usn: Cell::new(next_usn),
        file: RefCell::new(Some(file)),
        snapshot: RefCell::new(HashMap::new()),
        notify: Notify::new(),
        error: RefCell::new(None),
    });
    if let Err(e) = inotify::add_watch(journal.fd.get_ref(), &root) {
        return failed(lua, format!("ChangeJournal '{path}': watch: {e}"));
    }
    match journal.load_tree() {
        // what changed while no journal watched the tree
        Some(old) => journal.compare(old),
        None => journal.watch_tree(&root, false),
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
    /// Records what the kernel still holds, saves the tree state, stops watching.
    fn shut(&self) {
        if self.journal.file.borrow().is_none() {
            return;
        }
        self.pump.abort();
        self.journal.drain_and_flush();
        self.journal.flush();
        self.journal.save_tree();
        self.journal.file.borrow_mut().take();
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
    t.set("isDirectory", entry.is_dir)?;
    t.set("timestamp", entry.time as f64 / 1e6)?;
    Ok(t)
}

fn journal_wait(lua: &Lua, handle: &JournalHandle, (usn, mask): (u64, u32)) -> LuaResult<MultiValue> {
    let journal = Rc::clone(&handle.journal);
    journal.drain_and_flush();
    match journal.find(usn, mask) {
        Ok(Some(entry)) => return entry_table(lua, &entry)?.into_lua_multi(lua),
        Ok(None) => {}
        Err(message) => return failed(lua, message),
    }
    if let Some(message) = journal.error.borrow().clone() {
        return failed(lua, message);
    }
    tinn_reactor::start(lua, async move {
        let found = loop {
            let woken = journal.notify.notified();
            match journal.find(usn, mask) {
                Ok(Some(entry)) => break Ok(entry),
                Ok(None) => {}
                Err(message) => break Err(message),
            }
            if let Some(message) = journal.error.borrow().clone() {
                break Err(message);
            }
            woken.await;
        };
        tinn_reactor::completion(move |lua| match found {
            Ok(entry) => entry_table(lua, &entry)?.into_lua_multi(lua),
            Err(message) => failed(lua, message),
        })
    })
}

impl UserData for JournalHandle {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_method("wait", journal_wait);
        methods.add_method("nextUsn", |_, this, ()| Ok(this.journal.next_usn.get()));
        methods.add_method("info", |lua, this, ()| {
            let info = lua.create_table()?;
            info.set("journalId", this.journal.journal_id.clone())?;
            info.set("firstUsn", this.journal.first_usn.get())?;
            info.set("nextUsn", this.journal.next_usn.get())?;
            info.set("path", lua.create_string(this.journal.root.as_os_str().as_bytes())?)?;
            info.set("journalFile", lua.create_string(this.journal.journal_file.as_os_str().as_bytes())?)?;
            Ok(info)
        });
        // Behaves as a kernel queue overflow would (tests; the kernel's queue is hard to fill on demand).
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
