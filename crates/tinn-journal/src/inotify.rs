//! A thin, safe wrapper over the inotify system calls: an fd, watches by directory, a thread that
//! empties the kernel's queue into memory, and a parser of the kernel's event records.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::Notify;

pub(crate) const IN_MODIFY: u32 = libc::IN_MODIFY;
pub(crate) const IN_ATTRIB: u32 = libc::IN_ATTRIB;
pub(crate) const IN_CLOSE_WRITE: u32 = libc::IN_CLOSE_WRITE;
pub(crate) const IN_MOVED_FROM: u32 = libc::IN_MOVED_FROM;
pub(crate) const IN_MOVED_TO: u32 = libc::IN_MOVED_TO;
pub(crate) const IN_CREATE: u32 = libc::IN_CREATE;
pub(crate) const IN_DELETE: u32 = libc::IN_DELETE;
pub(crate) const IN_DELETE_SELF: u32 = libc::IN_DELETE_SELF;
pub(crate) const IN_MOVE_SELF: u32 = libc::IN_MOVE_SELF;
pub(crate) const IN_Q_OVERFLOW: u32 = libc::IN_Q_OVERFLOW;
pub(crate) const IN_IGNORED: u32 = libc::IN_IGNORED;
pub(crate) const IN_ISDIR: u32 = libc::IN_ISDIR;

const WATCH_MASK: u32 = IN_MODIFY
    | IN_ATTRIB
    | IN_CLOSE_WRITE
    | IN_MOVED_FROM
    | IN_MOVED_TO
    | IN_CREATE
    | IN_DELETE
    | IN_DELETE_SELF
    | IN_MOVE_SELF
    | libc::IN_ONLYDIR
    | libc::IN_DONT_FOLLOW;

/// A new non-blocking inotify instance.
pub(crate) fn init() -> io::Result<OwnedFd> {
    // SAFETY: inotify_init1 takes flags only and returns a new fd or -1.
    let fd = unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd is a fresh descriptor nobody else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Watches directory `dir`; returns the watch descriptor (the same one if already watched).
pub(crate) fn add_watch(fd: &OwnedFd, dir: &Path) -> io::Result<i32> {
    let path = CString::new(dir.as_os_str().as_bytes()).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains NUL"))?;
    // SAFETY: path is a valid NUL-terminated string that outlives the call.
    let wd = unsafe { libc::inotify_add_watch(fd.as_raw_fd(), path.as_ptr(), WATCH_MASK) };
    if wd < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(wd)
}

/// Stops watching `wd` (errors mean it is already gone, which is what was wanted).
pub(crate) fn rm_watch(fd: &OwnedFd, wd: i32) {
    // SAFETY: removing a watch only affects this inotify instance.
    unsafe { libc::inotify_rm_watch(fd.as_raw_fd(), wd) };
}

/// Reads what the kernel has queued; WouldBlock when nothing is.
fn read(fd: &OwnedFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: buf is valid for writes of buf.len() bytes.
    let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}

/// One kernel event record.
pub(crate) struct RawEvent {
    pub wd: i32,
    pub mask: u32,
    pub cookie: u32,
    pub name: Vec<u8>,
}

/// Splits what the kernel wrote into events, up to about `limit` bytes of them (parsed by hand:
/// no alignment assumptions); also returns the bytes used.
pub(crate) fn parse(buf: &[u8], limit: usize) -> (Vec<RawEvent>, usize) {
    let mut events = Vec::new();
    let mut at = 0;
    let word = |i: usize| buf.get(i..i + 4).map(|b| [b[0], b[1], b[2], b[3]]);
    while at + 16 <= buf.len() && at < limit {
        let (Some(wd), Some(mask), Some(cookie), Some(len)) = (word(at), word(at + 4), word(at + 8), word(at + 12)) else {
            break;
        };
        let len = u32::from_ne_bytes(len) as usize;
        let Some(raw_name) = buf.get(at + 16..at + 16 + len) else { break };
        let name: Vec<u8> = raw_name.iter().copied().take_while(|&b| b != 0).collect();
        events.push(RawEvent { wd: i32::from_ne_bytes(wd), mask: u32::from_ne_bytes(mask), cookie: u32::from_ne_bytes(cookie), name });
        at += 16 + len;
    }
    (events, at)
}

/// Bytes of events read ahead of the journal; past it the reader waits, and the kernel's own
/// queue fills (then overflows, which the journal answers with a rescan).
const QUEUED_LIMIT: usize = 32 << 20;
const READ_BUFFER: usize = 256 * 1024;
/// A read of fewer bytes than this (about 500 events) is followed by a pause of GATHER_FOR: the
/// kernel's queue fills by a few hundred events at most meanwhile, and wake-ups stay under 5,000/s.
const GATHER_BELOW: usize = 16 * 1024;
const GATHER_FOR: Duration = Duration::from_micros(200);

/// Empties the kernel's queue on a thread of its own. The queue holds only
/// fs.inotify.max_queued_events (16384 by default): under a burst it overflowed whenever the
/// event loop was busy for a moment (running Lua, storing rows), and the changes it dropped
/// could only be rescanned, not reported. This thread copies whole records out, nothing else.
pub(crate) struct Reader {
    shared: Arc<Shared>,
    /// An eventfd that tells the thread to stop.
    stop: OwnedFd,
    thread: Mutex<Option<JoinHandle<()>>>,
}

struct Shared {
    fd: Arc<OwnedFd>,
    /// Whole event records, oldest first.
    queued: Mutex<Vec<u8>>,
    failed: Mutex<Option<io::Error>>,
    ready: Notify,
}

/// Locks a mutex whose data stays valid if a holder panicked (bytes appended whole, or an error).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    /// Reads once into `queued`; the bytes read, 0 when there was nothing (or it failed: see
    /// `failed`).
    fn read_once(&self, buf: &mut [u8]) -> usize {
        match read(&self.fd, buf) {
            Ok(n) => {
                lock(&self.queued).extend_from_slice(&buf[..n]);
                n
            }
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted) => 0,
            Err(e) => {
                *lock(&self.failed) = Some(e);
                0
            }
        }
    }

    fn full(&self) -> bool {
        lock(&self.queued).len() >= QUEUED_LIMIT
    }

    fn run(&self, stop: i32) {
        let mut buf = vec![0u8; READ_BUFFER];
        loop {
            let mut fds = [
                libc::pollfd { fd: self.fd.as_raw_fd(), events: libc::POLLIN, revents: 0 },
                libc::pollfd { fd: stop, events: libc::POLLIN, revents: 0 },
            ];
            // SAFETY: fds is a valid array of two pollfd for the call's duration.
            if unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) } < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                *lock(&self.failed) = Some(e);
                self.ready.notify_one();
                return;
            }
            if fds[1].revents != 0 {
                return;
            }
            if self.full() {
                std::thread::sleep(Duration::from_millis(1));
                continue;
            }
            let read = self.read_once(&mut buf);
            let failed = lock(&self.failed).is_some();
            if read > 0 || failed {
                self.ready.notify_one();
            }
            if failed {
                return;
            }
            if read < GATHER_BELOW {
                // a trickle: events gather for a moment instead of two wake-ups (this thread's
                // and the event loop's) per event, which cost more than handling them
                std::thread::sleep(GATHER_FOR);
            }
        }
    }
}

impl Reader {
    pub(crate) fn start(fd: Arc<OwnedFd>) -> io::Result<Reader> {
        // SAFETY: eventfd takes flags only and returns a new fd or -1.
        let stop = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if stop < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: stop is a fresh descriptor nobody else owns.
        let stop = unsafe { OwnedFd::from_raw_fd(stop) };
        let shared = Arc::new(Shared { fd, queued: Mutex::new(Vec::new()), failed: Mutex::new(None), ready: Notify::new() });
        let on_thread = Arc::clone(&shared);
        let stop_fd = stop.as_raw_fd();
        let thread = std::thread::Builder::new().name("tinn-journal".into()).spawn(move || on_thread.run(stop_fd))?;
        Ok(Reader { shared, stop, thread: Mutex::new(Some(thread)) })
    }

    /// Waits until events were read (or reading failed).
    pub(crate) async fn readable(&self) {
        self.shared.ready.notified().await;
    }

    /// Moves what was read into `into` (emptied first); the buffers trade places, so neither
    /// side allocates once both have grown.
    pub(crate) fn take(&self, into: &mut Vec<u8>) {
        into.clear();
        std::mem::swap(&mut *lock(&self.shared.queued), into);
    }

    /// Why reading stopped, once.
    pub(crate) fn failure(&self) -> Option<io::Error> {
        lock(&self.shared.failed).take()
    }

    /// Stops the thread, then reads what the kernel still holds (without waiting) into memory.
    pub(crate) fn stop(&self) {
        let Some(thread) = lock(&self.thread).take() else { return };
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a live u64 to the eventfd this reader owns.
        unsafe { libc::write(self.stop.as_raw_fd(), (&one as *const u64).cast(), 8) };
        let _ = thread.join();
        let mut buf = vec![0u8; READ_BUFFER];
        while !self.shared.full() && self.shared.read_once(&mut buf) > 0 {}
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        self.stop();
    }
}
