//! One DNS exchange with one server: a query over UDP from a fresh socket on a random port,
//! retransmitted with backoff until a valid answer or the deadline, and asked again over TCP
//! when the answer comes back truncated. Datagrams from another address, with another
//! transaction id or about another question are dropped and counted; the wait goes on.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::rc::Rc;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use hickory_proto::op::{Message, ResponseCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::Semaphore;

use crate::error::DnsError;
use crate::wire::{build_query, check_answer, Flags, Question, Verdict};

/// Receive buffer for UDP answers. Servers that honour EDNS send at most 1232 bytes and those
/// that do not at most 512; a datagram that fills the buffer is treated as truncated.
const UDP_BUFFER: usize = 4096;

/// At most this many queries to one server are in flight at once from one thread; the rest
/// wait their turn (within their deadline). A burst of a thousand datagrams overflows a local
/// server's receive buffer (dnsmasq's drops past ~250 on Linux defaults), and every drop costs
/// a retransmission window; queueing here costs a round trip per 128 queries.
const MAX_IN_FLIGHT: usize = 128;
/// Past this many servers, idle entries of the in-flight table are dropped.
const MAX_TRACKED_SERVERS: usize = 1024;

/// How many random ports to try before letting the kernel choose one.
const PORT_TRIES: usize = 16;

/// The kernel's default ephemeral port range, used when /proc does not say.
const DEFAULT_PORT_RANGE: (u16, u16) = (32768, 60999);

/// No wait is longer than this, however large the timeout a script passes (tokio's timer wheel
/// and `Instant` arithmetic stay far from their limits).
pub(crate) const MAX_WAIT: Duration = Duration::from_secs(24 * 3600);

/// Counters a name server (or resolver) keeps over its life; `ns:stats()` shows them.
#[derive(Default)]
pub(crate) struct Stats {
    pub(crate) queries: Cell<u64>,
    pub(crate) answers: Cell<u64>,
    pub(crate) timeouts: Cell<u64>,
    pub(crate) errors: Cell<u64>,
    pub(crate) retransmits: Cell<u64>,
    pub(crate) truncated: Cell<u64>,
    pub(crate) tcp: Cell<u64>,
    pub(crate) wrong_id: Cell<u64>,
    pub(crate) wrong_source: Cell<u64>,
    pub(crate) wrong_question: Cell<u64>,
    pub(crate) malformed: Cell<u64>,
}

fn bump(counter: &Cell<u64>) {
    counter.set(counter.get().saturating_add(1));
}

impl Stats {
    /// `(name, value)` pairs in a fixed order, for the Lua table.
    pub(crate) fn entries(&self) -> [(&'static str, u64); 12] {
        let dropped = [&self.wrong_id, &self.wrong_source, &self.wrong_question, &self.malformed]
            .iter()
            .fold(0u64, |sum, counter| sum.saturating_add(counter.get()));
        [
            ("queries", self.queries.get()),
            ("answers", self.answers.get()),
            ("timeouts", self.timeouts.get()),
            ("errors", self.errors.get()),
            ("retransmits", self.retransmits.get()),
            ("truncated", self.truncated.get()),
            ("tcp", self.tcp.get()),
            ("dropped", dropped),
            ("wrongId", self.wrong_id.get()),
            ("wrongSource", self.wrong_source.get()),
            ("wrongQuestion", self.wrong_question.get()),
            ("malformed", self.malformed.get()),
        ]
    }
}

/// When to send and how long to wait.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Plan {
    /// How long to wait after the first send before sending again; doubles after each send.
    pub(crate) first_window: Duration,
    /// At most this many UDP sends.
    pub(crate) max_sends: u32,
    /// Give up at this instant.
    pub(crate) deadline: Instant,
    /// Skip UDP and ask over TCP at once.
    pub(crate) tcp: bool,
}

/// A valid answer to our question (any RCODE).
pub(crate) struct Answer {
    pub(crate) message: Message,
    pub(crate) server: SocketAddr,
    pub(crate) tcp: bool,
    pub(crate) elapsed: Duration,
}

/// `now + wait`, capped at [`MAX_WAIT`] from now.
pub(crate) fn deadline_after(wait: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(wait.min(MAX_WAIT)).unwrap_or(now)
}

thread_local! {
    static IN_FLIGHT: RefCell<HashMap<SocketAddr, Rc<Semaphore>>> = RefCell::new(HashMap::new());
}

/// The limit on queries in flight to `server` from this thread (one Lua state).
fn in_flight_limit(server: SocketAddr) -> Rc<Semaphore> {
    IN_FLIGHT.with(|map| {
        let mut map = map.borrow_mut();
        if map.len() > MAX_TRACKED_SERVERS {
            // forget idle servers, so a script that asks many servers does not grow this forever
            map.retain(|_, limit| limit.available_permits() < MAX_IN_FLIGHT);
        }
        Rc::clone(map.entry(server).or_insert_with(|| Rc::new(Semaphore::new(MAX_IN_FLIGHT))))
    })
}

/// Asks `server` the `question` under `plan`, counting what happens in `stats`.
pub(crate) async fn exchange(
    server: SocketAddr,
    question: &Question,
    flags: Flags,
    plan: Plan,
    stats: &Stats,
) -> Result<Answer, DnsError> {
    bump(&stats.queries);
    let started = Instant::now();
    let limit = in_flight_limit(server);
    let result = match tokio::time::timeout_at(plan.deadline.into(), limit.acquire()).await {
        Err(_elapsed) => Err(DnsError::Timeout),
        // The semaphore is never closed.
        Ok(Err(_closed)) => Err(DnsError::Timeout),
        Ok(Ok(_permit)) if plan.tcp => over_tcp(server, question, flags, plan.deadline, stats).await,
        Ok(Ok(_permit)) => over_udp(server, question, flags, plan, stats).await,
    };
    match &result {
        Ok(_) => bump(&stats.answers),
        Err(DnsError::Timeout) => bump(&stats.timeouts),
        Err(_) => bump(&stats.errors),
    }
    result.map(|(message, tcp)| Answer { message, server, tcp, elapsed: started.elapsed() })
}

/// The same host and port (an IPv4-mapped IPv6 source counts as its IPv4 address).
fn same_endpoint(from: SocketAddr, server: SocketAddr) -> bool {
    from.port() == server.port() && from.ip().to_canonical() == server.ip().to_canonical()
}

async fn over_udp(
    server: SocketAddr,
    question: &Question,
    mut flags: Flags,
    plan: Plan,
    stats: &Stats,
) -> Result<(Message, bool), DnsError> {
    let socket = bind_random(server)?;
    let id = rand::random::<u16>();
    let mut packet = build_query(id, question, flags)?;
    let mut buffer = vec![0u8; UDP_BUFFER];
    let mut window = plan.first_window;
    let mut sends = 0u32;
    let mut malformed = false;
    'send: loop {
        socket.send_to(&packet, server).await.map_err(|e| DnsError::io("send", server, e))?;
        sends += 1;
        let now = Instant::now();
        let wait_until = now.checked_add(window).unwrap_or(plan.deadline).min(plan.deadline);
        loop {
            let received = tokio::time::timeout_at(wait_until.into(), socket.recv_from(&mut buffer)).await;
            let (n, from) = match received {
                Err(_elapsed) => break,
                // ICMP errors of earlier datagrams surface here on some systems: not fatal.
                Ok(Err(e)) if matches!(e.kind(), ErrorKind::ConnectionRefused | ErrorKind::ConnectionReset) => continue,
                Ok(Err(e)) => return Err(DnsError::io("receive", server, e)),
                Ok(Ok(got)) => got,
            };
            if !same_endpoint(from, server) {
                bump(&stats.wrong_source);
                continue;
            }
            let Some(bytes) = buffer.get(..n) else { continue };
            match check_answer(bytes, id, question) {
                Verdict::Answer(message) => {
                    // A server that does not know EDNS may answer FORMERR without an OPT record:
                    // ask it again the old way.
                    if message.metadata.response_code == ResponseCode::FormErr && flags.edns && message.edns.is_none() {
                        flags.edns = false;
                        packet = build_query(id, question, flags)?;
                        continue 'send;
                    }
                    return Ok((*message, false));
                }
                Verdict::Truncated => {
                    bump(&stats.truncated);
                    return over_tcp(server, question, flags, plan.deadline, stats).await.map(|(m, _)| (m, true));
                }
                Verdict::Malformed if n == UDP_BUFFER => {
                    // Longer than the buffer: the kernel cut it. TCP carries it whole.
                    bump(&stats.truncated);
                    return over_tcp(server, question, flags, plan.deadline, stats).await.map(|(m, _)| (m, true));
                }
                Verdict::WrongId => bump(&stats.wrong_id),
                Verdict::WrongQuestion => bump(&stats.wrong_question),
                Verdict::Malformed => {
                    bump(&stats.malformed);
                    malformed = true;
                }
            }
        }
        if Instant::now() >= plan.deadline || sends >= plan.max_sends {
            return Err(if malformed { DnsError::Malformed } else { DnsError::Timeout });
        }
        bump(&stats.retransmits);
        window = window.saturating_mul(2);
    }
}

async fn over_tcp(
    server: SocketAddr,
    question: &Question,
    flags: Flags,
    deadline: Instant,
    stats: &Stats,
) -> Result<(Message, bool), DnsError> {
    bump(&stats.tcp);
    let id = rand::random::<u16>();
    let packet = build_query(id, question, flags)?;
    let length = u16::try_from(packet.len())
        .map_err(|_| DnsError::BadName { name: crate::wire::name_text(&question.name), reason: "query too long".into() })?;
    let work = async {
        let mut stream = TcpStream::connect(server).await.map_err(|e| DnsError::io("connect", server, e))?;
        let mut framed = Vec::with_capacity(packet.len() + 2);
        framed.extend_from_slice(&length.to_be_bytes());
        framed.extend_from_slice(&packet);
        stream.write_all(&framed).await.map_err(|e| DnsError::io("write", server, e))?;
        loop {
            let mut prefix = [0u8; 2];
            stream.read_exact(&mut prefix).await.map_err(|e| DnsError::io("read", server, e))?;
            let mut body = vec![0u8; usize::from(u16::from_be_bytes(prefix))];
            stream.read_exact(&mut body).await.map_err(|e| DnsError::io("read", server, e))?;
            match check_answer(&body, id, question) {
                Verdict::Answer(message) => return Ok((*message, true)),
                Verdict::WrongId => bump(&stats.wrong_id),
                Verdict::WrongQuestion => bump(&stats.wrong_question),
                // TC over TCP cannot be helped by asking again.
                Verdict::Truncated | Verdict::Malformed => {
                    bump(&stats.malformed);
                    return Err(DnsError::Malformed);
                }
            }
        }
    };
    match tokio::time::timeout_at(deadline.into(), work).await {
        Ok(result) => result,
        Err(_elapsed) => Err(DnsError::Timeout),
    }
}

/// The ephemeral port range the kernel uses, from /proc (read once).
fn port_range() -> (u16, u16) {
    static RANGE: OnceLock<(u16, u16)> = OnceLock::new();
    *RANGE.get_or_init(|| {
        let text = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").unwrap_or_default();
        let mut numbers = text.split_whitespace().filter_map(|n| n.parse::<u16>().ok());
        match (numbers.next(), numbers.next()) {
            (Some(low), Some(high)) if (1024..=high).contains(&low) => (low, high),
            _ => DEFAULT_PORT_RANGE,
        }
    })
}

fn bind_std(addr: SocketAddr) -> std::io::Result<UdpSocket> {
    let socket = std::net::UdpSocket::bind(addr)?;
    socket.set_nonblocking(true)?;
    UdpSocket::from_std(socket)
}

/// A UDP socket of the server's family on a random port of the ephemeral range (RFC 5452 §9.2):
/// a forger must guess port and id. A port in use is skipped; after [`PORT_TRIES`] the kernel
/// picks one.
fn bind_random(server: SocketAddr) -> Result<UdpSocket, DnsError> {
    let any: IpAddr = if server.is_ipv4() { Ipv4Addr::UNSPECIFIED.into() } else { Ipv6Addr::UNSPECIFIED.into() };
    let (low, high) = port_range();
    let mut raised = false;
    for _ in 0..PORT_TRIES {
        let addr = SocketAddr::new(any, rand::random_range(low..=high));
        match bind_std(addr) {
            Ok(socket) => return Ok(socket),
            Err(e) if matches!(e.kind(), ErrorKind::AddrInUse | ErrorKind::PermissionDenied) => continue,
            Err(e) if is_out_of_descriptors(&e) && !raised => {
                raised = true;
                if !raise_descriptor_limit() {
                    return Err(DnsError::io("bind", addr, e));
                }
            }
            Err(e) => return Err(DnsError::io("bind", addr, e)),
        }
    }
    let addr = SocketAddr::new(any, 0);
    bind_std(addr).map_err(|e| DnsError::io("bind", addr, e))
}

fn is_out_of_descriptors(e: &std::io::Error) -> bool {
    e.raw_os_error() == Some(libc::EMFILE)
}

/// Raises the soft limit on open descriptors to the hard limit (one socket per query in flight
/// adds up: 1,000 concurrent queries need 1,000 descriptors). True if it went up.
fn raise_descriptor_limit() -> bool {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit/setrlimit only read and write the struct we pass.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 || limit.rlim_cur >= limit.rlim_max {
            return false;
        }
        limit.rlim_cur = limit.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &limit) == 0
    }
}
