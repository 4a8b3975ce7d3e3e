//! DNS messages on the wire, through hickory-proto: building a question and deciding whether a
//! datagram is the answer to it (RFC 5452: id, question and source must all match).

use std::fmt::Write as _;
use std::str::FromStr;

use hickory_proto::op::{Edns, Header, Message, MessageType, OpCode, Query};
use hickory_proto::rr::{DNSClass, Name, RData, RecordType};
use hickory_proto::serialize::binary::{BinDecodable, BinDecoder};

use crate::error::DnsError;

/// The EDNS0 UDP payload size we advertise: the DNS Flag Day 2020 value, which fits an
/// unfragmented datagram on any path.
pub(crate) const EDNS_PAYLOAD: u16 = 1232;

/// One question: a fully qualified name and a record type (class IN).
#[derive(Clone, Debug)]
pub(crate) struct Question {
    pub(crate) name: Name,
    pub(crate) rtype: RecordType,
}

/// How a query is asked.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Flags {
    /// Set RD: ask the server to recurse.
    pub(crate) recursion: bool,
    /// Add an EDNS0 OPT record advertising [`EDNS_PAYLOAD`].
    pub(crate) edns: bool,
}

impl Default for Flags {
    fn default() -> Self {
        Flags { recursion: true, edns: true }
    }
}

/// Parses a name as scripts write it (`example.com`, `example.com.`, IDN in UTF-8) and makes it
/// fully qualified.
pub(crate) fn parse_name(text: &str) -> Result<Name, DnsError> {
    let bad = |reason: String| DnsError::BadName { name: text.to_string(), reason };
    if text.is_empty() {
        return Err(bad("empty name".to_string()));
    }
    let mut name = Name::from_str_relaxed(text).map_err(|e| bad(e.to_string()))?;
    name.set_fqdn(true);
    Ok(name)
}

/// `name` followed by `domain` (a search-list entry), fully qualified.
pub(crate) fn join_names(name: &str, domain: &str) -> Result<Name, DnsError> {
    let domain = domain.trim_end_matches('.');
    if domain.is_empty() {
        return parse_name(name);
    }
    parse_name(&format!("{name}.{domain}"))
}

/// A record type from its mnemonic (`"MX"`, case-insensitive, or `"TYPE15"`) or number.
pub(crate) fn record_type_from_name(text: &str) -> Option<RecordType> {
    let upper = text.to_ascii_uppercase();
    if let Some(number) = upper.strip_prefix("TYPE") {
        return number.parse::<u16>().ok().map(RecordType::from);
    }
    match RecordType::from_str(&upper) {
        Ok(RecordType::Unknown(_)) | Err(_) => None,
        Ok(rtype) => Some(rtype),
    }
}

/// A type's mnemonic as dig prints it; `TYPE<n>` (RFC 3597) for types hickory does not name.
pub(crate) fn record_type_name(rtype: RecordType) -> String {
    match rtype {
        RecordType::Unknown(code) => format!("TYPE{code}"),
        other => other.to_string(),
    }
}

/// A class's mnemonic (`IN`), or `CLASS<n>`.
pub(crate) fn class_name(class: DNSClass) -> String {
    match class {
        DNSClass::IN => "IN".to_string(),
        DNSClass::CH => "CH".to_string(),
        DNSClass::HS => "HS".to_string(),
        DNSClass::NONE => "NONE".to_string(),
        DNSClass::ANY => "ANY".to_string(),
        other => format!("CLASS{}", u16::from(other)),
    }
}

/// A name as scripts see it: UTF-8 (punycode decoded), without the root's trailing dot
/// (`"."` for the root itself).
pub(crate) fn name_text(name: &Name) -> String {
    let mut text = String::new();
    if write!(text, "{name}").is_err() {
        text = name.to_ascii();
    }
    if text.len() > 1 && text.ends_with('.') {
        text.pop();
    }
    text
}

/// Record data in zone-file form, as dig prints it; empty for data with no text form (OPT).
pub(crate) fn rdata_text(data: &RData) -> String {
    let mut text = String::new();
    if let RData::TXT(txt) = data {
        // dig's form: each character string quoted, `"` and `\` escaped, other bytes outside
        // printable ASCII as `\DDD`. (hickory's Display runs the strings together.)
        for (i, piece) in txt.txt_data.iter().enumerate() {
            if i > 0 {
                text.push(' ');
            }
            text.push('"');
            for &byte in piece.iter() {
                match byte {
                    b'"' | b'\\' => {
                        text.push('\\');
                        text.push(char::from(byte));
                    }
                    0x20..=0x7e => text.push(char::from(byte)),
                    other => {
                        let _ = write!(text, "\\{other:03}");
                    }
                }
            }
            text.push('"');
        }
        return text;
    }
    if write!(text, "{data}").is_err() {
        text.clear();
    }
    text
}

/// Encodes the query message with transaction id `id`.
pub(crate) fn build_query(id: u16, question: &Question, flags: Flags) -> Result<Vec<u8>, DnsError> {
    let mut message = Message::new(id, MessageType::Query, OpCode::Query);
    message.metadata.recursion_desired = flags.recursion;
    let mut query = Query::query(question.name.clone(), question.rtype);
    query.set_query_class(DNSClass::IN);
    message.add_query(query);
    if flags.edns {
        let mut edns = Edns::new();
        edns.set_max_payload(EDNS_PAYLOAD);
        edns.set_version(0);
        message.set_edns(edns);
    }
    message.to_vec().map_err(|e| DnsError::BadName { name: name_text(&question.name), reason: e.to_string() })
}

/// What a datagram that came from the right address turned out to be.
pub(crate) enum Verdict {
    /// The answer to our question.
    Answer(Box<Message>),
    /// The answer to our question, cut short (TC): ask again over TCP.
    Truncated,
    /// A message with another transaction id (late, stray or forged).
    WrongId,
    /// Our id, but not our question (forged, or a confused server).
    WrongQuestion,
    /// Not a DNS response we can read.
    Malformed,
}

/// Decides what `bytes` is with respect to the query `id` / `question`.
pub(crate) fn check_answer(bytes: &[u8], id: u16, question: &Question) -> Verdict {
    let mut decoder = BinDecoder::new(bytes);
    let Ok(header) = Header::read(&mut decoder) else { return Verdict::Malformed };
    if header.metadata.id != id {
        return Verdict::WrongId;
    }
    if header.metadata.message_type != MessageType::Response || header.metadata.op_code != OpCode::Query {
        return Verdict::Malformed;
    }
    // The question section is read on its own first, so that a truncated answer whose records
    // were cut mid-way is still recognised as ours.
    let Ok(queries) = Message::read_queries(&mut decoder, usize::from(header.counts.queries)) else {
        return Verdict::Malformed;
    };
    let asked = match queries.as_slice() {
        [only] => only,
        _ => return Verdict::WrongQuestion,
    };
    if asked.name() != &question.name || asked.query_type() != question.rtype || asked.query_class() != DNSClass::IN {
        return Verdict::WrongQuestion;
    }
    if header.metadata.truncation {
        return Verdict::Truncated;
    }
    match Message::from_vec(bytes) {
        Ok(message) => Verdict::Answer(Box::new(message)),
        Err(_) => Verdict::Malformed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::op::ResponseCode;
    use hickory_proto::rr::{rdata::A, Record};

    fn question() -> Question {
        Question { name: parse_name("www.example.test").unwrap(), rtype: RecordType::A }
    }

    fn response(id: u16, name: &str, truncated: bool) -> Vec<u8> {
        let mut message = Message::new(id, MessageType::Response, OpCode::Query);
        message.metadata.truncation = truncated;
        message.metadata.response_code = ResponseCode::NoError;
        message.add_query(Query::query(parse_name(name).unwrap(), RecordType::A));
        message.add_answer(Record::from_rdata(parse_name(name).unwrap(), 60, RData::A(A::new(192, 0, 2, 1))));
        message.to_vec().unwrap()
    }

    #[test]
    fn query_round_trips_with_edns() {
        let bytes = build_query(0x1234, &question(), Flags::default()).unwrap();
        let message = Message::from_vec(&bytes).unwrap();
        assert_eq!(message.metadata.id, 0x1234);
        assert!(message.metadata.recursion_desired);
        assert_eq!(message.edns.as_ref().map(|e| e.max_payload()), Some(EDNS_PAYLOAD));
    }

    #[test]
    fn answers_are_checked_for_id_question_and_truncation() {
        let q = question();
        assert!(matches!(check_answer(&response(7, "www.example.test", false), 7, &q), Verdict::Answer(_)));
        assert!(matches!(check_answer(&response(7, "WWW.Example.TEST", false), 7, &q), Verdict::Answer(_)));
        assert!(matches!(check_answer(&response(8, "www.example.test", false), 7, &q), Verdict::WrongId));
        assert!(matches!(check_answer(&response(7, "evil.example.test", false), 7, &q), Verdict::WrongQuestion));
        assert!(matches!(check_answer(&response(7, "www.example.test", true), 7, &q), Verdict::Truncated));
        assert!(matches!(check_answer(&[0, 7, 0x80], 7, &q), Verdict::Malformed));
        let mut cut = response(7, "www.example.test", false);
        cut.truncate(cut.len() - 3);
        assert!(matches!(check_answer(&cut, 7, &q), Verdict::Malformed));
    }

    #[test]
    fn names_and_types() {
        assert_eq!(name_text(&parse_name("www.example.com.").unwrap()), "www.example.com");
        assert_eq!(name_text(&Name::root()), ".");
        assert!(parse_name("").is_err());
        assert!(parse_name(&"a".repeat(64)).is_err());
        assert_eq!(record_type_from_name("mx"), Some(RecordType::MX));
        assert_eq!(record_type_from_name("TYPE65280"), Some(RecordType::Unknown(65280)));
        assert_eq!(record_type_from_name("nonsense"), None);
        assert_eq!(record_type_name(RecordType::Unknown(65280)), "TYPE65280");
        assert_eq!(rdata_text(&RData::A(A::new(1, 2, 3, 4))), "1.2.3.4");
        let txt = RData::TXT(hickory_proto::rr::rdata::TXT::from_bytes(vec![b"a \"q\"", b"\x01\\"]));
        assert_eq!(rdata_text(&txt), r#""a \"q\"" "\001\\""#);
    }
}
