//! DNS records and messages as Lua tables: `{name, type, class, ttl, data, ...}` with the
//! fields of each type (`address`, `preference`/`exchange`, `target`, `priority`/`weight`/
//! `port`, `text`/`strings`, SOA's), and the whole message with its three sections.

use mlua::{Lua, Result as LuaResult, Table};

use hickory_proto::op::Message;
use hickory_proto::rr::{RData, Record};

use crate::error::rcode_name;
use crate::exchange::Answer;
use crate::wire::{class_name, name_text, rdata_text, record_type_name};

/// One record as a table.
pub(crate) fn record_table(lua: &Lua, record: &Record) -> LuaResult<Table> {
    let t = lua.create_table()?;
    t.set("name", name_text(&record.name))?;
    t.set("type", record_type_name(record.record_type()))?;
    t.set("class", class_name(record.dns_class))?;
    t.set("ttl", record.ttl)?;
    t.set("data", rdata_text(&record.data))?;
    match &record.data {
        RData::A(a) => t.set("address", a.0.to_string())?,
        RData::AAAA(aaaa) => t.set("address", aaaa.0.to_string())?,
        RData::MX(mx) => {
            t.set("preference", mx.preference)?;
            t.set("exchange", name_text(&mx.exchange))?;
        }
        RData::CNAME(name) => t.set("target", name_text(&name.0))?,
        RData::NS(name) => t.set("target", name_text(&name.0))?,
        RData::PTR(name) => t.set("target", name_text(&name.0))?,
        RData::ANAME(name) => t.set("target", name_text(&name.0))?,
        RData::SRV(srv) => {
            t.set("priority", srv.priority)?;
            t.set("weight", srv.weight)?;
            t.set("port", srv.port)?;
            t.set("target", name_text(&srv.target))?;
        }
        RData::TXT(txt) => {
            // Character strings are bytes, not necessarily UTF-8: Lua strings carry them as is.
            let strings = lua.create_table()?;
            let mut joined = Vec::new();
            for (i, piece) in txt.txt_data.iter().enumerate() {
                strings.raw_set(i + 1, lua.create_string(&piece[..])?)?;
                joined.extend_from_slice(piece);
            }
            t.set("strings", strings)?;
            t.set("text", lua.create_string(&joined)?)?;
        }
        RData::SOA(soa) => {
            t.set("mname", name_text(&soa.mname))?;
            t.set("rname", name_text(&soa.rname))?;
            t.set("serial", soa.serial)?;
            t.set("refresh", soa.refresh)?;
            t.set("retry", soa.retry)?;
            t.set("expire", soa.expire)?;
            t.set("minimum", soa.minimum)?;
        }
        _ => {}
    }
    Ok(t)
}

/// A list of records as a Lua array.
pub(crate) fn record_list<'a>(lua: &Lua, records: impl IntoIterator<Item = &'a Record>) -> LuaResult<Table> {
    let list = lua.create_table()?;
    for (i, record) in records.into_iter().enumerate() {
        list.raw_set(i + 1, record_table(lua, record)?)?;
    }
    Ok(list)
}

/// The whole answer: header fields, question, the three sections, EDNS, and how it came.
pub(crate) fn message_table(lua: &Lua, answer: &Answer) -> LuaResult<Table> {
    let message: &Message = &answer.message;
    let m = &message.metadata;
    let t = lua.create_table()?;
    t.set("id", m.id)?;
    t.set("rcode", rcode_name(m.response_code))?;
    let flags = lua.create_table()?;
    flags.set("authoritative", m.authoritative)?;
    flags.set("truncated", m.truncation)?;
    flags.set("recursionDesired", m.recursion_desired)?;
    flags.set("recursionAvailable", m.recursion_available)?;
    flags.set("authenticData", m.authentic_data)?;
    flags.set("checkingDisabled", m.checking_disabled)?;
    t.set("flags", flags)?;
    if let Some(query) = message.queries.first() {
        let question = lua.create_table()?;
        question.set("name", name_text(query.name()))?;
        question.set("type", record_type_name(query.query_type()))?;
        question.set("class", class_name(query.query_class()))?;
        t.set("question", question)?;
    }
    t.set("answers", record_list(lua, &message.answers)?)?;
    t.set("authority", record_list(lua, &message.authorities)?)?;
    t.set("additional", record_list(lua, &message.additionals)?)?;
    if let Some(edns) = &message.edns {
        let e = lua.create_table()?;
        e.set("payload", edns.max_payload())?;
        e.set("version", edns.version())?;
        e.set("dnssecOk", edns.flags().dnssec_ok)?;
        t.set("edns", e)?;
    }
    t.set("server", answer.server.to_string())?;
    t.set("protocol", if answer.tcp { "tcp" } else { "udp" })?;
    t.set("elapsed", answer.elapsed.as_secs_f64() * 1000.0)?;
    Ok(t)
}
