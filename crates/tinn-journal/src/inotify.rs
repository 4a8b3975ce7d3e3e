//! A thin, safe wrapper over the inotify system calls: an fd the event loop polls, watches by
//! directory, and a parser of the kernel's event records.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

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
pub(crate) fn read(fd: &OwnedFd, buf: &mut [u8]) -> io::Result<usize> {
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

/// Splits a buffer the kernel filled into events (parsed by hand: no alignment assumptions).
pub(crate) fn parse(buf: &[u8]) -> Vec<RawEvent> {
    let mut events = Vec::new();
    let mut at = 0;
    let word = |i: usize| buf.get(i..i + 4).map(|b| [b[0], b[1], b[2], b[3]]);
    while at + 16 <= buf.len() {
        let (Some(wd), Some(mask), Some(cookie), Some(len)) = (word(at), word(at + 4), word(at + 8), word(at + 12)) else {
            break;
        };
        let len = u32::from_ne_bytes(len) as usize;
        let Some(raw_name) = buf.get(at + 16..at + 16 + len) else { break };
        let name: Vec<u8> = raw_name.iter().copied().take_while(|&b| b != 0).collect();
        events.push(RawEvent { wd: i32::from_ne_bytes(wd), mask: u32::from_ne_bytes(mask), cookie: u32::from_ne_bytes(cookie), name });
        at += 16 + len;
    }
    events
}
