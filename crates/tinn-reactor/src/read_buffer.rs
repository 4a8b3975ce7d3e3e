//! Bytes a stream (socket, pipe) received but the script has not read yet, and the read modes
//! that consume them: the one definition of `read(n | "l" | "L" | "a")` semantics.

/// How much a single read asks the kernel for.
pub const READ_CHUNK: usize = 64 * 1024;

/// What a `read` call wants.
#[derive(Debug, Clone, Copy)]
pub enum ReadMode {
    /// Up to n bytes, as soon as any are there.
    Upto(usize),
    /// Exactly n bytes (fewer only at end of stream).
    Exactly(usize),
    /// One line; `keep` keeps the `\n` (and a `\r` before it).
    Line {
        /// Keep the `\n` (and a `\r` before it).
        keep: bool,
    },
    /// Everything until the peer closes.
    All,
}

/// A byte buffer consumed from the front without moving the rest on every read.
#[derive(Default)]
pub struct ReadBuffer {
    bytes: Vec<u8>,
    start: usize,
    /// The peer has closed its side: no more bytes will come.
    pub eof: bool,
}

impl ReadMode {
    /// The mode a Lua wrapper names: `upto`/`exactly` with a count, `line`, `linekeep`, `all`.
    pub fn parse(kind: &str, count: Option<usize>) -> Result<ReadMode, String> {
        Ok(match (kind, count) {
            ("upto", Some(n)) => ReadMode::Upto(n),
            ("exactly", Some(n)) => ReadMode::Exactly(n),
            ("line", _) => ReadMode::Line { keep: false },
            ("linekeep", _) => ReadMode::Line { keep: true },
            ("all", _) => ReadMode::All,
            _ => return Err(format!("unknown read mode '{kind}'")),
        })
    }
}

impl ReadBuffer {
    fn pending(&self) -> &[u8] {
        &self.bytes[self.start..]
    }

    /// Hands `f` the first `len` pending bytes, then drops `consumed` (>= len) of them.
    fn consume<R>(&mut self, len: usize, consumed: usize, f: impl FnOnce(&[u8]) -> R) -> R {
        let result = f(&self.bytes[self.start..self.start + len]);
        self.start += consumed;
        if self.start == self.bytes.len() {
            self.bytes.clear();
            self.start = 0;
        }
        result
    }

    /// Free room at the end for the next socket read, compacting consumed bytes first.
    pub fn spare(&mut self) -> &mut Vec<u8> {
        if self.start > 0 && self.start * 2 >= self.bytes.len() {
            self.bytes.drain(..self.start);
            self.start = 0;
        }
        self.bytes.reserve(READ_CHUNK);
        &mut self.bytes
    }

    /// How many bytes `mode` returns and consumes now, or None when more must arrive first.
    /// At end of stream `(0, 0)` with nothing pending means "end", except for `All`.
    fn plan(&self, mode: ReadMode) -> Option<(usize, usize)> {
        let pending = self.pending();
        let available = pending.len();
        match mode {
            ReadMode::Upto(n) if available > 0 => return Some((available.min(n), available.min(n))),
            ReadMode::Exactly(n) if available >= n => return Some((n, n)),
            ReadMode::Line { keep } => {
                if let Some(newline) = pending.iter().position(|&b| b == b'\n') {
                    let mut len = newline + 1;
                    if !keep {
                        len = if newline > 0 && pending[newline - 1] == b'\r' { newline - 1 } else { newline };
                    }
                    return Some((len, newline + 1));
                }
            }
            _ => {}
        }
        // At end of stream what is left is handed over (a last line without `\n`, all of "a").
        self.eof.then_some((available, available))
    }

    /// Whether a read in `mode` can finish now.
    pub fn ready(&self, mode: ReadMode) -> bool {
        self.plan(mode).is_some()
    }

    /// The result `mode` can take now, passed through `f`: `Some(Some(f(bytes)))`, `Some(None)`
    /// at end of stream, or `None` when more bytes must arrive first. Reading everything from
    /// an ended stream gives "" like io.read.
    pub fn take<R>(&mut self, mode: ReadMode, f: impl FnOnce(&[u8]) -> R) -> Option<Option<R>> {
        let (len, consumed) = self.plan(mode)?;
        if consumed == 0 && !matches!(mode, ReadMode::All) {
            return Some(None);
        }
        Some(Some(self.consume(len, consumed, f)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled(data: &[u8], eof: bool) -> ReadBuffer {
        ReadBuffer { bytes: data.to_vec(), start: 0, eof }
    }

    impl ReadBuffer {
        fn take_vec(&mut self, mode: ReadMode) -> Option<Option<Vec<u8>>> {
            self.take(mode, <[u8]>::to_vec)
        }
    }

    #[test]
    fn lines_strip_crlf_and_keep_partial_until_eof() {
        let mut buf = filled(b"one\r\ntwo\nthr", false);
        assert_eq!(buf.take_vec(ReadMode::Line { keep: false }), Some(Some(b"one".to_vec())));
        assert_eq!(buf.take_vec(ReadMode::Line { keep: true }), Some(Some(b"two\n".to_vec())));
        assert_eq!(buf.take_vec(ReadMode::Line { keep: false }), None, "partial line waits");
        buf.eof = true;
        assert_eq!(buf.take_vec(ReadMode::Line { keep: false }), Some(Some(b"thr".to_vec())));
        assert_eq!(buf.take_vec(ReadMode::Line { keep: false }), Some(None));
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
}
