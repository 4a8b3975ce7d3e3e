---@meta
-- Type definitions for tinn.dns and DNSNameServer (docs/dns.md).

---One DNS record. Every record has name, type, class, ttl and data; the other fields depend on
---the type.
---@class DnsRecord
---@field name string owner name, without the trailing dot
---@field type string "A", "AAAA", "MX", ... ("TYPE<n>" for types without a mnemonic)
---@field class string "IN"
---@field ttl integer seconds (0 for hosts-file answers)
---@field data string the record data in zone-file form, as dig prints it
---@field address? string A, AAAA
---@field preference? integer MX
---@field exchange? string MX
---@field target? string CNAME, NS, PTR, SRV
---@field priority? integer SRV
---@field weight? integer SRV
---@field port? integer SRV
---@field text? string TXT: the character strings joined
---@field strings? string[] TXT: the character strings
---@field mname? string SOA
---@field rname? string SOA
---@field serial? integer SOA
---@field refresh? integer SOA
---@field retry? integer SOA
---@field expire? integer SOA
---@field minimum? integer SOA
---@field source? "hosts" set on answers taken from the hosts file

---A list of records: an array, and also its own iterator (`for record in ns:A(name) do`).
---@class DnsRecordList: DnsRecord[]
---@overload fun(): DnsRecord|nil

---A whole DNS answer.
---@class DnsMessage
---@field id integer transaction id
---@field rcode string "NOERROR", "NXDOMAIN", "SERVFAIL", "REFUSED", ...
---@field flags {authoritative: boolean, truncated: boolean, recursionDesired: boolean, recursionAvailable: boolean, authenticData: boolean, checkingDisabled: boolean}
---@field question {name: string, type: string, class: string}
---@field answers DnsRecord[]
---@field authority DnsRecord[]
---@field additional DnsRecord[]
---@field edns? {payload: integer, version: integer, dnssecOk: boolean}
---@field server string "127.0.0.1:53"
---@field protocol "udp"|"tcp"
---@field elapsed number milliseconds from the first send to the answer

---Counters of one name server (or resolver) over its life.
---@class DnsStats
---@field queries integer
---@field answers integer
---@field timeouts integer
---@field errors integer
---@field retransmits integer
---@field truncated integer answers that came back truncated (TC) and were asked again over TCP
---@field tcp integer queries asked over TCP
---@field dropped integer wrongId + wrongSource + wrongQuestion + malformed
---@field wrongId integer datagrams with another transaction id
---@field wrongSource integer datagrams from another address or port
---@field wrongQuestion integer our id, but another question
---@field malformed integer datagrams that are not a DNS response

---@alias DnsType "A"|"AAAA"|"MX"|"CNAME"|"SRV"|"TXT"|"NS"|"PTR"|"SOA"|"CAA"|"ANY"|string|integer

---A DNS server to query directly (TINN's DNSNameServer).
---@class DNSNameServer
---@field server string its address
---@field port integer
---@field timeout? number default timeout (ms) of its queries; nil: 5000
---@overload fun(server?: string, port?: integer, opts?: {timeout?: number, tcp?: boolean, recursion?: boolean, edns?: boolean}): DNSNameServer
local DNSNameServer = {}

---Asks the server one question. From a fresh random port with a random id; lost datagrams are
---sent again with backoff until the timeout; answers with another id, source or question are
---dropped (counted in `stats()`); a truncated answer is asked again over TCP.
---Returns the answer records of the type asked ("ANY": all) and the whole message; NODATA is
---an empty list. Failures: an empty list whose `err` field is the error, and the error as second
---value: "NXDOMAIN" | "SERVFAIL" | "REFUSED" | "<RCODE>" (with the message third), "timeout",
---"malformed response", or an OS error naming the address; so `for r in ns:A(name)` runs zero
---times on a failure (TINN's idiom).
---Errors: raises on a non-string or invalid name, an unknown type or a bad timeout.
---@async
---@param name string
---@param type? DnsType nil: "A" (TINN's default)
---@param timeoutMs? number default: the server's timeout, else 5000
---@return DnsRecordList records empty on failure, with `err` set
---@return DnsMessage|string message the whole answer, or the error
---@return DnsMessage|nil message on an error RCODE: the whole answer
function DNSNameServer:Query(name, type, timeoutMs) end

---@async
---@param name string
---@param timeoutMs? number
---@return DnsRecordList records empty on failure, with `err` set
---@return DnsMessage|string message
function DNSNameServer:A(name, timeoutMs) end

---@async
---@param name string
---@param timeoutMs? number
---@return DnsRecordList records empty on failure, with `err` set
---@return DnsMessage|string message
function DNSNameServer:AAAA(name, timeoutMs) end

---@async
---@param name string
---@param timeoutMs? number
---@return DnsRecordList records empty on failure, with `err` set
---@return DnsMessage|string message
function DNSNameServer:MX(name, timeoutMs) end

---@async
---@param name string
---@param timeoutMs? number
---@return DnsRecordList records empty on failure, with `err` set
---@return DnsMessage|string message
function DNSNameServer:CNAME(name, timeoutMs) end

---@async
---@param name string
---@param timeoutMs? number
---@return DnsRecordList records empty on failure, with `err` set
---@return DnsMessage|string message
function DNSNameServer:SRV(name, timeoutMs) end

---@async
---@param name string
---@param timeoutMs? number
---@return DnsRecordList records empty on failure, with `err` set
---@return DnsMessage|string message
function DNSNameServer:TXT(name, timeoutMs) end

---@async
---@param name string
---@param timeoutMs? number
---@return DnsRecordList records empty on failure, with `err` set
---@return DnsMessage|string message
function DNSNameServer:NS(name, timeoutMs) end

---@async
---@param name string e.g. "10.2.0.192.in-addr.arpa"
---@param timeoutMs? number
---@return DnsRecordList records empty on failure, with `err` set
---@return DnsMessage|string message
function DNSNameServer:PTR(name, timeoutMs) end

---@async
---@param name string
---@param timeoutMs? number
---@return DnsRecordList records empty on failure, with `err` set
---@return DnsMessage|string message
function DNSNameServer:SOA(name, timeoutMs) end

---@return DnsStats
function DNSNameServer:stats() end

---Sets the default timeout of this server's queries (nil: 5000 ms).
---@param ms? number
function DNSNameServer:settimeout(ms) end

---TINN's spelling of `DNSNameServer(server, port, opts)`.
---Errors: raises if `server` is not an IP address or the port is outside 0-65535.
---@param server? string an IP address; nil: the system's first nameserver
---@param port? integer default 53
---@param opts? {timeout?: number, tcp?: boolean, recursion?: boolean, edns?: boolean}
---@return DNSNameServer
function DNSNameServer:create(server, port, opts) end

---A stub resolver: hosts file first, then nameservers with search list and ndots.
---@class DnsResolver
local DnsResolver = {}

---Looks a name up. Without a type: A and AAAA records, IPv4 first. IP literals answer at
---once; addresses come from the hosts file first (records with source = "hosts"); then the
---nameservers are asked in turn (`attempts` rounds, `timeout` per try), trying the search list
---as glibc does (`ndots`). NODATA is an empty list.
---Errors: raises on a non-string or invalid name, an unknown type or a bad timeout.
---@async
---@param name string
---@param type? DnsType
---@param timeoutMs? number overall limit; nil: the resolv.conf schedule decides
---@return DnsRecordList records empty on failure, with `err` set
---@return string|nil err "NXDOMAIN", "SERVFAIL", "REFUSED", "timeout", ...
function DnsResolver:resolve(name, type, timeoutMs) end

---Names of an IP address: the hosts file, then a PTR query.
---Errors: raises if `ip` is not an IP address.
---@async
---@param ip string
---@param timeoutMs? number
---@return string[]|nil names
---@return string|nil err
function DnsResolver:reverse(ip, timeoutMs) end

---The settings in force (files are read again when they change).
---@return {nameservers: string[], search: string[], ndots: integer, timeout: number, attempts: integer, rotate: boolean, resolvConf?: string, hosts?: string}
function DnsResolver:config() end

---@return DnsStats
function DnsResolver:stats() end

---@class tinn.dns
---@field DNSNameServer DNSNameServer the name-server class (also `require("DNSNameServer")`)
---@field NameServer DNSNameServer the same class
local dns = {}

---Looks a name up with the system's resolver: /etc/hosts, then the nameservers, search list,
---ndots, timeout and attempts of /etc/resolv.conf (`LOCALDOMAIN` and `RES_OPTIONS` honoured).
---Errors: raises on a non-string or invalid name, an unknown type or a bad timeout.
---@async
---@param name string
---@param type? DnsType nil: A and AAAA
---@param timeoutMs? number
---@return DnsRecordList records empty on failure, with `err` set
---@return string|nil err
function dns.resolve(name, type, timeoutMs) end

---Names of an IP address with the system's resolver: /etc/hosts, then PTR.
---Errors: raises if `ip` is not an IP address.
---@async
---@param ip string
---@param timeoutMs? number
---@return string[]|nil names
---@return string|nil err
function dns.reverse(ip, timeoutMs) end

---A resolver of its own. Options win over the files; `resolvConf` / `hosts` name other files
---(false: none). Nameservers are IP addresses with a port if not 53 ("127.0.0.1:5353", "[::1]:5353").
---Errors: raises on options of the wrong type or out of range (ndots 0-15, attempts 1-5).
---@param opts? {nameservers?: string[], search?: string[], ndots?: integer, timeout?: number, attempts?: integer, resolvConf?: string|false, hosts?: string|false}
---@return DnsResolver
function dns.resolver(opts) end

---The system resolver `dns.resolve` uses.
---@return DnsResolver
function dns.system() end

return dns
