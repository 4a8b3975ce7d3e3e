//! `NameServerHandle`: one DNS server a script queries directly (`DNSNameServer`, `ns:Query`).

use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use hickory_proto::rr::RecordType;
use mlua::{IntoLuaMulti, Lua, LuaString, MultiValue, Result as LuaResult, UserData, UserDataMethods, Value};
use tinn_reactor::ScriptError;

use crate::error::DnsError;
use crate::exchange::{self, deadline_after, exchange, Plan, Stats};
use crate::resolver::Resolver;
use crate::wire::{parse_name, Flags, Question};
use crate::{ip_literal, millis, records, stats_table};

/// `ns:Query`'s timeout when neither the call nor the name server sets one.
const DEFAULT_QUERY_TIMEOUT: Duration = Duration::from_secs(5);
/// The first retransmission waits a third of the timeout, but no more than this.
const MAX_FIRST_WINDOW: Duration = Duration::from_secs(1);

/// The userdata behind a script's name server.
pub struct NameServerHandle {
    server: SocketAddr,
    stats: Rc<Stats>,
}

/// `nameServer(host, port)` → handle | false, message.
pub(crate) fn dns_name_server(lua: &Lua, (host, port): (LuaString, u16)) -> LuaResult<MultiValue> {
    let host = host.to_string_lossy();
    match ip_literal(&host) {
        Some(ip) => NameServerHandle { server: SocketAddr::new(ip, port), stats: Rc::default() }.into_lua_multi(lua),
        None => DnsError::NotAnAddress { expected: "server must be an IP address", got: host }.into_refusal(lua),
    }
}

/// `systemNameServer()` → host, port of the first nameserver the system resolver uses.
pub(crate) fn dns_system_name_server(lua: &Lua, (): ()) -> LuaResult<MultiValue> {
    let conf = Resolver::system().settings();
    match conf.nameservers.first() {
        Some(server) => (server.ip().to_string(), server.port()).into_lua_multi(lua),
        None => Ok(MultiValue::new()),
    }
}

/// What `ns:Query` hands back: `records, message` or `nil, err [, message]`.
fn query_result(lua: &Lua, rtype: RecordType, result: Result<exchange::Answer, DnsError>) -> LuaResult<MultiValue> {
    match result {
        Ok(answer) => {
            let message = records::message_table(lua, &answer)?;
            match DnsError::from_rcode(answer.message.metadata.response_code) {
                None => {
                    let wanted = answer
                        .message
                        .answers
                        .iter()
                        .filter(|r| rtype == RecordType::ANY || r.record_type() == rtype);
                    (records::record_list(lua, wanted)?, message).into_lua_multi(lua)
                }
                Some(error) => (Value::Nil, error.to_string(), message).into_lua_multi(lua),
            }
        }
        Err(error) => error.into_failure(lua),
    }
}

/// `ns:query(name, typeCode, timeoutMs, tcp, recursion, edns)`.
fn dns_ns_query(
    lua: &Lua,
    this: &NameServerHandle,
    (name, code, timeout, tcp, recursion, edns): (LuaString, u16, Option<f64>, bool, bool, bool),
) -> LuaResult<MultiValue> {
    let name = name.to_string_lossy();
    let rtype = RecordType::from(code);
    let question = match parse_name(&name) {
        Ok(name) => Question { name, rtype },
        Err(error) => return error.into_refusal(lua),
    };
    let timeout = millis(timeout).unwrap_or(DEFAULT_QUERY_TIMEOUT);
    let plan = Plan {
        first_window: (timeout / 3).clamp(Duration::from_millis(1), MAX_FIRST_WINDOW),
        max_sends: u32::MAX,
        deadline: deadline_after(timeout),
        tcp,
    };
    let server = this.server;
    let stats = Rc::clone(&this.stats);
    tinn_reactor::start(lua, async move {
        let result = exchange(server, &question, Flags { recursion, edns }, plan, &stats).await;
        tinn_reactor::completion(move |lua| query_result(lua, rtype, result))
    })
}

impl UserData for NameServerHandle {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_method("query", dns_ns_query);
        methods.add_method("stats", |lua, this, ()| stats_table(lua, &this.stats));
        methods.add_method("address", |lua, this, ()| {
            (this.server.ip().to_string(), this.server.port()).into_lua_multi(lua)
        });
    }
}

