//! Bytes received but not yet handed to the script, and the read modes that consume them.

/// How much a single socket read asks the kernel for.
pub(crate) const READ_CHUNK: usize = 64 * 1024;

/// What a `read` call wants.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ReadMode {
    /// Up to n bytes, as soon as any are there.
    Upto(usize),
    /// Exactly n bytes (fewer only at end of stream).
    Exactly(usize),
    /// One line; `keep` keeps the `\n` (and a `\r` before it).
    Line { keep: bool },
    /// Everything until the peer closes.
    All,
}

/// A byte buffer consumed from the front without moving the rest on every read.
#[derive(Default)]
pub(crate) struct ReadBuffer {
    bytes: Vec<u8>,
    start: usize,
    /// The peer has closed its side: no more bytes will come.
    pub(crate) eof: bool,
}

impl ReadBuffer {
    fn pending(&self) -> &[u8] {
        &self.bytes[self.start..]
    }

    fn consume(&mut self, n: usize) -> Vec<u8> {
        let out = self.bytes[self.start..self.start + n].to_vec();
        self.start += n;
        if self.start == self.bytes.len() {
            self.bytes.clear();
            self.start = 0;
        }
        out
    }

    /// Free room at the end for the next socket read, compacting consumed bytes first.
    pub(crate) fn spare(&mut self) -> &mut Vec<u8> {
        if self.start > 0 && self.start * 2 >= self.bytes.len() {
            self.bytes.drain(..self.start);
            self.start = 0;
        }
        self.bytes.reserve(READ_CHUNK);
        &mut self.bytes
    }

    /// The result `mode` can take now: `Some(Some(bytes))`, `Some(None)` at end of stream, or
    /// `None` when more bytes must arrive first.
    pub(crate) fn take(&mut self, mode: ReadMode) -> Option<Option<Vec<u8>>> {
        let available = self.pending().len();
        let ready = match mode {
            ReadMode::Upto(n) if available > 0 => Some(available.min(n)),
            ReadMode::Exactly(n) if available >= n => Some(n),
            ReadMode::Line { keep } => match self.pending().iter().position(|&b| b == b'\n') {
                Some(newline) => {
                    let mut line = self.consume(newline + 1);
                    if !keep {
                        line.pop();
                        if line.last() == Some(&b'\r') {
                            line.pop();
                        }
                    }
                    return Some(Some(line));
                }
                None => None,
            },
            _ => None,
        };
        if let Some(n) = ready {
            return Some(Some(self.consume(n)));
        }
        if !self.eof {
            return None;
        }
        // At end of stream: hand over what is left (a last line without `\n`, all of "a"),
        // then report the end. Reading everything from an ended stream gives "" like io.read.
        match (available, mode) {
            (0, ReadMode::All) => Some(Some(Vec::new())),
            (0, _) => Some(None),
            (n, _) => Some(Some(self.consume(n))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled(data: &[u8], eof: bool) -> ReadBuffer {
        ReadBuffer { bytes: data.to_vec(), start: 0, eof }
    }

    #[test]
    fn lines_strip_crlf_and_keep_partial_until_eof() {
        let mut buf = filled(b"one\r\ntwo\nthr", false);
        assert_eq!(buf.take(ReadMode::Line { keep: false }), Some(Some(b"one".to_vec())));
        assert_eq!(buf.take(ReadMode::Line { keep: true }), Some(Some(b"two\n".to_vec())));
        assert_eq!(buf.take(ReadMode::Line { keep: false }), None, "partial line waits");
        buf.eof = true;
        assert_eq!(buf.take(ReadMode::Line { keep: false }), Some(Some(b"thr".to_vec())));
        assert_eq!(buf.take(ReadMode::Line { keep: false }), Some(None));
    }

    #[test]
    fn exactly_waits_for_all_bytes_and_all_waits_for_eof() {
        let mut buf = filled(b"abc", false);
        assert_eq!(buf.take(ReadMode::Exactly(4)), None);
        assert_eq!(buf.take(ReadMode::All), None);
        assert_eq!(buf.take(ReadMode::Upto(2)), Some(Some(b"ab".to_vec())));
        buf.eof = true;
        assert_eq!(buf.take(ReadMode::All), Some(Some(b"c".to_vec())));
        assert_eq!(buf.take(ReadMode::All), Some(Some(Vec::new())));
        assert_eq!(buf.take(ReadMode::Upto(5)), Some(None));
    }
}
