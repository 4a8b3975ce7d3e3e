//! Connections and the pool. Each connection's protocol driver is a task on the thread's
//! `LocalSet` (not a reactor operation, so idle connections do not keep a script alive); queries
//! are reactor operations that lease a connection for their duration. Leases are granted in
//! call order (a FIFO semaphore); connections open lazily up to the pool size, and one found
//! dead is dropped, so the next lease opens a fresh one.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_postgres::config::SslMode;
use tokio_postgres::{AsyncMessage, Client, Config, NoTls, Statement};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::error::{describe, PgError};

/// Prepared statements kept per connection; beyond this the cache starts over.
const STATEMENT_CACHE_SIZE: usize = 256;

/// How a connection is secured.
#[derive(Clone)]
pub(crate) enum Tls {
    Off,
    Rustls(MakeRustlsConnect),
}

/// Where and how to connect; shared by the pool and the LISTEN connection.
pub(crate) struct Target {
    pub(crate) config: Config,
    pub(crate) tls: Tls,
    /// The URL without its password, for messages.
    pub(crate) display: String,
}

/// The URL as messages show it: no password, no `password=` parameter.
pub(crate) fn redact(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else { return "<unparsable URL>".to_string() };
    if parsed.password().is_some() {
        let _ = parsed.set_password(None);
    }
    let pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .filter(|(k, _)| k != "password")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if pairs.is_empty() {
        parsed.set_query(None);
    } else {
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.to_string()
}

impl Target {
    /// Parses a `postgres://` URL. TLS is used when `sslmode` is `require`, `verify-ca` or
    /// `verify-full`, or when a `ca` is given; it always verifies the server's certificate
    /// (against the system's roots plus `ca`), as `verify-full` does. `prefer` and `allow` are
    /// taken as `disable`: a connection that may silently go unencrypted is not offered.
    pub(crate) fn parse(url: &str, ca: Option<&str>, connect_timeout_ms: Option<u64>) -> Result<Target, PgError> {
        let display = redact(url);
        let fail = |message: String| PgError::Connect { url: display.clone(), message };
        let mut parsed = url::Url::parse(url).map_err(|e| fail(format!("not a URL: {e}")))?;
        let mut wants_tls = ca.is_some();
        let mut kept = Vec::new();
        for (key, value) in parsed.query_pairs() {
            if key == "sslmode" {
                match &*value {
                    "require" | "verify-ca" | "verify-full" => wants_tls = true,
                    "disable" | "allow" | "prefer" => {}
                    other => return Err(fail(format!("unknown sslmode '{other}'"))),
                }
            } else {
                kept.push((key.into_owned(), value.into_owned()));
            }
        }
        if kept.is_empty() {
            parsed.set_query(None);
        } else {
            parsed.query_pairs_mut().clear().extend_pairs(kept);
        }
        let mut config: Config = parsed.as_str().parse().map_err(|e| fail(describe(&e)))?;
        if config.get_dbname().is_none() {
            if let Some(user) = config.get_user().map(str::to_string) {
                config.dbname(user);
            }
        }
        if config.get_application_name().is_none() {
            config.application_name("tinn");
        }
        if let Some(ms) = connect_timeout_ms {
            config.connect_timeout(std::time::Duration::from_millis(ms));
        }
        let tls = if wants_tls {
            config.ssl_mode(SslMode::Require);
            Tls::Rustls(MakeRustlsConnect::new(tinn_tls::client_config(ca).map_err(|e| fail(e.to_string()))?))
        } else {
            config.ssl_mode(SslMode::Disable);
            Tls::Off
        };
        Ok(Target { config, tls, display })
    }

    /// Opens one connection; its driver runs as a local task, handing notifications (LISTEN)
    /// to `notifications` when given.
    pub(crate) async fn connect(
        &self,
        notifications: Option<tokio::sync::mpsc::UnboundedSender<Note>>,
    ) -> Result<Client, PgError> {
        let fail = |e: tokio_postgres::Error| PgError::Connect { url: self.display.clone(), message: describe(&e) };
        match &self.tls {
            Tls::Off => {
                let (client, connection) = self.config.connect(NoTls).await.map_err(fail)?;
                tokio::task::spawn_local(drive(connection, notifications));
                Ok(client)
            }
            Tls::Rustls(tls) => {
                let (client, connection) = self.config.connect(tls.clone()).await.map_err(fail)?;
                tokio::task::spawn_local(drive(connection, notifications));
                Ok(client)
            }
        }
    }
}

/// Runs a connection's protocol until it closes, passing on notifications.
async fn drive<S, T>(
    mut connection: tokio_postgres::Connection<S, T>,
    notifications: Option<tokio::sync::mpsc::UnboundedSender<Note>>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    while let Some(message) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
        match message {
            Ok(AsyncMessage::Notification(note)) => {
                if let Some(sender) = &notifications {
                    let _ = sender.send(Note::Notification(note.channel().to_string(), note.payload().to_string()));
                }
            }
            Ok(_) => {} // notices (e.g. "table does not exist, skipping") are not the script's concern
            Err(_) => break, // the client sees the failure as its next call's error
        }
    }
    if let Some(sender) = &notifications {
        let _ = sender.send(Note::Lost);
    }
}

/// What a LISTEN connection reports.
pub(crate) enum Note {
    /// NOTIFY on `channel` with `payload`.
    Notification(String, String),
    /// The connection ended.
    Lost,
}


/// One open connection and the statements prepared on it.
pub(crate) struct Conn {
    pub(crate) client: Client,
    statements: RefCell<HashMap<String, Statement>>,
}

impl Conn {
    fn new(client: Client) -> Conn {
        Conn { client, statements: RefCell::new(HashMap::new()) }
    }

    /// Drops every cached statement (after a schema change made one stale).
    pub(crate) fn forget_statements(&self) {
        self.statements.borrow_mut().clear();
    }

    /// The prepared statement for `sql`, preparing it on first use.
    pub(crate) async fn statement(&self, sql: &str) -> Result<Statement, tokio_postgres::Error> {
        if let Some(statement) = self.statements.borrow().get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql).await?;
        let mut cache = self.statements.borrow_mut();
        if cache.len() >= STATEMENT_CACHE_SIZE {
            cache.clear();
        }
        cache.insert(sql.to_string(), statement.clone());
        Ok(statement)
    }
}

/// Up to `size` connections to one target, leased one call (or one transaction) at a time.
pub(crate) struct Pool {
    pub(crate) target: Target,
    permits: Arc<Semaphore>,
    idle: RefCell<Vec<Rc<Conn>>>,
    closed: Cell<bool>,
}

/// A connection leased from the pool; back to the pool when dropped, unless it is dead, the
/// pool is closed, or the lease was not ended cleanly (a transaction left open).
pub(crate) struct Lease {
    pool: Rc<Pool>,
    conn: Rc<Conn>,
    pub(crate) reusable: Cell<bool>,
    _permit: OwnedSemaphorePermit,
}

impl Pool {
    pub(crate) fn new(target: Target, size: usize) -> Rc<Pool> {
        Rc::new(Pool { target, permits: Arc::new(Semaphore::new(size)), idle: RefCell::new(Vec::new()), closed: Cell::new(false) })
    }

    /// Waits for a free slot (in call order), then hands out an idle connection or opens one.
    pub(crate) async fn lease(self: &Rc<Pool>) -> Result<Lease, PgError> {
        let permit = Arc::clone(&self.permits).acquire_owned().await.map_err(|_| PgError::Closed)?;
        let idle = loop {
            let next = self.idle.borrow_mut().pop();
            match next {
                Some(conn) if conn.client.is_closed() => continue, // died while idle: replace it
                other => break other,
            }
        };
        let conn = match idle {
            Some(conn) => conn,
            None => Rc::new(Conn::new(self.target.connect(None).await?)),
        };
        Ok(Lease { pool: Rc::clone(self), conn, reusable: Cell::new(true), _permit: permit })
    }

    /// Opens the first connection now, so `open` reports a bad URL or password at once.
    pub(crate) async fn warm(self: &Rc<Pool>) -> Result<(), PgError> {
        self.lease().await.map(drop)
    }

    /// Drops idle connections and fails every waiting and later lease with "closed".
    pub(crate) fn close(&self) {
        self.closed.set(true);
        self.permits.close();
        self.idle.borrow_mut().clear();
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.get()
    }
}

impl Lease {
    pub(crate) fn conn(&self) -> &Conn {
        &self.conn
    }

    pub(crate) fn tls(&self) -> Tls {
        self.pool.target.tls.clone()
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if self.reusable.get() && !self.pool.closed.get() && !self.conn.client.is_closed() {
            self.pool.idle.borrow_mut().push(Rc::clone(&self.conn));
        }
    }
}
