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
use mlua::{IntoLuaMulti, Lua, MultiValue, Result as LuaResult, Table, Value};

use crate::request::{header_map, header_table};

/// Redirects followed before a request gives up.
const MAX_REDIRECTS: usize = 10;

/// The most a compressed response may grow to when decoded (a small download must not expand
/// into all memory).
const MAX_DECODED_BODY: u64 = 1 << 30;

type HttpClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// The per-state clients, keyed by the extra CA (PEM) they trust; `None` is the system roots.
#[derive(Default)]
struct Pools(HashMap<Option<String>, Rc<HttpClient>>);

/// The per-state TLS settings of `wss://` connections, keyed like [`Pools`] (reading the
/// system's CA bundle for each connection would cost more than the handshake).
#[derive(Default)]
struct WebSocketTls(HashMap<Option<String>, Arc<rustls::ClientConfig>>);

fn websocket_tls(lua: &Lua, ca: Option<String>) -> Result<Arc<rustls::ClientConfig>, String> {
    if lua.app_data_ref::<WebSocketTls>().is_none() {
        lua.set_app_data(WebSocketTls::default());
    }
    let mut configs = lua.app_data_mut::<WebSocketTls>().ok_or("websocket tls settings are missing")?;
    if let Some(config) = configs.0.get(&ca) {
        return Ok(Arc::clone(config));
    }
    let config = Arc::new(tinn_tls::client_config(ca.as_deref())?);
    configs.0.insert(ca, Arc::clone(&config));
    Ok(config)
}


fn pooled(lua: &Lua, ca: Option<String>) -> Result<Rc<HttpClient>, String> {
    if lua.app_data_ref::<Pools>().is_none() {
        lua.set_app_data(Pools::default());
    }
    let mut pools = lua.app_data_mut::<Pools>().ok_or("http client pools are missing")?;
    if let Some(client) = pools.0.get(&ca) {
        return Ok(Rc::clone(client));
    }
    let mut http = HttpConnector::new();
    http.set_nodelay(true);
    http.enforce_http(false);
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tinn_tls::client_config(ca.as_deref())?)
        .https_or_http()
        // HTTP/2 when the server offers it by ALPN, HTTP/1.1 otherwise (and over plain http)
        .enable_all_versions()
        .wrap_connector(http);
    let client = Rc::new(Client::builder(TokioExecutor::new()).build(connector));
    pools.0.insert(ca, Rc::clone(&client));
    Ok(client)
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
) -> Result<Fetched, String> {
    for _ in 0..=MAX_REDIRECTS {
        if url.scheme() != "http" && url.scheme() != "https" {
            return Err(format!("request '{url}': unsupported scheme '{}' (use http:// or https://)", url.scheme()));
        }
        let mut request = Request::builder()
            .method(method.clone())
            .uri(url.as_str())
            .body(Full::new(body.clone()))
            .map_err(|e| format!("request '{url}': {e}"))?;
        *request.headers_mut() = headers.clone();
        // brotli and gzip are decoded below; a script that names its own accept-encoding gets
        // the bytes as sent
        let decode = !headers.contains_key(hyper::header::ACCEPT_ENCODING);
        if decode {
            request.headers_mut().insert(hyper::header::ACCEPT_ENCODING, hyper::header::HeaderValue::from_static("br, gzip"));
        }
        let response = client.request(request).await.map_err(|e| {
            // hyper-util wraps the cause (refused, reset...); show the innermost reason
            let mut cause: &dyn std::error::Error = &e;
            while let Some(inner) = cause.source() {
                cause = inner;
            }
            format!("request '{url}': {cause}")
        })?;
        let status = response.status();
        let location = response.headers().get(hyper::header::LOCATION).and_then(|l| l.to_str().ok()).map(str::to_owned);
        if follow_redirects && status.is_redirection() {
            if let Some(location) = location {
                url = url.join(&location).map_err(|e| format!("request '{url}': bad redirect '{location}': {e}"))?;
                if status == StatusCode::SEE_OTHER || (method == Method::POST && status.as_u16() < 303) {
                    method = Method::GET;
                    body = Bytes::new();
                }
                continue;
            }
        }
        let (head, incoming) = response.into_parts();
        let mut body = incoming.collect().await.map_err(|e| format!("request '{url}': reading body: {e}"))?.to_bytes();
        let coding = head.headers.get(hyper::header::CONTENT_ENCODING).and_then(|v| crate::compress::Encoding::of(v.as_bytes()));
        if let (true, Some(coding)) = (decode, coding) {
            body = crate::compress::decode(&body, coding, MAX_DECODED_BODY).map_err(|e| format!("request '{url}': {e}"))?;
        }
        return Ok(Fetched { status, headers: head.headers, body, version: head.version });
    }
    Err(format!("request '{url}': more than {MAX_REDIRECTS} redirects"))
}

/// `native.request(method, url, headers, body, followRedirects, ca)` → status, headers, body,
/// version (`"HTTP/2.0"`, `"HTTP/1.1"`...), or nil, message.
pub(crate) fn http_client_request(
    lua: &Lua,
    (method, url, headers, body, follow_redirects, ca): (String, String, Option<Table>, Option<mlua::LuaString>, bool, Option<String>),
) -> LuaResult<MultiValue> {
    let method = match Method::from_bytes(method.as_bytes()) {
        Ok(method) => method,
        Err(_) => return (Value::Nil, format!("invalid HTTP method '{method}'")).into_lua_multi(lua),
    };
    let url = match url::Url::parse(&url) {
        Ok(url) => url,
        Err(e) => return (Value::Nil, format!("invalid URL '{url}': {e}")).into_lua_multi(lua),
    };
    let headers = match header_map(headers) {
        Ok(headers) => headers,
        Err(message) => return (Value::Nil, message).into_lua_multi(lua),
    };
    let body = body.map(|b| Bytes::copy_from_slice(&b.as_bytes())).unwrap_or_default();
    let client = match pooled(lua, ca) {
        Ok(client) => client,
        Err(message) => return (Value::Nil, message).into_lua_multi(lua),
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
            Err(message) => (Value::Nil, message).into_lua_multi(lua),
        })
    })
}

/// `native.websocket(url, ca)` → WebSocket, or nil, message. `ws://` and `wss://` (trusting
/// the system's CAs and `ca`, PEM text, like https).
pub(crate) fn http_websocket_connect(lua: &Lua, (url, ca): (String, Option<String>)) -> LuaResult<MultiValue> {
    let parsed = match url::Url::parse(&url) {
        Ok(parsed) if parsed.scheme() == "ws" || parsed.scheme() == "wss" => parsed,
        Ok(parsed) => {
            return (Value::Nil, format!("websocket '{url}': unsupported scheme '{}' (use ws:// or wss://)", parsed.scheme())).into_lua_multi(lua)
        }
        Err(e) => return (Value::Nil, format!("invalid URL '{url}': {e}")).into_lua_multi(lua),
    };
    let host = parsed.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']').to_string();
    let port = parsed.port_or_known_default().unwrap_or(80);
    let tls = if parsed.scheme() == "wss" {
        let server_name = match rustls::pki_types::ServerName::try_from(host.clone()) {
            Ok(name) => name,
            Err(e) => return (Value::Nil, format!("websocket '{url}': bad host name: {e}")).into_lua_multi(lua),
        };
        match websocket_tls(lua, ca) {
            Ok(config) => Some((tokio_rustls::TlsConnector::from(config), server_name)),
            Err(message) => return (Value::Nil, message).into_lua_multi(lua),
        }
    } else {
        None
    };
    tinn_reactor::start(lua, async move {
        let outcome = async {
            let tcp = tokio::net::TcpStream::connect((host.as_str(), port))
                .await
                .map_err(|e| format!("websocket '{url}': connect: {e}"))?;
            // the handshake is a few small writes; Nagle would only delay it
            let _ = tcp.set_nodelay(true);
            let io: Box<dyn crate::websocket::Io> = match tls {
                Some((connector, server_name)) => Box::new(
                    connector.connect(server_name, tcp).await.map_err(|e| format!("websocket '{url}': {e}"))?,
                ),
                None => Box::new(tcp),
            };
            tokio_tungstenite::client_async(url.as_str(), io)
                .await
                .map(|(stream, _)| stream)
                .map_err(|e| format!("websocket '{url}': {e}"))
        }
        .await;
        tinn_reactor::completion(move |lua| match outcome {
            Ok(stream) => lua.create_userdata(crate::websocket::WebSocketHandle::new(stream))?.into_lua_multi(lua),
            Err(message) => (Value::Nil, message).into_lua_multi(lua),
        })
    })
}
