//! Errors of `tinn.http`, worded as operation + quoted subject + cause; scripts read their
//! Display text as the `err` of `nil, err` (see `tinn_reactor::ScriptError`).

use tokio_tungstenite::tungstenite;

/// A failed HTTP operation: a client request or WebSocket, a server's TLS certificates, a
/// static folder.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// A method name hyper refuses (`GE T`).
    #[error("invalid HTTP method '{0}'")]
    InvalidMethod(String),
    /// A URL that does not parse.
    #[error("invalid URL '{url}': {source}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// Why it does not parse.
        source: url::ParseError,
    },
    /// A URL whose scheme this client does not speak; `op` is `request` or `websocket`.
    #[error("{op} '{url}': unsupported scheme '{scheme}' (use {expected})")]
    UnsupportedScheme {
        /// `request` or `websocket`.
        op: &'static str,
        /// The URL as given.
        url: String,
        /// Its scheme.
        scheme: String,
        /// The schemes that work.
        expected: &'static str,
    },
    /// A request that failed on the way (refused, reset, bad response, ...).
    #[error("request '{url}': {reason}")]
    Request {
        /// The URL requested (after redirects).
        url: String,
        /// The innermost cause.
        reason: String,
    },
    /// A redirect whose `location` does not make a URL.
    #[error("request '{url}': bad redirect '{location}': {source}")]
    BadRedirect {
        /// The URL that redirected.
        url: String,
        /// Its `location` header.
        location: String,
        /// Why it is no URL.
        source: url::ParseError,
    },
    /// A redirect chain longer than the client follows.
    #[error("request '{url}': more than {limit} redirects")]
    TooManyRedirects {
        /// The last URL.
        url: String,
        /// How many are followed.
        limit: usize,
    },
    /// A compressed body (gzip, br) that does not decode.
    #[error("{coding} body: {source}")]
    Decode {
        /// The content coding's name.
        coding: &'static str,
        /// What the decoder said.
        source: std::io::Error,
    },
    /// A compressed body that decodes to more than the limit.
    #[error("{coding} body: larger than {limit} bytes once decoded")]
    DecodedTooLarge {
        /// The content coding's name.
        coding: &'static str,
        /// The most bytes a decoded body may have.
        limit: u64,
    },
    /// A WebSocket connect or handshake that failed.
    #[error("websocket '{url}': {reason}")]
    WebSocket {
        /// The ws:// or wss:// URL.
        url: String,
        /// What failed (`connect: ...`, the TLS or WebSocket handshake's error).
        reason: String,
    },
    /// A message the WebSocket could not send.
    #[error("websocket send: {0}")]
    WebSocketSend(Box<tungstenite::Error>),
    /// A text message that is not UTF-8.
    #[error("websocket send: a text message must be valid UTF-8 (send {{binary = ...}} instead)")]
    NotUtf8,
    /// A server certificate or key file that cannot be read; `what` is `cert` or `key`.
    #[error("tls {what}: read '{path}': {source}")]
    TlsRead {
        /// `cert` or `key`.
        what: &'static str,
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// A certificate, key or pair rustls refuses; `subject` names the entry (its path or
    /// `(PEM text)`).
    #[error("tls {subject}: {reason}")]
    Tls {
        /// `cert '<path>'`, `key (PEM text)`, ...
        subject: String,
        /// Why.
        reason: String,
    },
    /// A key that is not the certificate's (both named by path or `(PEM text)`).
    #[error("tls key does not match certificate (key {key}, cert {cert})")]
    KeyMismatch {
        /// The key's path or `(PEM text)`.
        key: String,
        /// The certificate's.
        cert: String,
    },
    /// rustls refused the server's protocol versions (a bug in tinn, not in the script).
    #[error("tls: {0}")]
    TlsConfig(rustls::Error),
    /// The `tls` option with no entry.
    #[error("tls: no certificate given")]
    NoCertificate,
    /// The client's trusted roots (`ca`).
    #[error(transparent)]
    ClientTls(#[from] tinn_tls::TlsError),
    /// A static folder that is missing or no folder.
    #[error("'{dir}': {source}")]
    StaticRoot {
        /// The folder as given.
        dir: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// A static folder path that names a file.
    #[error("'{0}' is not a directory")]
    NotADirectory(String),
    /// The WebSocket (or server) was closed before or while the operation ran.
    #[error("closed")]
    Closed,
    /// A listen address that could not be bound (in use, not local, no permission).
    #[error(transparent)]
    Listen(#[from] tinn_net::NetError),
    /// A bound listener whose address the OS would not tell.
    #[error("listen '{addr}': {source}")]
    ListenAddress {
        /// The address bound.
        addr: std::net::SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// A headers table with a key or value that is not a string.
    #[error("headers must map strings to strings: {0}")]
    HeadersNotStrings(String),
    /// A header name HTTP does not allow.
    #[error("invalid header name '{0}'")]
    InvalidHeaderName(String),
    /// A header value HTTP does not allow (a newline, a control byte).
    #[error("invalid value for header '{0}'")]
    InvalidHeaderValue(String),
    /// A response status outside 100..=999.
    #[error("invalid status code {0}")]
    InvalidStatus(i64),
    /// A handler answered a request twice.
    #[error("the response was already sent")]
    AlreadySent,
    /// A request used after its handler ended (a `req`/`res` kept by another task).
    #[error("the request is over (its handler has returned)")]
    RequestOver,
    /// `res:write` before `res:start`.
    #[error("no streamed response was started")]
    NoStream,
    /// Two tasks reading one request's body.
    #[error("the request body is being read by another task")]
    BodyBusy,
    /// The client sent nothing of the body for `bodyTimeoutMs`.
    #[error("timeout")]
    BodyTimeout,
    /// The client failed while sending the body (reset, bad chunk framing).
    #[error("read request body: {0}")]
    ReadBody(hyper::Error),
    /// A body larger than `req:read`'s limit.
    #[error("request body larger than {0} bytes")]
    BodyTooLarge(usize),
    /// `res:upgrade()` on a request that cannot become a WebSocket; the text says why.
    #[error("{0}")]
    NotUpgradable(&'static str),
    /// hyper could not hand over the upgraded connection.
    #[error("websocket upgrade: {0}")]
    Upgrade(hyper::Error),
}

tinn_reactor::script_error!(HttpError);
