//! Failures of the SQLite driver, worded as operation + cause + the engine's code:
//! `query: no such table: t (SQLITE_ERROR)`.

use rusqlite::ffi;

/// Everything that can go wrong between a script and SQLite.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SqliteError {
    /// SQLite refused the operation.
    #[error("{op}: {message} ({code})")]
    Engine {
        /// The db method: `query`, `run`, `exec`, `prepare`.
        op: &'static str,
        /// SQLite's message.
        message: String,
        /// SQLite's result code by name: `SQLITE_ERROR`, `SQLITE_CONSTRAINT_UNIQUE`.
        code: &'static str,
    },
    /// The database could not be opened.
    #[error("open '{path}': {message} ({code})")]
    Open {
        /// The database path as given.
        path: String,
        /// SQLite's message.
        message: String,
        /// SQLite's result code by name.
        code: &'static str,
    },
    /// The statement has a different number of placeholders than values were given.
    #[error("{op}: the statement has {wanted} parameter(s), got {got} value(s) (SQLITE_RANGE)")]
    ParameterCount {
        /// The db method.
        op: &'static str,
        /// Placeholders in the SQL.
        wanted: usize,
        /// Values passed.
        got: usize,
    },
    /// A row of `runMany` failed; nothing of the call was applied.
    #[error("{op}: row {row}: {message} ({code})")]
    Row {
        /// The db method.
        op: &'static str,
        /// The failing row, from 1.
        row: usize,
        /// SQLite's message, or ours.
        message: String,
        /// SQLite's result code by name.
        code: &'static str,
    },
    /// The connection was closed (or its thread is gone).
    #[error("closed")]
    Closed,
    /// SQL text that is not UTF-8.
    #[error("{op}: SQL text is not valid UTF-8 (SQLITE_MISUSE)")]
    NotUtf8 {
        /// The method.
        op: &'static str,
    },
    /// A parameter array whose `n` is not a number.
    #[error("{op}: parameter count is not a number")]
    ParamCount {
        /// The method.
        op: &'static str,
    },
    /// An `int64` parameter outside SQLite's integers.
    #[error("{op}: parameter {index} ({digits}) is beyond SQLite's 64-bit signed integers")]
    ParamRange {
        /// The method.
        op: &'static str,
        /// Which parameter, from 1.
        index: usize,
        /// Its digits.
        digits: String,
    },
    /// A tagged parameter of a type tinn.sql does not make.
    #[error("{op}: parameter {index} has unknown type '{kind}'")]
    ParamTag {
        /// The method.
        op: &'static str,
        /// Which parameter, from 1.
        index: usize,
        /// The tag.
        kind: String,
    },
    /// A parameter of a Lua type SQLite cannot hold.
    #[error("{op}: cannot bind parameter {index} of type {type_name}")]
    Unbindable {
        /// The method.
        op: &'static str,
        /// Which parameter, from 1.
        index: usize,
        /// Its Lua type.
        type_name: &'static str,
    },
    /// A `runMany` row that is not a table.
    #[error("runMany: row {0} is not a table")]
    RowNotTable(usize),
    /// Reading a parameter table failed in Lua (a non-string tag...): mlua's message, as text
    /// because the error crosses to the connection's thread and mlua's is not `Send`.
    #[error("{0}")]
    Lua(String),
}

impl From<mlua::Error> for SqliteError {
    fn from(err: mlua::Error) -> SqliteError {
        SqliteError::Lua(err.to_string())
    }
}

tinn_reactor::script_error!(SqliteError);

impl SqliteError {
    pub(crate) fn engine(op: &'static str, err: rusqlite::Error) -> SqliteError {
        let (message, code) = describe(err);
        SqliteError::Engine { op, message, code }
    }

    /// The same failure, said of row `row` of a `runMany`.
    pub(crate) fn in_row(self, row: usize) -> SqliteError {
        match self {
            SqliteError::Engine { op, message, code } => SqliteError::Row { op, row, message, code },
            SqliteError::ParameterCount { op, wanted, got } => SqliteError::Row {
                op,
                row,
                message: format!("the statement has {wanted} parameter(s), got {got} value(s)"),
                code: "SQLITE_RANGE",
            },
            other => other,
        }
    }

    pub(crate) fn open(path: String, err: rusqlite::Error) -> SqliteError {
        let (message, code) = describe(err);
        SqliteError::Open { path, message, code }
    }
}

fn describe(err: rusqlite::Error) -> (String, &'static str) {
    match err {
        rusqlite::Error::SqliteFailure(failure, message) => {
            let text = message.unwrap_or_else(|| failure.to_string());
            (text, code_name(failure.extended_code))
        }
        rusqlite::Error::SqlInputError { error, msg, .. } => (msg, code_name(error.extended_code)),
        rusqlite::Error::Utf8Error(_) | rusqlite::Error::NulError(_) => (err.to_string(), "SQLITE_MISUSE"),
        other => (other.to_string(), "SQLITE_ERROR"),
    }
}

/// SQLite's name for a result code: the extended name where scripts often tell them apart
/// (which constraint failed, a busy snapshot), else the primary one.
fn code_name(extended: i32) -> &'static str {
    match extended {
        ffi::SQLITE_CONSTRAINT_UNIQUE => return "SQLITE_CONSTRAINT_UNIQUE",
        ffi::SQLITE_CONSTRAINT_PRIMARYKEY => return "SQLITE_CONSTRAINT_PRIMARYKEY",
        ffi::SQLITE_CONSTRAINT_NOTNULL => return "SQLITE_CONSTRAINT_NOTNULL",
        ffi::SQLITE_CONSTRAINT_FOREIGNKEY => return "SQLITE_CONSTRAINT_FOREIGNKEY",
        ffi::SQLITE_CONSTRAINT_CHECK => return "SQLITE_CONSTRAINT_CHECK",
        ffi::SQLITE_BUSY_SNAPSHOT => return "SQLITE_BUSY_SNAPSHOT",
        _ => {}
    }
    match extended & 0xff {
        ffi::SQLITE_INTERNAL => "SQLITE_INTERNAL",
        ffi::SQLITE_PERM => "SQLITE_PERM",
        ffi::SQLITE_ABORT => "SQLITE_ABORT",
        ffi::SQLITE_BUSY => "SQLITE_BUSY",
        ffi::SQLITE_LOCKED => "SQLITE_LOCKED",
        ffi::SQLITE_NOMEM => "SQLITE_NOMEM",
        ffi::SQLITE_READONLY => "SQLITE_READONLY",
        ffi::SQLITE_INTERRUPT => "SQLITE_INTERRUPT",
        ffi::SQLITE_IOERR => "SQLITE_IOERR",
        ffi::SQLITE_CORRUPT => "SQLITE_CORRUPT",
        ffi::SQLITE_FULL => "SQLITE_FULL",
        ffi::SQLITE_CANTOPEN => "SQLITE_CANTOPEN",
        ffi::SQLITE_PROTOCOL => "SQLITE_PROTOCOL",
        ffi::SQLITE_SCHEMA => "SQLITE_SCHEMA",
        ffi::SQLITE_TOOBIG => "SQLITE_TOOBIG",
        ffi::SQLITE_CONSTRAINT => "SQLITE_CONSTRAINT",
        ffi::SQLITE_MISMATCH => "SQLITE_MISMATCH",
        ffi::SQLITE_MISUSE => "SQLITE_MISUSE",
        ffi::SQLITE_AUTH => "SQLITE_AUTH",
        ffi::SQLITE_RANGE => "SQLITE_RANGE",
        ffi::SQLITE_NOTADB => "SQLITE_NOTADB",
        _ => "SQLITE_ERROR",
    }
}
