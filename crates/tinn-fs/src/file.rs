//! `File`: an open file, the userdata behind the objects `fs.open` returns.
//!
//! Reads and writes go through buffers, as C's stdio does: a line that is already buffered, or a
//! small write that fits the write buffer, finishes at once on the scheduler thread (the fast
//! path). Everything that touches the disk runs on tokio's blocking pool while the calling task
//! is parked. Operations on one file take turns in call order (a FIFO lock); the lock travels
//! with the blocking job, so an operation whose task timed out still finishes before the next
//! one starts, and the bytes it read stay in the buffer for the next read.

use std::cell::Cell;
use std::rc::Rc;
use std::fs::{File, OpenOptions};
use std::io::{self, ErrorKind, Read, Seek, SeekFrom, Write};
use std::sync::Arc;

use mlua::{IntoLuaMulti, Lua, LuaString, MetaMethod, MultiValue, Result as LuaResult, UserData, UserDataMethods};
use tinn_reactor::ScriptError;
use tokio::sync::Mutex;

use tinn_reactor::read_buffer::{ReadBuffer, ReadMode, READ_CHUNK};

use crate::error::FsError;
use crate::job::{self, Cancel};
use crate::paths::ScriptPath;

/// The most one read call asks the OS for, so `read(huge)` does not allocate `huge` up front.
const MAX_FILL: usize = 16 * 1024 * 1024;
/// Writes are collected up to this many bytes before they go to the OS (or at flush/close).
const WRITE_BUFFER: usize = 64 * 1024;

/// How `fs.open` opens a file: C's `fopen` modes `r w a` with `+`, and `x` (create, fail if it exists).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct OpenMode {
    read: bool,
    write: bool,
    append: bool,
    truncate: bool,
    create: bool,
    exclusive: bool,
}

impl OpenMode {
    /// Parses `r`, `r+`, `w`, `w+`, `a`, `a+`, `wx`, `w+x` (a `b` anywhere is ignored, as on POSIX).
    pub(crate) fn parse(mode: &str) -> Option<OpenMode> {
        let cleaned: String = mode.chars().filter(|c| *c != 'b').collect();
        let mut chars = cleaned.chars();
        let base = chars.next()?;
        let rest = chars.as_str();
        let (plus, rest) = match rest.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, rest),
        };
        let exclusive = match rest {
            "" => false,
            "x" if base == 'w' => true,
            _ => return None,
        };
        let none = OpenMode { read: false, write: false, append: false, truncate: false, create: false, exclusive };
        Some(match base {
            'r' => OpenMode { read: true, write: plus, ..none },
            'w' => OpenMode { read: plus, write: true, truncate: true, create: true, ..none },
            'a' => OpenMode { read: plus, write: true, append: true, create: true, ..none },
            _ => return None,
        })
    }

    fn options(self) -> OpenOptions {
        let mut options = OpenOptions::new();
        options.read(self.read).write(self.write).append(self.append);
        if self.exclusive {
            options.create_new(true);
        } else {
            options.create(self.create).truncate(self.truncate);
        }
        options
    }
}

/// Opens `p` with `mode` (blocking; run it on the pool). Directories are refused.
pub(crate) fn open(p: &ScriptPath, mode: OpenMode) -> Result<File, FsError> {
    let fail = |e| FsError::io("open", &p.shown, e);
    let file = mode.options().open(&p.path).map_err(fail)?;
    if crate::ops::is_dir(&file) {
        return Err(fail(io::Error::from_raw_os_error(libc::EISDIR)));
    }
    Ok(file)
}

/// The read mode of a `file:read` format: a line (with or without its `\n`; a `\r` stays, as
/// in Lua's io), `n` bytes, or the rest.
fn read_mode(kind: &str, count: Option<i64>) -> Option<ReadMode> {
    Some(match kind {
        "l" => ReadMode::Line { keep: false, crlf: false },
        "L" => ReadMode::Line { keep: true, crlf: false },
        "a" => ReadMode::All,
        "n" => ReadMode::Exactly(usize::try_from(count?).ok()?),
        _ => return None,
    })
}

/// `file:seek` origins.
#[derive(Clone, Copy, Debug)]
enum Whence {
    Set,
    Cur,
    End,
}

/// The file and its buffers; only the holder of the lock touches it.
struct Io {
    file: Option<File>,
    path: String,
    readable: bool,
    writable: bool,
    /// Bytes read ahead and not yet handed out. The OS offset is past them.
    read_ahead: ReadBuffer,
    /// Bytes written by the script and not yet handed to the OS.
    wbuf: Vec<u8>,
}

/// The userdata behind a script's file object.
pub struct FileHandle {
    path: String,
    closed: Cell<bool>,
    io: Arc<Mutex<Io>>,
    /// Operations started and not yet over. The fast path is taken only when this is 0, so a
    /// call never overtakes an earlier one that has not reached the lock yet.
    started: Rc<Cell<usize>>,
}

/// Counts an operation as started until its future ends (finished or dropped).
struct Started(Rc<Cell<usize>>);

impl Started {
    fn new(count: &Rc<Cell<usize>>) -> Started {
        count.set(count.get() + 1);
        Started(count.clone())
    }
}

impl Drop for Started {
    fn drop(&mut self) {
        self.0.set(self.0.get().saturating_sub(1));
    }
}

impl FileHandle {
    pub(crate) fn new(path: String, file: File, mode: OpenMode) -> FileHandle {
        let io = Io {
            file: Some(file),
            path: path.clone(),
            readable: mode.read,
            writable: mode.write,
            read_ahead: ReadBuffer::default(),
            wbuf: Vec::new(),
        };
        FileHandle { path, closed: Cell::new(false), io: Arc::new(Mutex::new(io)), started: Rc::default() }
    }

    /// The file's state, when no operation is under way: the fast path may use it.
    fn idle(&self) -> Option<tokio::sync::MutexGuard<'_, Io>> {
        if self.started.get() > 0 {
            return None;
        }
        self.io.try_lock().ok()
    }

    /// Runs `work` on the blocking pool once every earlier operation on this file is done.
    fn in_pool<T, W, F>(&self, lua: &Lua, op: &'static str, work: W, finish: F) -> LuaResult<MultiValue>
    where
        T: Send + 'static,
        W: FnOnce(&mut Io, &Cancel) -> Result<T, FsError> + Send + 'static,
        F: FnOnce(&Lua, T) -> LuaResult<MultiValue> + 'static,
    {
        let (cancel, mut waiting) = Cancel::guarded();
        let run = self.run(op, move |io| work(io, &cancel));
        tinn_reactor::start(lua, async move {
            let outcome = run.await;
            waiting.disarm();
            finished(outcome, finish)
        })
    }

    /// Like `in_pool`, but the work goes on even if the task stops waiting before it started:
    /// for `close`, which must release the file whatever happens to its caller.
    fn detached<T, W, F>(&self, lua: &Lua, op: &'static str, work: W, finish: F) -> LuaResult<MultiValue>
    where
        T: Send + 'static,
        W: FnOnce(&mut Io) -> Result<T, FsError> + Send + 'static,
        F: FnOnce(&Lua, T) -> LuaResult<MultiValue> + 'static,
    {
        let path = self.path.clone();
        let task = tokio::task::spawn_local(self.run(op, work));
        tinn_reactor::start(lua, async move {
            match task.await {
                Ok(outcome) => finished(outcome, finish),
                Err(err) => tinn_reactor::failure(FsError::job(op, &path, err).to_string()),
            }
        })
    }

    /// Takes this file's turn, then runs `work` on the blocking pool.
    fn run<T, W>(&self, op: &'static str, work: W) -> impl std::future::Future<Output = Result<T, FsError>> + 'static
    where
        T: Send + 'static,
        W: FnOnce(&mut Io) -> Result<T, FsError> + Send + 'static,
    {
        let io = self.io.clone();
        let path = self.path.clone();
        let started = Started::new(&self.started);
        async move {
            let _started = started;
            let mut file = io.lock_owned().await;
            // The lock moves into the job: if the task stops waiting, the job still owns the
            // file until it is done, and later operations queue behind it.
            match tokio::task::spawn_blocking(move || work(&mut file)).await {
                Ok(outcome) => outcome,
                Err(err) => Err(FsError::job(op, &path, err)),
            }
        }
    }

    fn read(&self, lua: &Lua, kind: String, count: Option<i64>) -> LuaResult<MultiValue> {
        let mode = read_mode(&kind, count)
            .ok_or_else(|| bad_argument(1, "file:read", format!("invalid format '{kind}'")))?;
        if self.closed.get() {
            return FsError::Closed.into_failure(lua);
        }
        if let Some(mut io) = self.idle() {
            if io.readable && io.wbuf.is_empty() {
                if let Some(answer) = io.read_ahead.take(mode, |bytes| lua.create_string(bytes)) {
                    return answer.transpose()?.into_lua_multi(lua);
                }
            }
        }
        self.in_pool(lua, "read", move |io, cancel| io.read(mode, cancel), |lua, answer| job::bytes(lua, Ok(answer)))
    }

    fn write(&self, lua: &Lua, data: LuaString) -> LuaResult<MultiValue> {
        if self.closed.get() {
            return FsError::Closed.into_failure(lua);
        }
        let data = data.as_bytes();
        if let Some(mut io) = self.idle() {
            if io.writable && io.read_ahead.unread() == 0 && io.wbuf.len() + data.len() <= WRITE_BUFFER {
                io.wbuf.extend_from_slice(&data);
                return true.into_lua_multi(lua);
            }
        }
        let data = data.to_vec();
        self.in_pool(lua, "write", move |io, _| io.write(&data), |lua, ()| true.into_lua_multi(lua))
    }

    fn seek(&self, lua: &Lua, whence: String, offset: i64) -> LuaResult<MultiValue> {
        let whence = match whence.as_str() {
            "set" => Whence::Set,
            "cur" => Whence::Cur,
            "end" => Whence::End,
            _ => return Err(bad_argument(1, "file:seek", format!("invalid option '{whence}'"))),
        };
        if self.closed.get() {
            return FsError::Closed.into_failure(lua);
        }
        // Asking where we are needs no OS call beyond lseek, which does not touch the disk.
        if let (Whence::Cur, 0) = (whence, offset) {
            if let Some(mut io) = self.idle() {
                if io.wbuf.is_empty() {
                    return match io.seek(whence, offset) {
                        Ok(position) => position.into_lua_multi(lua),
                        Err(err) => err.into_failure(lua),
                    };
                }
            }
        }
        self.in_pool(lua, "seek", move |io, _| io.seek(whence, offset), |lua, position| position.into_lua_multi(lua))
    }

    fn flush(&self, lua: &Lua, sync: bool) -> LuaResult<MultiValue> {
        if self.closed.get() {
            return FsError::Closed.into_failure(lua);
        }
        if !sync {
            if let Some(io) = self.idle() {
                if io.wbuf.is_empty() {
                    return true.into_lua_multi(lua);
                }
            }
        }
        let op = if sync { "sync" } else { "flush" };
        self.in_pool(lua, op, move |io, _| io.flush(op, sync), |lua, ()| true.into_lua_multi(lua))
    }

    fn close(&self, lua: &Lua) -> LuaResult<MultiValue> {
        if self.closed.replace(true) {
            return true.into_lua_multi(lua);
        }
        if let Some(mut io) = self.idle() {
            if io.wbuf.is_empty() {
                io.release();
                return true.into_lua_multi(lua);
            }
        }
        self.detached(lua, "close", Io::close, |lua, ()| true.into_lua_multi(lua))
    }
}

/// The completion of a finished file operation.
fn finished<T, F>(outcome: Result<T, FsError>, finish: F) -> tinn_reactor::Completion
where
    T: 'static,
    F: FnOnce(&Lua, T) -> LuaResult<MultiValue> + 'static,
{
    match outcome {
        Ok(value) => tinn_reactor::completion(move |lua| finish(lua, value)),
        Err(err) => tinn_reactor::failure(err.to_string()),
    }
}

/// A Lua-style argument error (the Lua wrapper checks first; this is the backstop).
fn bad_argument(n: u32, fname: &str, msg: String) -> mlua::Error {
    mlua::Error::external(format!("bad argument #{n} to '{fname}' ({msg})"))
}

impl Io {
    fn file(&mut self) -> Result<&mut File, FsError> {
        self.file.as_mut().ok_or(FsError::Closed)
    }

    fn fail(&self, op: &'static str, e: io::Error) -> FsError {
        FsError::io(op, &self.path, e)
    }

    /// Reads more from the OS into the buffer; returns how many bytes came (0 at end of file).
    fn fill(&mut self, mode: ReadMode) -> Result<usize, FsError> {
        let path = self.path.clone();
        let fail = |e| FsError::io("read", &path, e);
        let have = self.read_ahead.unread();
        let file = self.file.as_mut().ok_or(FsError::Closed)?;
        let buffer = &mut self.read_ahead;
        let got = match mode {
            ReadMode::All => {
                let bytes = buffer.spare();
                let before = bytes.len();
                file.read_to_end(bytes).map(|_| bytes.len() - before)
            }
            _ => {
                let want = match mode {
                    ReadMode::Exactly(n) => n.saturating_sub(have).clamp(READ_CHUNK, MAX_FILL),
                    _ => READ_CHUNK,
                };
                buffer.fill_with(want, |room| loop {
                    match file.read(room) {
                        Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                        other => break other,
                    }
                })
            }
        };
        got.map_err(fail)
    }

    /// Serves `mode` from the read buffer; `at_end` says the OS has no more for now (a file
    /// can grow, so the end is not remembered).
    fn take(&mut self, mode: ReadMode, at_end: bool) -> Option<Option<Vec<u8>>> {
        self.read_ahead.eof = at_end;
        let answer = self.read_ahead.take(mode, <[u8]>::to_vec);
        self.read_ahead.eof = false;
        answer
    }

    fn read(&mut self, mode: ReadMode, cancel: &Cancel) -> Result<Option<Vec<u8>>, FsError> {
        self.file()?;
        if !self.readable {
            return Err(FsError::Refused { op: "read", path: self.path.clone(), reason: "file not open for reading" });
        }
        self.flush_writes("read")?;
        loop {
            // A read whose task stopped waiting leaves what it got in the buffer for the next.
            if cancel.is_set() {
                return Err(FsError::io("read", &self.path, ErrorKind::Interrupted.into()));
            }
            if let Some(answer) = self.take(mode, false) {
                return Ok(answer);
            }
            // "a" reads to the end in one go; other modes stop when the OS has nothing more.
            let got = self.fill(mode)?;
            if got == 0 || matches!(mode, ReadMode::All) {
                return Ok(self.take(mode, true).unwrap_or(None));
            }
        }
    }

    /// Gives back read-ahead bytes before writing, so the write lands where the script thinks.
    fn discard_reads(&mut self) -> Result<(), FsError> {
        let unread = self.read_ahead.unread();
        if unread == 0 {
            return Ok(());
        }
        let back = i64::try_from(unread).map_err(|_| self.fail("write", ErrorKind::InvalidInput.into()))?;
        match self.file()?.seek(SeekFrom::Current(-back)) {
            Ok(_) => {
                self.read_ahead.clear();
                Ok(())
            }
            // A pipe cannot go back, and needs not: its two directions are separate streams.
            Err(e) if e.raw_os_error() == Some(libc::ESPIPE) => Ok(()),
            Err(e) => Err(self.fail("write", e)),
        }
    }

    fn flush_writes(&mut self, op: &'static str) -> Result<(), FsError> {
        if self.wbuf.is_empty() {
            return Ok(());
        }
        let written = match self.file.as_mut() {
            Some(file) => file.write_all(&self.wbuf),
            None => return Err(FsError::Closed),
        };
        // The bytes are dropped either way: a failure is reported once, not at every later call.
        self.wbuf.clear();
        written.map_err(|e| self.fail(op, e))
    }

    fn write(&mut self, data: &[u8]) -> Result<(), FsError> {
        self.file()?;
        if !self.writable {
            return Err(FsError::Refused { op: "write", path: self.path.clone(), reason: "file not open for writing" });
        }
        self.discard_reads()?;
        if self.wbuf.len() + data.len() > WRITE_BUFFER {
            self.flush_writes("write")?;
        }
        if data.len() <= WRITE_BUFFER {
            self.wbuf.extend_from_slice(data);
            return Ok(());
        }
        let written = self.file()?.write_all(data);
        written.map_err(|e| self.fail("write", e))
    }

    fn seek(&mut self, whence: Whence, offset: i64) -> Result<u64, FsError> {
        self.file()?;
        self.flush_writes("seek")?;
        let unread = i64::try_from(self.read_ahead.unread()).unwrap_or(i64::MAX);
        let invalid = || io::Error::from_raw_os_error(libc::EINVAL);
        let target = match whence {
            Whence::Set => SeekFrom::Start(u64::try_from(offset).map_err(|_| self.fail("seek", invalid()))?),
            Whence::Cur => SeekFrom::Current(offset.checked_sub(unread).ok_or_else(|| self.fail("seek", invalid()))?),
            Whence::End => SeekFrom::End(offset),
        };
        if let (Whence::Cur, 0) = (whence, offset) {
            // Where we are: the OS offset minus what is read ahead; the buffer stays.
            let position = self.file()?.stream_position().map_err(|e| self.fail("seek", e))?;
            return Ok(position.saturating_sub(u64::try_from(unread).unwrap_or(0)));
        }
        let position = self.file()?.seek(target).map_err(|e| self.fail("seek", e))?;
        self.read_ahead.clear();
        Ok(position)
    }

    fn flush(&mut self, op: &'static str, sync: bool) -> Result<(), FsError> {
        self.file()?;
        self.flush_writes(op)?;
        if sync {
            let synced = self.file()?.sync_all();
            synced.map_err(|e| self.fail(op, e))?;
        }
        Ok(())
    }

    fn close(&mut self) -> Result<(), FsError> {
        let flushed = if self.file.is_some() { self.flush_writes("close") } else { Ok(()) };
        self.release();
        flushed
    }

    fn release(&mut self) {
        self.file = None;
        self.read_ahead = ReadBuffer::default();
    }
}

impl Drop for Io {
    /// A file collected without `close` still gets its buffered bytes, as Lua's `io` does.
    fn drop(&mut self) {
        if let Some(file) = self.file.as_mut() {
            if !self.wbuf.is_empty() {
                let _ = file.write_all(&self.wbuf);
            }
        }
    }
}

impl UserData for FileHandle {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_method("read", |lua, this, (kind, count): (String, Option<i64>)| this.read(lua, kind, count));
        methods.add_method("write", |lua, this, data: LuaString| this.write(lua, data));
        methods.add_method("seek", |lua, this, (whence, offset): (String, i64)| this.seek(lua, whence, offset));
        methods.add_method("flush", |lua, this, ()| this.flush(lua, false));
        methods.add_method("sync", |lua, this, ()| this.flush(lua, true));
        methods.add_method("close", |lua, this, ()| this.close(lua));
        methods.add_method("isClosed", |_, this, ()| Ok(this.closed.get()));
        methods.add_meta_method(MetaMethod::ToString, |_, this, ()| Ok(format!("File({})", this.path)));
    }
}
