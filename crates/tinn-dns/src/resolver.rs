//! The stub resolver behind `dns.resolve` / `dns.reverse`: `/etc/hosts` first, then the
//! nameservers of `/etc/resolv.conf` with its `search`, `ndots`, `timeout`, `attempts` and
//! `rotate`, following glibc's rules (which names to try in which order, when to move on).

use std::cell::RefCell;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::rc::Rc;
use std::time::{Duration, Instant};

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA};
use hickory_proto::rr::{Name, RData, Record, RecordType};

use crate::config::{self, Hosts, ResolvConf, Watched, DNS_PORT};
use crate::error::DnsError;
use crate::exchange::{deadline_after, exchange, Plan, Stats, MAX_WAIT};
use crate::wire::{join_names, parse_name, Flags, Question};

/// What a lookup asks for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Want {
    /// Records of one type.
    Type(RecordType),
    /// A and AAAA records, asked for together (A first in the result).
    Addresses,
}

/// A lookup's result: records (from DNS or synthesized from the hosts file).
pub(crate) struct Resolved {
    pub(crate) records: Vec<Record>,
    pub(crate) from_hosts: bool,
}

/// Settings given in code, which win over the files.
#[derive(Clone, Debug, Default)]
pub(crate) struct Overrides {
    pub(crate) nameservers: Option<Vec<SocketAddr>>,
    pub(crate) search: Option<Vec<String>>,
    pub(crate) ndots: Option<u8>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) attempts: Option<u32>,
}

/// A resolver: where its files are, what overrides them, and its counters.
pub struct Resolver {
    resolv_conf: Option<RefCell<Watched<ResolvConf>>>,
    hosts: Option<RefCell<Watched<Rc<Hosts>>>>,
    overrides: Overrides,
    /// The system resolver honours `LOCALDOMAIN` and `RES_OPTIONS`, as glibc does.
    use_environment: bool,
    pub(crate) stats: Rc<Stats>,
}

thread_local! {
    static SYSTEM: Rc<Resolver> = Rc::new(Resolver::new(
        Some(config::RESOLV_CONF.into()),
        Some(config::HOSTS.into()),
        Overrides::default(),
        true,
    ));
}

impl Resolver {
    pub(crate) fn new(
        resolv_conf: Option<PathBuf>,
        hosts: Option<PathBuf>,
        overrides: Overrides,
        use_environment: bool,
    ) -> Resolver {
        Resolver {
            resolv_conf: resolv_conf.map(|path| RefCell::new(Watched::new(path))),
            hosts: hosts.map(|path| RefCell::new(Watched::new(path))),
            overrides,
            use_environment,
            stats: Rc::new(Stats::default()),
        }
    }

    /// This thread's resolver over the system's files (each Lua state has its own thread).
    pub fn system() -> Rc<Resolver> {
        SYSTEM.with(Rc::clone)
    }

    /// The paths this resolver reads, for `resolver:config()`.
    pub(crate) fn paths(&self) -> (Option<PathBuf>, Option<PathBuf>) {
        (
            self.resolv_conf.as_ref().map(|w| w.borrow().path.clone()),
            self.hosts.as_ref().map(|w| w.borrow().path.clone()),
        )
    }

    /// The settings in force now: the file (read again if it changed), the environment, the
    /// overrides, and glibc's defaults for what none of them says.
    pub(crate) fn settings(&self) -> ResolvConf {
        let mut conf = match &self.resolv_conf {
            Some(watched) => watched.borrow_mut().get(config::parse_resolv_conf).clone(),
            None => ResolvConf::default(),
        };
        if self.use_environment {
            if let Ok(domains) = std::env::var("LOCALDOMAIN") {
                conf.search = domains.split_whitespace().map(|d| d.trim_end_matches('.').to_string()).collect();
            } else if conf.search.is_empty() {
                conf.search = config::local_domain().into_iter().collect();
            }
            if let Ok(options) = std::env::var("RES_OPTIONS") {
                let line = format!("options {options}");
                let extra = config::parse_resolv_conf(&line);
                if options.contains("ndots:") {
                    conf.ndots = extra.ndots;
                }
                if options.contains("timeout:") {
                    conf.timeout = extra.timeout;
                }
                if options.contains("attempts:") {
                    conf.attempts = extra.attempts;
                }
                conf.rotate |= extra.rotate;
            }
        }
        let o = &self.overrides;
        if let Some(nameservers) = &o.nameservers {
            conf.nameservers = nameservers.clone();
        }
        if let Some(search) = &o.search {
            conf.search = search.clone();
        }
        if let Some(ndots) = o.ndots {
            conf.ndots = ndots;
        }
        if let Some(timeout) = o.timeout {
            conf.timeout = timeout;
        }
        if let Some(attempts) = o.attempts {
            conf.attempts = attempts.max(1);
        }
        if conf.nameservers.is_empty() {
            // glibc's default when resolv.conf names none: a server on this machine
            conf.nameservers.push(SocketAddr::new(IpAddr::from([127, 0, 0, 1]), DNS_PORT));
        }
        conf
    }

    fn hosts(&self) -> Option<Rc<Hosts>> {
        self.hosts.as_ref().map(|w| Rc::clone(w.borrow_mut().get(|text| Rc::new(config::parse_hosts(text)))))
    }

    /// Answers from an IP literal or the hosts file without asking any server; `None` when the
    /// servers must be asked.
    pub(crate) fn resolve_now(&self, name: &str, want: Want) -> Option<Resolved> {
        let family = |ip: &IpAddr| match want {
            Want::Addresses => true,
            Want::Type(RecordType::A) => ip.is_ipv4(),
            Want::Type(RecordType::AAAA) => ip.is_ipv6(),
            Want::Type(_) => false,
        };
        if !matches!(want, Want::Addresses | Want::Type(RecordType::A | RecordType::AAAA)) {
            return None;
        }
        let bare = name.strip_prefix('[').and_then(|n| n.strip_suffix(']')).unwrap_or(name);
        if let Ok(ip) = bare.parse::<IpAddr>() {
            let records = if family(&ip) { address_record(name, ip).into_iter().collect() } else { Vec::new() };
            return Some(Resolved { records, from_hosts: false });
        }
        let hosts = self.hosts()?;
        let records: Vec<Record> =
            hosts.addresses(name).iter().filter(|ip| family(ip)).filter_map(|ip| address_record(name, *ip)).collect();
        if records.is_empty() {
            return None;
        }
        Some(Resolved { records, from_hosts: true })
    }

    /// The names the hosts file gives `ip`, if any.
    pub(crate) fn reverse_now(&self, ip: IpAddr) -> Option<Vec<String>> {
        let hosts = self.hosts()?;
        let names = hosts.names(ip);
        (!names.is_empty()).then(|| names.to_vec())
    }
}

/// An A or AAAA record for a hosts-file or literal answer (TTL 0: not from DNS).
fn address_record(name: &str, ip: IpAddr) -> Option<Record> {
    let owner = parse_name(name).ok()?;
    let data = match ip {
        IpAddr::V4(v4) => RData::A(A(v4)),
        IpAddr::V6(v6) => RData::AAAA(AAAA(v6)),
    };
    Some(Record::from_rdata(owner, 0, data))
}

/// The names to try for `name`, in order (glibc's res_search): a name with a trailing dot is
/// tried alone; one with at least `ndots` dots as given first, then with each search domain;
/// one with fewer dots with the search domains first.
pub(crate) fn candidates(name: &str, conf: &ResolvConf) -> Result<Vec<Name>, DnsError> {
    let as_is = parse_name(name)?;
    if name.ends_with('.') {
        return Ok(vec![as_is]);
    }
    let dots = name.matches('.').count();
    let first = dots >= usize::from(conf.ndots);
    let mut list = Vec::new();
    if first {
        list.push(as_is.clone());
    }
    for domain in &conf.search {
        if let Ok(candidate) = join_names(name, domain) {
            if !list.contains(&candidate) {
                list.push(candidate);
            }
        }
    }
    if !list.contains(&as_is) {
        list.push(as_is);
    }
    Ok(list)
}

/// What the servers said about one name and type.
enum Outcome {
    Found(Vec<Record>),
    NoData,
    Failed(DnsError),
}

fn records_of(message: Message, rtype: RecordType) -> Vec<Record> {
    message.answers.into_iter().filter(|r| rtype == RecordType::ANY || r.record_type() == rtype).collect()
}

/// Asks the nameservers in turn, `attempts` rounds, each try waiting `timeout << round`
/// divided among the servers (glibc's schedule). NOERROR and NXDOMAIN are final; SERVFAIL,
/// REFUSED, other errors and silence move on to the next server.
async fn ask_servers(conf: &ResolvConf, name: &Name, rtype: RecordType, deadline: Instant, stats: &Stats) -> Outcome {
    let question = Question { name: name.clone(), rtype };
    let servers = &conf.nameservers;
    let count = u32::try_from(servers.len()).unwrap_or(u32::MAX).max(1);
    let offset = if conf.rotate { rand::random_range(0..servers.len().max(1)) } else { 0 };
    let mut rcode_error: Option<DnsError> = None;
    let mut last_error = DnsError::Timeout;
    for round in 0..conf.attempts.max(1) {
        for index in 0..servers.len() {
            let Some(&server) = servers.get((index + offset) % servers.len()) else { continue };
            let now = Instant::now();
            if now >= deadline {
                return Outcome::Failed(rcode_error.unwrap_or(last_error));
            }
            let window = (conf.timeout.saturating_mul(1 << round.min(16)) / count).max(Duration::from_millis(1));
            let plan = Plan {
                first_window: window,
                max_sends: 1,
                deadline: now.checked_add(window).unwrap_or(deadline).min(deadline),
                tcp: false,
            };
            match exchange(server, &question, Flags::default(), plan, stats).await {
                Ok(answer) => match answer.message.metadata.response_code {
                    ResponseCode::NoError => {
                        let records = records_of(answer.message, rtype);
                        return if records.is_empty() { Outcome::NoData } else { Outcome::Found(records) };
                    }
                    ResponseCode::NXDomain => return Outcome::Failed(DnsError::NxDomain),
                    code => {
                        if let Some(error) = DnsError::from_rcode(code) {
                            rcode_error.get_or_insert(error);
                        }
                    }
                },
                Err(error) => last_error = error,
            }
        }
    }
    Outcome::Failed(rcode_error.unwrap_or(last_error))
}

/// A and AAAA together: records if either has some, else NXDOMAIN if either says so, else
/// NODATA if both say so, else the failure.
fn combine(a: Outcome, aaaa: Outcome) -> Outcome {
    match (a, aaaa) {
        (Outcome::Found(mut v4), Outcome::Found(v6)) => {
            v4.extend(v6);
            Outcome::Found(v4)
        }
        (Outcome::Found(records), _) | (_, Outcome::Found(records)) => Outcome::Found(records),
        (Outcome::Failed(DnsError::NxDomain), _) | (_, Outcome::Failed(DnsError::NxDomain)) => {
            Outcome::Failed(DnsError::NxDomain)
        }
        (Outcome::NoData, Outcome::NoData) => Outcome::NoData,
        (Outcome::Failed(error), _) | (_, Outcome::Failed(error)) => Outcome::Failed(error),
    }
}

async fn ask(conf: &ResolvConf, name: &Name, want: Want, deadline: Instant, stats: &Stats) -> Outcome {
    match want {
        Want::Type(rtype) => ask_servers(conf, name, rtype, deadline, stats).await,
        Want::Addresses => {
            let (a, aaaa) = tokio::join!(
                ask_servers(conf, name, RecordType::A, deadline, stats),
                ask_servers(conf, name, RecordType::AAAA, deadline, stats)
            );
            combine(a, aaaa)
        }
    }
}

/// Looks `name` up through the servers, trying the search list as glibc's res_search does:
/// NXDOMAIN, NODATA and SERVFAIL move on to the next candidate; a timeout or another failure
/// ends the search. When nothing is found, the answer is the first query's if the name was
/// tried as given first, else NODATA (an empty list) if any candidate had one, else SERVFAIL
/// if any had one, else the last failure.
pub(crate) async fn lookup(
    conf: &ResolvConf,
    name: &str,
    want: Want,
    deadline: Instant,
    stats: &Stats,
) -> Result<Vec<Record>, DnsError> {
    let list = candidates(name, conf)?;
    let as_is_first = !name.ends_with('.') && name.matches('.').count() >= usize::from(conf.ndots);
    let mut first: Option<Outcome> = None;
    let mut got_nodata = false;
    let mut got_servfail = false;
    let mut last = DnsError::NxDomain;
    for (index, candidate) in list.iter().enumerate() {
        let outcome = ask(conf, candidate, want, deadline, stats).await;
        let stop = match &outcome {
            Outcome::Found(_) => return Ok(into_records(outcome)),
            Outcome::NoData => {
                got_nodata = true;
                false
            }
            Outcome::Failed(DnsError::NxDomain) => {
                last = DnsError::NxDomain;
                false
            }
            Outcome::Failed(DnsError::ServFail) => {
                got_servfail = true;
                last = DnsError::ServFail;
                false
            }
            Outcome::Failed(error) => {
                last = error.clone();
                true
            }
        };
        if index == 0 && as_is_first {
            first = Some(outcome);
        }
        if stop {
            break;
        }
    }
    match first {
        Some(Outcome::Failed(error)) => Err(error),
        Some(Outcome::NoData) => Ok(Vec::new()),
        _ if got_nodata => Ok(Vec::new()),
        // a later NXDOMAIN does not hide an earlier SERVFAIL; a timeout that ended the search does
        _ if got_servfail && last == DnsError::NxDomain => Err(DnsError::ServFail),
        _ => Err(last),
    }
}

fn into_records(outcome: Outcome) -> Vec<Record> {
    match outcome {
        Outcome::Found(records) => records,
        _ => Vec::new(),
    }
}

/// PTR lookup of `ip`'s `in-addr.arpa` / `ip6.arpa` name (no search list).
pub(crate) async fn reverse(conf: &ResolvConf, ip: IpAddr, deadline: Instant, stats: &Stats) -> Result<Vec<Record>, DnsError> {
    let mut name = Name::from(ip);
    name.set_fqdn(true);
    match ask_servers(conf, &name, RecordType::PTR, deadline, stats).await {
        Outcome::Found(records) => Ok(records),
        Outcome::NoData => Ok(Vec::new()),
        Outcome::Failed(error) => Err(error),
    }
}

/// The addresses of `host` as this thread's system resolver finds them: an IP literal as is,
/// then `/etc/hosts`, then DNS (A and AAAA, IPv4 first). For `tcp.connect` and the like.
///
/// Errors: `NXDOMAIN`, `timeout`, ... as [`DnsError`]; a name with no addresses gives an empty
/// list.
pub async fn lookup_ip(host: &str, timeout: Option<Duration>) -> Result<Vec<IpAddr>, DnsError> {
    let resolver = Resolver::system();
    let records = match resolver.resolve_now(host, Want::Addresses) {
        Some(resolved) => resolved.records,
        None => {
            let conf = resolver.settings();
            let deadline = deadline_after(timeout.unwrap_or(MAX_WAIT));
            lookup(&conf, host, Want::Addresses, deadline, &resolver.stats).await?
        }
    };
    Ok(records
        .iter()
        .filter_map(|r| match &r.data {
            RData::A(a) => Some(IpAddr::V4(a.0)),
            RData::AAAA(aaaa) => Some(IpAddr::V6(aaaa.0)),
            _ => None,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf(ndots: u8, search: &[&str]) -> ResolvConf {
        ResolvConf { ndots, search: search.iter().map(|s| s.to_string()).collect(), ..ResolvConf::default() }
    }

    fn texts(names: Vec<Name>) -> Vec<String> {
        names.iter().map(crate::wire::name_text).collect()
    }

    #[test]
    fn search_order_follows_ndots() {
        let c = conf(1, &["a.test", "b.test"]);
        assert_eq!(texts(candidates("www", &c).unwrap()), ["www.a.test", "www.b.test", "www"]);
        assert_eq!(texts(candidates("www.x", &c).unwrap()), ["www.x", "www.x.a.test", "www.x.b.test"]);
        assert_eq!(texts(candidates("www.x.", &c).unwrap()), ["www.x"]);
        let c = conf(3, &["a.test"]);
        assert_eq!(texts(candidates("www.x", &c).unwrap()), ["www.x.a.test", "www.x"]);
        assert!(candidates("", &c).is_err());
    }

    #[test]
    fn literals_answer_at_once() {
        let resolver = Resolver::new(None, None, Overrides::default(), false);
        let now = resolver.resolve_now("192.0.2.1", Want::Addresses).unwrap();
        assert_eq!(now.records.len(), 1);
        assert!(resolver.resolve_now("192.0.2.1", Want::Type(RecordType::AAAA)).unwrap().records.is_empty());
        assert!(resolver.resolve_now("example.test", Want::Addresses).is_none());
    }
}
