//! `Log`: a buffered append-only log file with size-based rotation, the userdata behind
//! `tinn.log`'s loggers.
//!
//! A line is formatted here (UTC timestamp, level, message) and appended to an in-memory
//! buffer. A flusher on the event loop hands the buffer to the
//! blocking pool `flushMs` later (at once when the buffer passes `bufferSize`); `flush()` and
//! `close()` let a task wait for the disk; `flushNow()` writes from the calling thread, for
//! exit hooks (normal end, `stop()`, Ctrl-C), which cannot suspend.
//!
//! Lines are never lost or reordered between those paths: whoever writes first takes the file
//! lock, then takes the whole buffer, so every byte is written once, in order.
//!
//! The buffer is bounded: past `maxBuffered` bytes `append` says so, and the Lua side makes the
//! logging task wait for the writer (`flush`), so a task that logs faster than the disk takes
//! lines neither grows memory without bound nor drops lines. Every open log is also listed in a
//! process-wide registry, so [`flush_all_now`] can write them from any thread when the process
//! must end while the scheduler thread is stuck (a task that never yields, a second Ctrl-C).

use std::cell::Cell;
use std::fs::{File, OpenOptions};
use std::io::{self, ErrorKind, Write};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::{Arc, Mutex, MutexGuard, TryLockError, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mlua::{IntoLuaMulti, Lua, LuaString, MetaMethod, MultiValue, Result as LuaResult, UserData, UserDataMethods};
use tinn_reactor::ScriptError;
use tokio::sync::Notify;

use crate::error::FsError;
use crate::job;
use crate::paths::ScriptPath;

/// How a log is opened; the Lua wrapper fills in the defaults.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LogOptions {
    /// Rotate before the file would grow past this many bytes; `None` never rotates.
    pub(crate) max_bytes: Option<u64>,
    /// How many rotated files (`path.1` ... `path.N`) to keep; 0 truncates instead.
    pub(crate) keep: u32,
    /// How long a line may wait in memory before the flusher writes it.
    pub(crate) flush_ms: u64,
    /// A buffer this big is written at once, without waiting for `flush_ms`.
    pub(crate) buffer_size: usize,
    /// Past this many buffered bytes the logging task waits for the writer.
    pub(crate) max_buffered: usize,
}

/// The file end: only the holder of its lock writes, rotates or closes.
struct Sink {
    file: Option<File>,
    path: PathBuf,
    shown: String,
    size: u64,
    closed: bool,
    options: LogOptions,
}

/// What the scheduler thread and the blocking pool share.
struct Shared {
    pending: Mutex<Vec<u8>>,
    sink: Mutex<Sink>,
    /// The first failure of a background write, reported by the next `flush` or `close`.
    failed: Mutex<Option<FsError>>,
}

/// Whether a flusher is already on its way, and how to hurry it.
#[derive(Default)]
struct Flusher {
    scheduled: Cell<bool>,
    hurry: Notify,
}

/// The userdata behind a script's logger.
pub struct LogHandle {
    path: String,
    closed: Cell<bool>,
    shared: Arc<Shared>,
    flusher: Rc<Flusher>,
    options: LogOptions,
}

/// Every log not yet dropped, for [`flush_all_now`].
static OPEN_LOGS: Mutex<Vec<Weak<Shared>>> = Mutex::new(Vec::new());

/// How long [`flush_all_now`] waits for a log's locks before giving that log up: a write stuck
/// on a full pipe or a hung disk must not keep the process from ending.
const EXIT_FLUSH_PATIENCE: Duration = Duration::from_millis(500);

/// Writes what every open log (of every Lua state in the process) still buffers, from the
/// calling thread. For the last moments of a process that ends without its exit hooks: a
/// second Ctrl-C, or a task that never yields. Gives up on a log whose file is busy for longer
/// than half a second.
pub fn flush_all_now() {
    let logs: Vec<Arc<Shared>> = lock(&OPEN_LOGS).iter().filter_map(Weak::upgrade).collect();
    for shared in logs {
        shared.drain_patiently(EXIT_FLUSH_PATIENCE);
    }
}

/// Locks `mutex`, trying until `deadline`; `None` if it stayed taken.
fn lock_until<T>(mutex: &Mutex<T>, deadline: std::time::Instant) -> Option<MutexGuard<'_, T>> {
    loop {
        match mutex.try_lock() {
            Ok(guard) => return Some(guard),
            Err(TryLockError::Poisoned(poisoned)) => return Some(poisoned.into_inner()),
            Err(TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(TryLockError::WouldBlock) => return None,
        }
    }
}

/// A poisoned lock only means a panic elsewhere; the data (bytes and a file) is still sound.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn open_append(path: &PathBuf) -> io::Result<File> {
    OpenOptions::new().append(true).create(true).open(path)
}

/// Opens (creating) the log file for appending; returns the file and its current size.
pub(crate) fn open(p: &ScriptPath) -> Result<(File, u64), FsError> {
    let fail = |e| FsError::io("log.open", &p.shown, e);
    let file = open_append(&p.path).map_err(fail)?;
    let meta = file.metadata().map_err(fail)?;
    if meta.is_dir() {
        return Err(fail(io::Error::from_raw_os_error(libc::EISDIR)));
    }
    Ok((file, meta.len()))
}

impl LogHandle {
    pub(crate) fn new(p: ScriptPath, file: File, size: u64, options: LogOptions) -> LogHandle {
        let sink = Sink { file: Some(file), path: p.path, shown: p.shown.clone(), size, closed: false, options };
        let shared = Arc::new(Shared { pending: Mutex::new(Vec::new()), sink: Mutex::new(sink), failed: Mutex::new(None) });
        {
            let mut open = lock(&OPEN_LOGS);
            open.retain(|log| log.strong_count() > 0);
            open.push(Arc::downgrade(&shared));
        }
        LogHandle { path: p.shown, closed: Cell::new(false), shared, flusher: Rc::new(Flusher::default()), options }
    }

    /// Buffers one line. `Closed` once the log is closed; `Full` when the buffer has passed
    /// `max_buffered` and the caller should wait for the writer before logging more.
    fn append(&self, level: &str, message: &[u8]) -> Appended {
        if self.closed.get() {
            return Appended::Closed;
        }
        let buffered = {
            let mut pending = lock(&self.shared.pending);
            // Past `buffer_size` the buffer is headed for `max_buffered`: size it for that once.
            // Doubling would copy it on the way and, just past the bound, hold twice the bound.
            let (len, max) = (pending.len(), self.options.max_buffered);
            if len >= self.options.buffer_size && pending.capacity() < max {
                pending.reserve_exact(max + self.options.buffer_size - len);
            }
            write_timestamp(&mut pending, SystemTime::now());
            pending.push(b' ');
            pending.extend_from_slice(level.as_bytes());
            pending.push(b' ');
            pending.extend_from_slice(message);
            pending.push(b'\n');
            pending.len()
        };
        self.schedule(buffered >= self.options.buffer_size);
        if buffered > self.options.max_buffered {
            Appended::Full
        } else {
            Appended::Buffered
        }
    }

    /// Makes sure a flusher will write the buffer: `flush_ms` from now, or at once if `urgent`.
    fn schedule(&self, urgent: bool) {
        if self.flusher.scheduled.get() {
            if urgent {
                self.flusher.hurry.notify_one();
            }
            return;
        }
        if tokio::runtime::Handle::try_current().is_err() {
            // Not on tinn's event loop (an embedder calling in from outside): write now.
            self.shared.drain_in_background();
            return;
        }
        self.flusher.scheduled.set(true);
        let flusher = self.flusher.clone();
        let shared = self.shared.clone();
        let flush_ms = self.options.flush_ms;
        let buffer_size = self.options.buffer_size;
        let mut delay = if urgent { 0 } else { flush_ms };
        // Not a reactor operation on purpose: a line waiting for its flush must not keep the
        // program alive; the exit hook writes whatever is still buffered.
        tokio::task::spawn_local(async move {
            let _done = Unschedule(flusher.clone());
            loop {
                if delay == 0 {
                    // Let the rest of this scheduler round add its lines to the same write.
                    tokio::task::yield_now().await;
                } else {
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_millis(delay)) => {}
                        _ = flusher.hurry.notified() => {}
                    }
                }
                let writer = shared.clone();
                let _ = tokio::task::spawn_blocking(move || writer.drain_in_background()).await;
                let left = lock(&shared.pending).len();
                if left == 0 {
                    break;
                }
                delay = if left >= buffer_size { 0 } else { flush_ms };
            }
        });
    }

    fn flush(&self, lua: &Lua) -> LuaResult<MultiValue> {
        if self.closed.get() {
            return FsError::Closed.into_failure(lua);
        }
        let shared = self.shared.clone();
        job::start(lua, "flush", self.path.clone(), move |_| shared.flush(), job::done)
    }

    fn flush_now(&self, lua: &Lua) -> LuaResult<MultiValue> {
        if self.closed.get() {
            return FsError::Closed.into_failure(lua);
        }
        job::done(lua, self.shared.flush())
    }

    fn close(&self, lua: &Lua, now: bool) -> LuaResult<MultiValue> {
        if self.closed.replace(true) {
            return true.into_lua_multi(lua);
        }
        if now {
            return job::done(lua, self.shared.close());
        }
        let shared = self.shared.clone();
        job::start(lua, "close", self.path.clone(), move |_| shared.close(), job::done)
    }
}

/// What became of a line handed to [`LogHandle::append`].
enum Appended {
    Buffered,
    /// Buffered, and the buffer is over its bound: the logging task should wait for the writer.
    Full,
    Closed,
}

/// Lets the next line schedule a new flusher, however this one ended (done or dropped at exit).
struct Unschedule(Rc<Flusher>);

impl Drop for Unschedule {
    fn drop(&mut self) {
        self.0.scheduled.set(false);
    }
}

impl Shared {
    /// Writes everything buffered, in order, under the file lock.
    fn drain(&self) -> Result<(), FsError> {
        let mut sink = lock(&self.sink);
        loop {
            let chunk = std::mem::take(&mut *lock(&self.pending));
            if chunk.is_empty() {
                return Ok(());
            }
            sink.write(&chunk)?;
        }
    }

    /// Like `drain`, for a thread that must not wait long (see [`flush_all_now`]).
    fn drain_patiently(&self, patience: Duration) {
        let deadline = std::time::Instant::now() + patience;
        let Some(mut sink) = lock_until(&self.sink, deadline) else { return };
        loop {
            let chunk = match lock_until(&self.pending, deadline) {
                Some(mut pending) => std::mem::take(&mut *pending),
                None => return,
            };
            if chunk.is_empty() || sink.write(&chunk).is_err() {
                return;
            }
        }
    }

    /// A background write has nobody to answer: keep its first failure for `flush`/`close`
    /// and say it once on stderr, since a log that cannot be written is worth knowing about.
    fn drain_in_background(&self) {
        if let Err(err) = self.drain() {
            let mut failed = lock(&self.failed);
            if failed.is_none() {
                let _ = writeln!(io::stderr(), "tinn: {err}");
                *failed = Some(err);
            }
        }
    }

    fn flush(&self) -> Result<(), FsError> {
        let drained = self.drain();
        match lock(&self.failed).take() {
            Some(earlier) => Err(earlier),
            None => drained,
        }
    }

    fn close(&self) -> Result<(), FsError> {
        let flushed = self.flush();
        let mut sink = lock(&self.sink);
        sink.closed = true;
        sink.file = None;
        flushed
    }
}

impl Drop for Shared {
    /// A logger collected (or the Lua state closed) with lines still buffered writes them.
    fn drop(&mut self) {
        let _ = self.drain();
    }
}

impl Sink {
    /// Appends `chunk` (whole lines), rotating first whenever the next lines would not fit.
    fn write(&mut self, chunk: &[u8]) -> Result<(), FsError> {
        let mut rest = chunk;
        while !rest.is_empty() {
            let take = match self.options.max_bytes {
                None => rest.len(),
                Some(max) => {
                    let room = usize::try_from(max.saturating_sub(self.size)).unwrap_or(usize::MAX);
                    if rest.len() <= room {
                        rest.len()
                    } else if let Some(end) = rest[..room].iter().rposition(|&b| b == b'\n') {
                        end + 1
                    } else if self.size == 0 {
                        // One line longer than maxBytes gets a file of its own.
                        rest.iter().position(|&b| b == b'\n').map_or(rest.len(), |end| end + 1)
                    } else {
                        self.rotate()?;
                        continue;
                    }
                }
            };
            self.append(&rest[..take])?;
            rest = &rest[take..];
        }
        Ok(())
    }

    fn append(&mut self, bytes: &[u8]) -> Result<(), FsError> {
        if self.closed {
            return Err(FsError::Closed);
        }
        if self.file.is_none() {
            // A failed rotation left no file: try again rather than drop lines for good.
            self.file = Some(open_append(&self.path).map_err(|e| FsError::io("log", &self.shown, e))?);
        }
        let written = match self.file.as_mut() {
            Some(file) => file.write_all(bytes),
            None => Err(ErrorKind::NotFound.into()),
        };
        written.map_err(|e| FsError::io("log", &self.shown, e))?;
        self.size += bytes.len() as u64;
        Ok(())
    }

    fn numbered(&self, n: u32) -> PathBuf {
        let mut name = self.path.clone().into_os_string();
        name.push(format!(".{n}"));
        PathBuf::from(name)
    }

    /// `path` becomes `path.1`, `path.1` becomes `path.2` ... and `path.<keep>` is dropped.
    fn rotate(&mut self) -> Result<(), FsError> {
        let fail = |e| FsError::io("rotate", &self.shown, e);
        let missing_ok = |r: io::Result<()>| match r {
            Err(e) if e.kind() != ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        };
        self.file = None;
        if self.options.keep == 0 {
            OpenOptions::new().write(true).truncate(true).open(&self.path).map_err(fail)?;
        } else {
            missing_ok(std::fs::remove_file(self.numbered(self.options.keep))).map_err(fail)?;
            for n in (1..self.options.keep).rev() {
                missing_ok(std::fs::rename(self.numbered(n), self.numbered(n + 1))).map_err(fail)?;
            }
            missing_ok(std::fs::rename(&self.path, self.numbered(1))).map_err(fail)?;
        }
        self.file = Some(open_append(&self.path).map_err(fail)?);
        self.size = 0;
        Ok(())
    }
}

/// Appends `2026-11-25T07:00:00.123Z` (UTC, milliseconds).
fn write_timestamp(out: &mut Vec<u8>, now: SystemTime) {
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (year, month, day) = civil_from_days(i64::try_from(secs / 86_400).unwrap_or(0));
    let of_day = secs % 86_400;
    let _ = write!(
        out,
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60,
        since.subsec_millis()
    );
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

impl UserData for LogHandle {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        // true: buffered; "full": buffered, now wait for the writer (flush); false: closed.
        methods.add_method("append", |lua, this, (level, message): (String, LuaString)| {
            Ok(match this.append(&level, &message.as_bytes()) {
                Appended::Buffered => mlua::Value::Boolean(true),
                Appended::Full => mlua::Value::String(lua.create_string("full")?),
                Appended::Closed => mlua::Value::Boolean(false),
            })
        });
        methods.add_method("flush", |lua, this, ()| this.flush(lua));
        methods.add_method("flushNow", |lua, this, ()| this.flush_now(lua));
        methods.add_method("close", |lua, this, ()| this.close(lua, false));
        methods.add_method("closeNow", |lua, this, ()| this.close(lua, true));
        methods.add_method("isClosed", |_, this, ()| Ok(this.closed.get()));
        methods.add_meta_method(MetaMethod::ToString, |_, this, ()| Ok(format!("Logger({})", this.path)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(secs: u64, millis: u64) -> String {
        let mut out = Vec::new();
        write_timestamp(&mut out, UNIX_EPOCH + Duration::from_millis(secs * 1000 + millis));
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn timestamps_are_utc_iso8601_with_milliseconds() {
        assert_eq!(stamp(0, 0), "1970-01-01T00:00:00.000Z");
        assert_eq!(stamp(951_782_400, 5), "2000-02-29T00:00:00.005Z");
        assert_eq!(stamp(1_795_590_000, 123), "2026-11-25T07:00:00.123Z");
    }

    fn sink(dir: &std::path::Path, max: u64, keep: u32) -> Sink {
        let path = dir.join("app.log");
        let options = LogOptions { max_bytes: Some(max), keep, flush_ms: 0, buffer_size: 1, max_buffered: 1 };
        Sink { file: Some(open_append(&path).unwrap()), shown: path.display().to_string(), path, size: 0, closed: false, options }
    }

    #[test]
    fn rotation_keeps_whole_lines_and_n_files() {
        let dir = std::env::temp_dir().join(format!("tinn-log-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut sink = sink(&dir, 10, 2);
        sink.write(b"aaaa\nbbbb\ncccc\ndddd\n").unwrap();
        sink.write(b"a line longer than ten\nee\n").unwrap();
        let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap_or_default();
        assert_eq!(read("app.log"), "ee\n");
        assert_eq!(read("app.log.1"), "a line longer than ten\n");
        assert_eq!(read("app.log.2"), "cccc\ndddd\n");
        assert!(!dir.join("app.log.3").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
