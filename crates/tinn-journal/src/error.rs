//! Errors of `tinn.journal`, worded as operation + quoted path + cause; scripts read their
//! Display text as the `err` of `nil, err` (see `tinn_reactor::ScriptError`).

use std::path::PathBuf;

/// A failed journal operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// An OS error on a file: `op` is `journal` (opening or making it), `write`, `sync` or
    /// `watch` (the watched tree).
    #[error("{op} '{}': {source}", path.display())]
    Io {
        /// What was being done.
        op: &'static str,
        /// The journal file, or the watched tree for `watch`.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A journal file in the first, line-per-event format.
    #[error("journal '{}': written by an older tinn (format 1); move it away to start a new journal", .0.display())]
    OldFormat(PathBuf),
    /// A file that is no journal.
    #[error("journal '{}': not a tinn journal file", .0.display())]
    NotAJournal(PathBuf),
    /// A journal of another tree.
    #[error("journal '{}': records '{}', not '{}'", file.display(), recorded.display(), root.display())]
    OtherRoot {
        /// The journal file.
        file: PathBuf,
        /// The tree it records.
        recorded: PathBuf,
        /// The tree asked for.
        root: PathBuf,
    },
    /// A torn tail that could not be cut off.
    #[error("journal '{}': cutting its torn tail: {source}", file.display())]
    CutTail {
        /// The journal file.
        file: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A usn older than the entries kept in memory (the file still has it).
    #[error("usn {usn} is no longer kept in memory (oldest is {oldest}); read '{}'", file.display())]
    Evicted {
        /// The usn asked for.
        usn: u64,
        /// The oldest kept.
        oldest: u64,
        /// The journal file.
        file: PathBuf,
    },
    /// A tree to watch that is missing or unreadable; `what` adds what failed (`inotify: `).
    #[error("ChangeJournal '{path}': {what}{source}")]
    Tree {
        /// The path as given.
        path: String,
        /// `""` or `"inotify: "`.
        what: &'static str,
        /// The OS error.
        source: std::io::Error,
    },
    /// A tree to watch that is a file.
    #[error("ChangeJournal '{0}': not a directory")]
    NotADirectory(String),
    /// The journal was closed.
    #[error("closed")]
    Closed,
}

impl JournalError {
    pub(crate) fn io(op: &'static str, path: &std::path::Path, source: std::io::Error) -> JournalError {
        JournalError::Io { op, path: path.to_path_buf(), source }
    }
}

tinn_reactor::script_error!(JournalError);
