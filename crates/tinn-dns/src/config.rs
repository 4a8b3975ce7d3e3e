//! The system's resolver files: `/etc/resolv.conf` (nameservers, `search` / `domain`,
//! `options ndots: timeout: attempts:`) and `/etc/hosts`, read as glibc reads them, and read
//! again when they change.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// The standard DNS port.
pub(crate) const DNS_PORT: u16 = 53;
/// glibc's limits (resolv.h): at most 3 nameservers, ndots ≤ 15, timeout ≤ 30 s, attempts ≤ 5.
const MAX_NAMESERVERS: usize = 3;
const MAX_NDOTS: u8 = 15;
const MAX_TIMEOUT: Duration = Duration::from_secs(30);
const MAX_ATTEMPTS: u32 = 5;
/// glibc's defaults: `timeout:5 attempts:2 ndots:1`.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
pub(crate) const DEFAULT_ATTEMPTS: u32 = 2;
pub(crate) const DEFAULT_NDOTS: u8 = 1;

/// Where the system's files are.
pub(crate) const RESOLV_CONF: &str = "/etc/resolv.conf";
pub(crate) const HOSTS: &str = "/etc/hosts";

/// What `/etc/resolv.conf` says (with glibc's defaults for what it does not).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ResolvConf {
    pub(crate) nameservers: Vec<SocketAddr>,
    pub(crate) search: Vec<String>,
    pub(crate) ndots: u8,
    pub(crate) timeout: Duration,
    pub(crate) attempts: u32,
    pub(crate) rotate: bool,
}

impl Default for ResolvConf {
    fn default() -> Self {
        ResolvConf {
            nameservers: Vec::new(),
            search: Vec::new(),
            ndots: DEFAULT_NDOTS,
            timeout: DEFAULT_TIMEOUT,
            attempts: DEFAULT_ATTEMPTS,
            rotate: false,
        }
    }
}

/// A nameserver address: an IP literal (IPv6 may carry a `%scope`, which is dropped), with an
/// optional port in the forms `[::1]:5353` and `127.0.0.1:5353` (a tinn extension for
/// `dns.resolver{nameservers = ...}`; resolv.conf itself has no ports).
pub(crate) fn parse_nameserver(text: &str) -> Option<SocketAddr> {
    let text = text.trim();
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Some(addr);
    }
    let bare = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')).unwrap_or(text);
    let bare = bare.split('%').next().unwrap_or(bare);
    bare.parse::<IpAddr>().ok().map(|ip| SocketAddr::new(ip, DNS_PORT))
}

/// Parses resolv.conf text. Unknown lines and options are ignored, as glibc does.
pub(crate) fn parse_resolv_conf(text: &str) -> ResolvConf {
    let mut conf = ResolvConf::default();
    for line in text.lines() {
        let line = line.split(['#', ';']).next().unwrap_or("");
        let mut words = line.split_whitespace();
        match words.next() {
            Some("nameserver") => {
                if let Some(addr) = words.next().and_then(|w| {
                    // resolv.conf has no port syntax: a bare address only
                    let bare = w.split('%').next().unwrap_or(w);
                    bare.parse::<IpAddr>().ok()
                }) {
                    if conf.nameservers.len() < MAX_NAMESERVERS {
                        conf.nameservers.push(SocketAddr::new(addr, DNS_PORT));
                    }
                }
            }
            // `domain` and `search` replace each other; the last one wins.
            Some("domain") => conf.search = words.next().map(|d| vec![d.trim_end_matches('.').to_string()]).unwrap_or_default(),
            Some("search") => {
                conf.search =
                    words.map(|d| d.trim_end_matches('.').to_string()).filter(|d| !d.is_empty()).collect();
            }
            Some("options") => {
                for option in words {
                    apply_option(&mut conf, option);
                }
            }
            _ => {}
        }
    }
    conf
}

/// One `options` word (also the syntax of the `RES_OPTIONS` variable).
fn apply_option(conf: &mut ResolvConf, option: &str) {
    let (key, value) = option.split_once(':').unwrap_or((option, ""));
    let number = value.parse::<u64>().ok();
    match (key, number) {
        ("ndots", Some(n)) => conf.ndots = u8::try_from(n).unwrap_or(MAX_NDOTS).min(MAX_NDOTS),
        ("timeout", Some(n)) => conf.timeout = Duration::from_secs(n.clamp(1, MAX_TIMEOUT.as_secs())),
        ("attempts", Some(n)) => conf.attempts = u32::try_from(n).unwrap_or(MAX_ATTEMPTS).clamp(1, MAX_ATTEMPTS),
        ("rotate", _) => conf.rotate = true,
        _ => {}
    }
}

/// The domain part of this machine's host name, glibc's search list when resolv.conf has none.
pub(crate) fn local_domain() -> Option<String> {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").ok()?;
    let (_, domain) = name.trim().split_once('.')?;
    (!domain.is_empty()).then(|| domain.to_string())
}

/// `/etc/hosts`: names (lower case) to addresses, and addresses to names (canonical name first).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Hosts {
    by_name: HashMap<String, Vec<IpAddr>>,
    by_address: HashMap<IpAddr, Vec<String>>,
}

impl Hosts {
    /// The addresses listed for `name` (any case, trailing dot ignored), in file order.
    pub(crate) fn addresses(&self, name: &str) -> &[IpAddr] {
        let key = name.trim_end_matches('.').to_ascii_lowercase();
        self.by_name.get(&key).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The names listed for `address`, canonical names first.
    pub(crate) fn names(&self, address: IpAddr) -> &[String] {
        self.by_address.get(&address.to_canonical()).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// Parses hosts-file text: `address name [aliases...]` lines, `#` comments.
pub(crate) fn parse_hosts(text: &str) -> Hosts {
    let mut hosts = Hosts::default();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("");
        let mut words = line.split_whitespace();
        let Some(address) = words.next() else { continue };
        let address = address.split('%').next().unwrap_or(address);
        let Ok(address) = address.parse::<IpAddr>() else { continue };
        let address = address.to_canonical();
        for name in words {
            let key = name.trim_end_matches('.').to_ascii_lowercase();
            let list = hosts.by_name.entry(key).or_default();
            if !list.contains(&address) {
                list.push(address);
            }
            let names = hosts.by_address.entry(address).or_default();
            if !names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
                names.push(name.trim_end_matches('.').to_string());
            }
        }
    }
    hosts
}

/// Identifies a version of a file, so a changed file is read again.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Stamp(Option<(SystemTime, u64)>);

impl Stamp {
    pub(crate) fn of(path: &Path) -> Stamp {
        Stamp(std::fs::metadata(path).ok().map(|m| (m.modified().unwrap_or(SystemTime::UNIX_EPOCH), m.len())))
    }
}

/// A file parsed into `T`, read again when its modification time or size changes.
pub(crate) struct Watched<T> {
    pub(crate) path: PathBuf,
    stamp: Option<Stamp>,
    value: T,
}

impl<T: Default> Watched<T> {
    pub(crate) fn new(path: impl Into<PathBuf>) -> Watched<T> {
        Watched { path: path.into(), stamp: None, value: T::default() }
    }

    /// The current value; a missing or unreadable file parses as empty text.
    pub(crate) fn get(&mut self, parse: impl FnOnce(&str) -> T) -> &T {
        let stamp = Stamp::of(&self.path);
        if self.stamp.as_ref() != Some(&stamp) {
            let text = std::fs::read_to_string(&self.path).unwrap_or_default();
            self.value = parse(&text);
            self.stamp = Some(stamp);
        }
        &self.value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolv_conf_like_glibc() {
        let conf = parse_resolv_conf(
            "# comment\nnameserver 10.0.0.1\nnameserver fe80::1%eth0 ; trailing\nnameserver bogus\n\
             domain old.test\nsearch a.test b.test.\noptions ndots:3 timeout:2 attempts:9 rotate edns0\n\
             nameserver 10.0.0.2\nnameserver 10.0.0.3\n",
        );
        assert_eq!(
            conf.nameservers,
            vec![
                "10.0.0.1:53".parse().unwrap(),
                "[fe80::1]:53".parse().unwrap(),
                "10.0.0.2:53".parse().unwrap()
            ]
        );
        assert_eq!(conf.search, vec!["a.test", "b.test"]);
        assert_eq!((conf.ndots, conf.timeout, conf.attempts, conf.rotate), (3, Duration::from_secs(2), 5, true));
        assert_eq!(parse_resolv_conf("search x.test\ndomain y.test\n").search, vec!["y.test"]);
        assert_eq!(parse_resolv_conf(""), ResolvConf::default());
    }

    #[test]
    fn nameserver_forms() {
        assert_eq!(parse_nameserver("127.0.0.1"), Some("127.0.0.1:53".parse().unwrap()));
        assert_eq!(parse_nameserver("127.0.0.1:5353"), Some("127.0.0.1:5353".parse().unwrap()));
        assert_eq!(parse_nameserver("::1"), Some("[::1]:53".parse().unwrap()));
        assert_eq!(parse_nameserver("[::1]:5353"), Some("[::1]:5353".parse().unwrap()));
        assert_eq!(parse_nameserver("localhost"), None);
    }

    #[test]
    fn hosts_file() {
        let hosts = parse_hosts("127.0.0.1 localhost\n::1 localhost ip6-localhost # v6\n192.0.2.5 Web.Example.test web\nbad line\n");
        assert_eq!(hosts.addresses("LOCALHOST."), &["127.0.0.1".parse::<IpAddr>().unwrap(), "::1".parse().unwrap()]);
        assert_eq!(hosts.addresses("web"), &["192.0.2.5".parse::<IpAddr>().unwrap()]);
        assert_eq!(hosts.names("192.0.2.5".parse().unwrap()), &["Web.Example.test".to_string(), "web".to_string()]);
        assert!(hosts.addresses("nothing").is_empty());
    }
}
