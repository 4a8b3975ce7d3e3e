//! Errors of `tinn.pg`: the operation, then the server's message and SQLSTATE, as scripts see
//! them in `nil, err` (`query: relation "t" does not exist (42P01)`). A URL in a message never
//! carries its password.

use std::error::Error as StdError;

use crate::value::ParamError;

/// A failed `tinn.pg` operation; its Display text is the message scripts get.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PgError {
    /// Opening a connection failed.
    #[error("connect '{url}': {message}")]
    Connect {
        /// The URL without its password.
        url: String,
        /// What went wrong (server message and SQLSTATE, or the OS error).
        message: String,
    },
    /// A call on an open connection failed.
    #[error("{op}: {message}")]
    Op {
        /// `query`, `run`, `exec`, `copyIn`, `listen`, ...
        op: &'static str,
        /// What went wrong.
        message: String,
    },
    /// The database object was closed.
    #[error("closed")]
    Closed,
    /// A column value the server sent that does not decode as its type says.
    #[error("bad {ty} value from the server: {source}")]
    BadValue {
        /// The type's name (`int4`, `array`).
        ty: String,
        /// The decoder's complaint.
        source: Box<dyn StdError + Send + Sync>,
    },
    /// A column of a type tinn.pg has no Lua form for.
    #[error("tinn.pg does not convert type {0}; cast the column to text (col::text)")]
    Unconvertible(String),
    /// A column value that could not be handed to Lua.
    #[error("column '{column}': {message}")]
    Column {
        /// The column's name.
        column: String,
        /// Why (a [`PgError::BadValue`] or [`PgError::Unconvertible`] text).
        message: String,
    },
}

tinn_reactor::script_error!(PgError);

impl PgError {
    pub(crate) fn op(op: &'static str, message: impl Into<String>) -> PgError {
        PgError::Op { op, message: message.into() }
    }

    /// `op` could not get a connection: closed stays `closed`, anything else is named by `op`.
    pub(crate) fn during(self, op: &'static str) -> PgError {
        match self {
            PgError::Closed => PgError::Closed,
            other => PgError::op(op, other.to_string()),
        }
    }

    /// A column value of type `ty` (its name) that does not decode.
    pub(crate) fn bad_value(ty: &str) -> impl Fn(Box<dyn StdError + Send + Sync>) -> mlua::Error + Copy + '_ {
        move |source| mlua::Error::external(PgError::BadValue { ty: ty.to_string(), source })
    }

    /// `op` failed with `error`; `lost` says the connection died with it (the pool replaces it).
    pub(crate) fn from_postgres(op: &'static str, error: &tokio_postgres::Error, lost: bool) -> PgError {
        let mut message = describe(error);
        if lost && message == CONNECTION_LOST {
            message.push_str("; the pool opens a new one for the next call");
        } else if lost {
            message.push_str(" (connection lost; the pool opens a new one for the next call)");
        }
        PgError::Op { op, message }
    }
}

/// What a call on a connection that closed under it says.
const CONNECTION_LOST: &str = "connection to the server was lost";

/// A tokio-postgres error as one sentence: the server's message and SQLSTATE when the server
/// answered, our own parameter message, else the chain of causes.
pub(crate) fn describe(error: &tokio_postgres::Error) -> String {
    if let Some(db) = error.as_db_error() {
        let mut text = format!("{} ({})", db.message(), db.code().code());
        if let Some(detail) = db.detail() {
            text.push_str(": ");
            text.push_str(detail);
        }
        return text;
    }
    let mut cause: Option<&(dyn StdError + 'static)> = error.source();
    while let Some(inner) = cause {
        if let Some(param) = inner.downcast_ref::<ParamError>() {
            return param.0.clone();
        }
        cause = inner.source();
    }
    if error.is_closed() {
        return CONNECTION_LOST.to_string();
    }
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        let next = inner.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        cause = inner.source();
    }
    text
}
