//! `ResolverHandle`: the stub resolver as scripts see it (`dns.resolve`, `dns.resolver{...}`).

use std::path::PathBuf;
use std::rc::Rc;

use hickory_proto::rr::{RData, RecordType};
use mlua::{IntoLuaMulti, Lua, LuaString, MultiValue, Result as LuaResult, Table, UserData, UserDataMethods, Value};
use tinn_reactor::ScriptError;

use crate::config;
use crate::exchange::{deadline_after, MAX_WAIT};
use crate::resolver::{self, Overrides, Resolver, Want};
use crate::error::DnsError;
use crate::{ip_literal, millis, records, stats_table, wire};

/// The userdata behind `dns.resolve` and `dns.resolver{...}`.
pub struct ResolverHandle(pub(crate) Rc<Resolver>);

/// `resolver(resolvConf, hosts, nameservers, search, ndots, timeoutMs, attempts)` → handle |
/// false, message. Paths are strings or false (no file).
#[allow(clippy::type_complexity)]
pub(crate) fn dns_resolver(
    lua: &Lua,
    (resolv_conf, hosts, nameservers, search, ndots, timeout, attempts): (
        Value,
        Value,
        Option<Vec<String>>,
        Option<Vec<String>>,
        Option<u8>,
        Option<f64>,
        Option<u32>,
    ),
) -> LuaResult<MultiValue> {
    let path = |value: Value, default: &str| -> Option<PathBuf> {
        match value {
            Value::String(s) => Some(PathBuf::from(s.to_string_lossy())),
            Value::Boolean(false) => None,
            _ => Some(PathBuf::from(default)),
        }
    };
    let nameservers = match nameservers {
        None => None,
        Some(list) => {
            let mut parsed = Vec::with_capacity(list.len());
            for text in &list {
                match config::parse_nameserver(text) {
                    Some(addr) => parsed.push(addr),
                    None => {
                        let expected = "nameserver must be an IP address with an optional port";
                        return DnsError::NotAnAddress { expected, got: text.clone() }.into_refusal(lua);
                    }
                }
            }
            Some(parsed)
        }
    };
    let overrides = Overrides {
        nameservers,
        search: search.map(|list| list.into_iter().map(|d| d.trim_end_matches('.').to_string()).collect()),
        ndots,
        timeout: millis(timeout),
        attempts,
    };
    let resolver = Resolver::new(path(resolv_conf, config::RESOLV_CONF), path(hosts, config::HOSTS), overrides, false);
    ResolverHandle(Rc::new(resolver)).into_lua_multi(lua)
}

/// `resolver:resolve(name, typeCode | nil, timeoutMs)` → records | nil, err | false, misuse.
fn dns_resolve(lua: &Lua, this: &ResolverHandle, (name, code, timeout): (LuaString, Option<u16>, Option<f64>)) -> LuaResult<MultiValue> {
    let name = name.to_string_lossy();
    let want = code.map_or(Want::Addresses, |code| Want::Type(RecordType::from(code)));
    if let Some(resolved) = this.0.resolve_now(&name, want) {
        let list = records::record_list(lua, &resolved.records)?;
        if resolved.from_hosts {
            for record in list.sequence_values::<Table>() {
                record?.set("source", "hosts")?;
            }
        }
        return list.into_lua_multi(lua);
    }
    let conf = this.0.settings();
    if let Err(error) = resolver::candidates(&name, &conf) {
        return error.into_refusal(lua);
    }
    let deadline = deadline_after(millis(timeout).unwrap_or(MAX_WAIT));
    let resolver = Rc::clone(&this.0);
    tinn_reactor::start(lua, async move {
        let result = resolver::lookup(&conf, &name, want, deadline, &resolver.stats).await;
        tinn_reactor::completion(move |lua| match result {
            Ok(records) => records::record_list(lua, &records)?.into_lua_multi(lua),
            Err(error) => error.into_failure(lua),
        })
    })
}

fn name_list(lua: &Lua, names: impl IntoIterator<Item = String>) -> LuaResult<Table> {
    lua.create_sequence_from(names)
}

/// `resolver:reverse(ip, timeoutMs)` → names | nil, err | false, misuse.
fn dns_reverse(lua: &Lua, this: &ResolverHandle, (ip, timeout): (LuaString, Option<f64>)) -> LuaResult<MultiValue> {
    let ip = ip.to_string_lossy();
    let Some(address) = ip_literal(&ip) else {
        return DnsError::NotAnAddress { expected: "IP address expected", got: ip }.into_refusal(lua);
    };
    if let Some(names) = this.0.reverse_now(address) {
        return name_list(lua, names)?.into_lua_multi(lua);
    }
    let conf = this.0.settings();
    let deadline = deadline_after(millis(timeout).unwrap_or(MAX_WAIT));
    let resolver = Rc::clone(&this.0);
    tinn_reactor::start(lua, async move {
        let result = resolver::reverse(&conf, address, deadline, &resolver.stats).await;
        tinn_reactor::completion(move |lua| match result {
            Ok(records) => {
                let names = records.iter().filter_map(|r| match &r.data {
                    RData::PTR(name) => Some(wire::name_text(&name.0)),
                    _ => None,
                });
                name_list(lua, names)?.into_lua_multi(lua)
            }
            Err(error) => error.into_failure(lua),
        })
    })
}

/// `resolver:config()` → the settings in force, as a table.
fn dns_config(lua: &Lua, this: &ResolverHandle, (): ()) -> LuaResult<Table> {
    let conf = this.0.settings();
    let t = lua.create_table()?;
    t.set("nameservers", lua.create_sequence_from(conf.nameservers.iter().map(|s| s.to_string()))?)?;
    t.set("search", lua.create_sequence_from(conf.search.iter().cloned())?)?;
    t.set("ndots", conf.ndots)?;
    t.set("timeout", conf.timeout.as_secs_f64() * 1000.0)?;
    t.set("attempts", conf.attempts)?;
    t.set("rotate", conf.rotate)?;
    let (resolv_conf, hosts) = this.0.paths();
    if let Some(path) = resolv_conf {
        t.set("resolvConf", path.to_string_lossy().into_owned())?;
    }
    if let Some(path) = hosts {
        t.set("hosts", path.to_string_lossy().into_owned())?;
    }
    Ok(t)
}

impl UserData for ResolverHandle {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_method("resolve", dns_resolve);
        methods.add_method("reverse", dns_reverse);
        methods.add_method("config", dns_config);
        methods.add_method("stats", |lua, this, ()| stats_table(lua, &this.0.stats));
    }
}
