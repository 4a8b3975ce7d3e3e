//! The HTTP client: pooled hyper clients per Lua state (one per set of trusted CAs), so
//! requests to the same host reuse kept-alive connections. HTTPS through rustls, with HTTP/2
//! when the server offers it by ALPN.

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request, StatusCode};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use mlua::{IntoLuaMulti, Lua, MultiValue, Result as LuaResult, Table};

use tinn_reactor::ScriptError;

use crate::error::HttpError;
use crate::request::{header_map, header_table};

/// Redirects followed before a request gives up.
const MAX_REDIRECTS: usize = 10;

/// The most a compressed response may grow to when decoded (a small download must not expand
/// into all memory).
const MAX_DECODED_BODY: u64 = 1 << 30;

type HttpClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// What a Lua state keeps per extra CA (PEM) it trusts, `None` being the system roots: the
/// HTTP clients (`Rc<HttpClient>`) and the TLS settings of `wss://` connections. Reading the
/// system's CA bundle for each connection would cost more than the handshake.
struct PerCa<V>(HashMap<Option<String>, V>);

impl<V> Default for PerCa<V> {
    fn default() -> Self {
        PerCa(HashMap::new())
    }
}

/// The state's `V` for `ca`, made from its TLS settings the first time.
fn per_ca<V: Clone + 'static>(lua: &Lua, ca: Option<String>, make: impl FnOnce(rustls::ClientConfig) -> V) -> Result<V, HttpError> {
    let mut cache = lua.remove_app_data::<PerCa<V>>().unwrap_or_default();
    let value = match cache.0.get(&ca) {
        Some(value) => Ok(value.clone()),
        None => tinn_tls::client_config(ca.as_deref()).map(|config| {
            let value = make(config);
            cache.0.insert(ca, value.clone());
            value
        }),
    };
    lua.set_app_data(cache);
    Ok(value?)
}

fn websocket_tls(lua: &Lua, ca: Option<String>) -> Result<Arc<rustls::ClientConfig>, HttpError> {
    per_ca(lua, ca, Arc::new)
}

fn pooled(lua: &Lua, ca: Option<String>) -> Result<Rc<HttpClient>, HttpError> {
    per_ca(lua, ca, |config| {
        let mut http = HttpConnector::new();
        http.set_nodelay(true);
        http.enforce_http(false);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(config)
            .https_or_http()
            // HTTP/2 when the server offers it by ALPN, HTTP/1.1 otherwise (and over plain http)
            .enable_all_versions()
            .wrap_connector(http);
        Rc::new(Client::builder(TokioExecutor::new()).build(connector))
    })
}

/// What a finished request hands back: status, headers, body, and the HTTP version used.
struct Fetched {
    status: StatusCode,
    headers: hyper::HeaderMap,
    body: Bytes,
    version: hyper::Version,
}

async fn fetch(
    client: Rc<HttpClient>,
    mut method: Method,
    mut url: url::Url,
    headers: hyper::HeaderMap,
    mut body: Bytes,
    follow_redirects: bool,
) -> Result<Fetched, HttpError> {
    for _ in 0..=MAX_REDIRECTS {
        if url.scheme() != "http" && url.scheme() != "https" {
            return Err(HttpError::UnsupportedScheme {
                op: "request",
                url: url.to_string(),
                scheme: url.scheme().to_owned(),
                expected: "http:// or https://",
            });
        }
        let mut request = Request::builder()
            .method(method.clone())
            .uri(url.as_str())
            .body(Full::new(body.clone()))
            .map_err(|e| request_failed(&url, &e))?;
        *request.headers_mut() = headers.clone();
        // brotli and gzip are decoded below; a script that names its own accept-encoding gets
        // the bytes as sent
        let decode = !headers.contains_key(hyper::header::ACCEPT_ENCODING);
        if decode {
            request.headers_mut().insert(hyper::header::ACCEPT_ENCODING, hyper::header::HeaderValue::from_static("br, gzip"));
        }
        let response = client.request(request).await.map_err(|e| request_failed(&url, &e))?;
        let status = response.status();
        let location = response.headers().get(hyper::header::LOCATION).and_then(|l| l.to_str().ok()).map(str::to_owned);
        if follow_redirects && status.is_redirection() {
            if let Some(location) = location {
                url = url.join(&location).map_err(|source| HttpError::BadRedirect { url: url.to_string(), location, source })?;
                if status == StatusCode::SEE_OTHER || (method == Method::POST && status.as_u16() < 303) {
                    method = Method::GET;
                    body = Bytes::new();
                }
                continue;
            }
        }
        let (head, incoming) = response.into_parts();
        let mut body = incoming
            .collect()
            .await
            .map_err(|e| HttpError::Request { url: url.to_string(), reason: format!("reading body: {e}") })?
            .to_bytes();
        let coding = head.headers.get(hyper::header::CONTENT_ENCODING).and_then(|v| crate::compress::Encoding::of(v.as_bytes()));
        if let (true, Some(coding)) = (decode, coding) {
            body = crate::compress::decode(&body, coding, MAX_DECODED_BODY)
                .map_err(|e| HttpError::Request { url: url.to_string(), reason: e.to_string() })?;
        }
        return Ok(Fetched { status, headers: head.headers, body, version: head.version });
    }
    Err(HttpError::TooManyRedirects { url: url.to_string(), limit: MAX_REDIRECTS })
}

/// A request's failure, by its innermost cause (hyper-util wraps it: refused, reset...).
fn request_failed(url: &url::Url, e: &dyn std::error::Error) -> HttpError {
    let mut cause = e;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    HttpError::Request { url: url.to_string(), reason: cause.to_string() }
}

/// `native.request(method, url, headers, body, followRedirects, ca)` → status, headers, body,
/// version (`"HTTP/2.0"`, `"HTTP/1.1"`...), or nil, message.
pub(crate) fn http_client_request(
    lua: &Lua,
    (method, url, headers, body, follow_redirects, ca): (String, String, Option<Table>, Option<mlua::LuaString>, bool, Option<String>),
) -> LuaResult<MultiValue> {
    let method = match Method::from_bytes(method.as_bytes()) {
        Ok(method) => method,
        Err(_) => return HttpError::InvalidMethod(method).into_failure(lua),
    };
    let url = match url::Url::parse(&url) {
        Ok(url) => url,
        Err(source) => return HttpError::InvalidUrl { url, source }.into_failure(lua),
    };
    let headers = match header_map(headers) {
        Ok(headers) => headers,
        Err(err) => return err.into_failure(lua),
    };
    let body = body.map(|b| Bytes::copy_from_slice(&b.as_bytes())).unwrap_or_default();
    let client = match pooled(lua, ca) {
        Ok(client) => client,
        Err(err) => return err.into_failure(lua),
    };
    tinn_reactor::start(lua, async move {
        let outcome = fetch(client, method, url, headers, body, follow_redirects).await;
        tinn_reactor::completion(move |lua| match outcome {
            Ok(fetched) => (
                fetched.status.as_u16(),
                header_table(lua, &fetched.headers)?,
                lua.create_string(&fetched.body)?,
                format!("{:?}", fetched.version),
            )
                .into_lua_multi(lua),
            Err(err) => err.into_failure(lua),
        })
    })
}

/// `native.websocket(url, ca)` → WebSocket, or nil, message. `ws://` and `wss://` (trusting
/// the system's CAs and `ca`, PEM text, like https).
pub(crate) fn http_websocket_connect(lua: &Lua, (url, ca): (String, Option<String>)) -> LuaResult<MultiValue> {
    let parsed = match url::Url::parse(&url) {
        Ok(parsed) if parsed.scheme() == "ws" || parsed.scheme() == "wss" => parsed,
        Ok(parsed) => {
            let scheme = parsed.scheme().to_owned();
            return HttpError::UnsupportedScheme { op: "websocket", url, scheme, expected: "ws:// or wss://" }.into_failure(lua);
        }
        Err(source) => return HttpError::InvalidUrl { url, source }.into_failure(lua),
    };
    let host = parsed.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']').to_string();
    let port = parsed.port_or_known_default().unwrap_or(80);
    let tls = if parsed.scheme() == "wss" {
        let server_name = match rustls::pki_types::ServerName::try_from(host.clone()) {
            Ok(name) => name,
            Err(e) => return HttpError::WebSocket { url, reason: format!("bad host name: {e}") }.into_failure(lua),
        };
        match websocket_tls(lua, ca) {
            Ok(config) => Some((tokio_rustls::TlsConnector::from(config), server_name)),
            Err(err) => return err.into_failure(lua),
        }
    } else {
        None
    };
    tinn_reactor::start(lua, async move {
        let failed = |reason: String| HttpError::WebSocket { url: url.clone(), reason };
        let outcome = async {
            let tcp = tokio::net::TcpStream::connect((host.as_str(), port))
                .await
                .map_err(|e| failed(format!("connect: {e}")))?;
            // the handshake is a few small writes; Nagle would only delay it
            let _ = tcp.set_nodelay(true);
            let io: Box<dyn crate::websocket::Io> = match tls {
                Some((connector, server_name)) => Box::new(
                    connector.connect(server_name, tcp).await.map_err(|e| failed(e.to_string()))?,
                ),
                None => Box::new(tcp),
            };
            tokio_tungstenite::client_async(url.as_str(), io)
                .await
                .map(|(stream, _)| stream)
                .map_err(|e| failed(e.to_string()))
        }
        .await;
        tinn_reactor::completion(move |lua| match outcome {
            Ok(stream) => lua.create_userdata(crate::websocket::WebSocketHandle::new(stream))?.into_lua_multi(lua),
            Err(err) => err.into_failure(lua),
        })
    })
}
