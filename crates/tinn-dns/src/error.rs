//! Errors of `tinn.dns`. Where DESIGN.md fixes a string (`"timeout"`, `"NXDOMAIN"`, ...) the
//! Display text is exactly it, since scripts compare it; the rest name operation and subject.

use std::fmt;

use hickory_proto::op::ResponseCode;

/// A DNS lookup that did not produce an answer. Scripts see the Display text as the second value
/// of `nil, err`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DnsError {
    /// No valid answer arrived before the deadline.
    #[error("timeout")]
    Timeout,
    /// The name does not exist (RCODE 3).
    #[error("NXDOMAIN")]
    NxDomain,
    /// The server could not answer (RCODE 2).
    #[error("SERVFAIL")]
    ServFail,
    /// The server refused to answer (RCODE 5).
    #[error("REFUSED")]
    Refused,
    /// Any other error RCODE, by its mnemonic (`FORMERR`, `NOTIMP`, ...).
    #[error("{0}")]
    Rcode(String),
    /// Only unparseable answers arrived from the server before the deadline.
    #[error("malformed response")]
    Malformed,
    /// An OS-level failure while doing `op` on `subject`.
    #[error("{op} '{subject}': {message}")]
    Io {
        /// `bind`, `send`, `receive`, `connect`, `read`, `write`.
        op: &'static str,
        /// The address it was done to.
        subject: String,
        /// The OS error's text.
        message: String,
    },
    /// The name cannot be put in a DNS question.
    #[error("invalid domain name '{name}': {reason}")]
    BadName {
        /// The name as given.
        name: String,
        /// Why it was rejected.
        reason: String,
    },
    /// The resolver has no server to ask.
    #[error("no nameservers configured (see {0})")]
    NoNameservers(String),
    /// An argument that must be an IP address is not one.
    #[error("{expected}, got '{got}'")]
    NotAnAddress {
        /// What the argument must be (`server must be an IP address`).
        expected: &'static str,
        /// The text given.
        got: String,
    },
    /// `recordType` got neither a known mnemonic nor a number 0-65535 (quoted when a string).
    #[error("unknown record type {0}")]
    UnknownRecordType(String),
}

tinn_reactor::script_error!(DnsError);

impl DnsError {
    pub(crate) fn io(op: &'static str, subject: impl fmt::Display, source: std::io::Error) -> DnsError {
        DnsError::Io { op, subject: subject.to_string(), message: source.to_string() }
    }

    /// The error an answer's RCODE stands for; `None` for NOERROR.
    pub(crate) fn from_rcode(code: ResponseCode) -> Option<DnsError> {
        match code {
            ResponseCode::NoError => None,
            ResponseCode::NXDomain => Some(DnsError::NxDomain),
            ResponseCode::ServFail => Some(DnsError::ServFail),
            ResponseCode::Refused => Some(DnsError::Refused),
            other => Some(DnsError::Rcode(rcode_name(other))),
        }
    }
}

/// The mnemonic dig prints for an RCODE (`NOERROR`, `FORMERR`, ...), or `RCODE<n>`.
pub(crate) fn rcode_name(code: ResponseCode) -> String {
    let name = match code {
        ResponseCode::NoError => "NOERROR",
        ResponseCode::FormErr => "FORMERR",
        ResponseCode::ServFail => "SERVFAIL",
        ResponseCode::NXDomain => "NXDOMAIN",
        ResponseCode::NotImp => "NOTIMP",
        ResponseCode::Refused => "REFUSED",
        ResponseCode::YXDomain => "YXDOMAIN",
        ResponseCode::YXRRSet => "YXRRSET",
        ResponseCode::NXRRSet => "NXRRSET",
        ResponseCode::NotAuth => "NOTAUTH",
        ResponseCode::NotZone => "NOTZONE",
        ResponseCode::BADVERS => "BADVERS",
        other => return format!("RCODE{}", u16::from(other)),
    };
    name.to_string()
}
