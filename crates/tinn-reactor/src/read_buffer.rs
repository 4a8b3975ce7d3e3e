//! Bytes a stream (socket, pipe, file) received but the script has not read yet, and the read
//! modes that consume them: the one definition of `read(n | "l" | "L" | "a")` semantics.
//!
//! Reading a line costs time linear in its length however it arrives: the search for `\n`
//! remembers how far it got, so a 64 MB line read in 64 KiB pieces is scanned once, not once
//! per piece.

use std::cell::Cell;

/// How much a single read asks the kernel for.
pub const READ_CHUNK: usize = 64 * 1024;

/// What a `read` call wants.
#[derive(Debug, Clone, Copy)]
pub enum ReadMode {
    /// Up to n bytes, as soon as any are there.
    Upto(usize),
    /// Exactly n bytes (fewer only at end of stream). `Exactly(0)` is io.read's end-of-stream
    /// test: "" while bytes remain, nil at the end.
    Exactly(usize),
    /// One line.
    Line {
        /// Keep the `\n` (and, for network text, the `\r` before it).
        keep: bool,
        /// Network text: a `\r` before the `\n` is part of the line ending (files keep it, as
        /// Lua's io does).
        crlf: bool,
    },
    /// Everything until the peer closes.
    All,
}

/// A byte buffer consumed from the front without moving the rest on every read.
#[derive(Default)]
pub struct ReadBuffer {
    bytes: Vec<u8>,
    start: usize,
    /// How many pending bytes are known to hold no `\n` (the line search resumes there).
    scanned: Cell<usize>,
    /// The peer has closed its side: no more bytes will come.
    pub eof: bool,
}

/// What a read in some mode can do now.
enum Plan {
    /// More bytes must arrive first.
    Wait,
    /// The stream has ended: the read returns nil.
    End,
    /// Hand out `len` bytes and drop `consumed` (>= len) of them.
    Take { len: usize, consumed: usize },
}

impl ReadMode {
    /// The mode a Lua wrapper names: `upto`/`exactly` with a count, `line`, `linekeep`, `all`
    /// (lines of network text: `\r\n` ends a line).
    pub fn parse(kind: &str, count: Option<usize>) -> Result<ReadMode, String> {
        Ok(match (kind, count) {
            ("upto", Some(n)) => ReadMode::Upto(n),
            ("exactly", Some(n)) => ReadMode::Exactly(n),
            ("line", _) => ReadMode::Line { keep: false, crlf: true },
            ("linekeep", _) => ReadMode::Line { keep: true, crlf: true },
            ("all", _) => ReadMode::All,
            _ => return Err(format!("unknown read mode '{kind}'")),
        })
    }
}

impl ReadBuffer {
    fn pending(&self) -> &[u8] {
        &self.bytes[self.start..]
    }

    /// How many received bytes have not been read yet.
    pub fn unread(&self) -> usize {
        self.bytes.len() - self.start
    }

    /// Forgets every unread byte and the end-of-stream mark (a file seeked elsewhere).
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.start = 0;
        self.scanned.set(0);
        self.eof = false;
    }

    /// Hands `f` the first `len` pending bytes, then drops `consumed` (>= len) of them.
    fn consume<R>(&mut self, len: usize, consumed: usize, f: impl FnOnce(&[u8]) -> R) -> R {
        let result = f(&self.bytes[self.start..self.start + len]);
        self.start += consumed;
        self.scanned.set(0);
        if self.start == self.bytes.len() {
            self.bytes.clear();
            self.start = 0;
        }
        result
    }

    /// Free room at the end for the next read, compacting consumed bytes first. Append to the
    /// returned vector; what is already in it is unread.
    pub fn spare(&mut self) -> &mut Vec<u8> {
        if self.start > 0 && self.start * 2 >= self.bytes.len() {
            self.bytes.drain(..self.start);
            self.start = 0;
        }
        self.bytes.reserve(READ_CHUNK);
        &mut self.bytes
    }

    /// Appends what `read` puts into a fresh `want`-byte slice (a blocking file read); returns
    /// its result, the number of bytes that came.
    pub fn fill_with<E>(&mut self, want: usize, read: impl FnOnce(&mut [u8]) -> Result<usize, E>) -> Result<usize, E> {
        let bytes = self.spare();
        let have = bytes.len();
        bytes.resize(have + want, 0);
        let got = read(&mut bytes[have..]);
        bytes.truncate(have + *got.as_ref().unwrap_or(&0));
        got
    }

    /// The first `\n` among the pending bytes, searching only bytes not searched before.
    fn newline(&self) -> Option<usize> {
        let pending = self.pending();
        let from = self.scanned.get().min(pending.len());
        match pending[from..].iter().position(|&b| b == b'\n') {
            Some(offset) => Some(from + offset),
            None => {
                self.scanned.set(pending.len());
                None
            }
        }
    }

    /// What `mode` can do with the bytes there now.
    fn plan(&self, mode: ReadMode) -> Plan {
        let available = self.unread();
        let ready = |len: usize| Plan::Take { len, consumed: len };
        match mode {
            ReadMode::Upto(n) if available > 0 => return ready(available.min(n)),
            ReadMode::Exactly(n) if available >= n && available > 0 => return ready(n),
            ReadMode::Line { keep, crlf } => {
                if let Some(newline) = self.newline() {
                    let pending = self.pending();
                    let len = if keep {
                        newline + 1
                    } else if crlf && newline > 0 && pending[newline - 1] == b'\r' {
                        newline - 1
                    } else {
                        newline
                    };
                    return Plan::Take { len, consumed: newline + 1 };
                }
            }
            _ => {}
        }
        match (self.eof, mode) {
            (false, _) => Plan::Wait,
            // Reading everything from an ended stream gives "" like io.read.
            (true, ReadMode::All) => ready(available),
            (true, _) if available == 0 => Plan::End,
            // At the end what is left is handed over (a last line without `\n`, a short count).
            (true, _) => ready(available),
        }
    }

    /// Whether a read in `mode` can finish now.
    pub fn ready(&self, mode: ReadMode) -> bool {
        !matches!(self.plan(mode), Plan::Wait)
    }

    /// The result `mode` can take now, passed through `f`: `Some(Some(f(bytes)))`, `Some(None)`
    /// at end of stream, or `None` when more bytes must arrive first.
    pub fn take<R>(&mut self, mode: ReadMode, f: impl FnOnce(&[u8]) -> R) -> Option<Option<R>> {
        match self.plan(mode) {
            Plan::Wait => None,
            Plan::End => Some(None),
            Plan::Take { len, consumed } => Some(Some(self.consume(len, consumed, f))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled(data: &[u8], eof: bool) -> ReadBuffer {
        ReadBuffer { bytes: data.to_vec(), start: 0, scanned: Cell::new(0), eof }
    }

    impl ReadBuffer {
        fn take_vec(&mut self, mode: ReadMode) -> Option<Option<Vec<u8>>> {
            self.take(mode, <[u8]>::to_vec)
        }
    }

    #[test]
    fn lines_strip_crlf_and_keep_partial_until_eof() {
        let mut buf = filled(b"one\r\ntwo\nthr", false);
        assert_eq!(buf.take_vec(ReadMode::Line { keep: false, crlf: true }), Some(Some(b"one".to_vec())));
        assert_eq!(buf.take_vec(ReadMode::Line { keep: true, crlf: true }), Some(Some(b"two\n".to_vec())));
        assert_eq!(buf.take_vec(ReadMode::Line { keep: false, crlf: true }), None, "partial line waits");
        buf.eof = true;
        assert_eq!(buf.take_vec(ReadMode::Line { keep: false, crlf: true }), Some(Some(b"thr".to_vec())));
        assert_eq!(buf.take_vec(ReadMode::Line { keep: false, crlf: true }), Some(None));
    }

    #[test]
    fn exactly_waits_for_all_bytes_and_all_waits_for_eof() {
        let mut buf = filled(b"abc", false);
        assert_eq!(buf.take_vec(ReadMode::Exactly(4)), None);
        assert_eq!(buf.take_vec(ReadMode::All), None);
        assert_eq!(buf.take_vec(ReadMode::Upto(2)), Some(Some(b"ab".to_vec())));
        buf.eof = true;
        assert_eq!(buf.take_vec(ReadMode::All), Some(Some(b"c".to_vec())));
        assert_eq!(buf.take_vec(ReadMode::All), Some(Some(Vec::new())));
        assert_eq!(buf.take_vec(ReadMode::Upto(5)), Some(None));
    }

    #[test]
    fn a_line_arriving_in_pieces_is_searched_once() {
        let mut buf = ReadBuffer::default();
        let line = ReadMode::Line { keep: false, crlf: false };
        for _ in 0..3 {
            buf.spare().extend_from_slice(b"abcd");
            assert_eq!(buf.take_vec(line), None);
            assert_eq!(buf.scanned.get(), buf.unread(), "the search remembers where it stopped");
        }
        buf.spare().extend_from_slice(b"\r\nnext");
        assert_eq!(buf.take_vec(line), Some(Some(b"abcdabcdabcd\r".to_vec())), "files keep the \\r");
        assert_eq!(buf.scanned.get(), 0);
    }

    #[test]
    fn exactly_zero_tests_for_the_end() {
        let mut buf = filled(b"", false);
        assert_eq!(buf.take_vec(ReadMode::Exactly(0)), None, "waits for a byte or the end");
        buf.spare().extend_from_slice(b"x");
        assert_eq!(buf.take_vec(ReadMode::Exactly(0)), Some(Some(Vec::new())));
        assert_eq!(buf.take_vec(ReadMode::All), None);
        buf.eof = true;
        assert_eq!(buf.take_vec(ReadMode::Exactly(1)), Some(Some(b"x".to_vec())));
        assert_eq!(buf.take_vec(ReadMode::Exactly(0)), Some(None));
    }
}
