//! The HTTP client: one pooled hyper client per Lua state, so requests to the same host reuse
//! kept-alive connections.

use std::rc::Rc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use mlua::{IntoLuaMulti, Lua, MultiValue, Result as LuaResult, Table, Value};

use crate::request::{header_map, header_table};

/// Redirects followed before a request gives up.
const MAX_REDIRECTS: usize = 10;

type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// The per-state client, kept in the Lua state's app data.
struct Pool(Rc<HttpClient>);

fn pooled(lua: &Lua) -> Rc<HttpClient> {
    if let Some(pool) = lua.app_data_ref::<Pool>() {
        return Rc::clone(&pool.0);
    }
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    let client = Rc::new(Client::builder(TokioExecutor::new()).build(connector));
    lua.set_app_data(Pool(Rc::clone(&client)));
    client
}

/// What a finished request hands back: status, headers, body.
struct Fetched {
    status: StatusCode,
    headers: hyper::HeaderMap,
    body: Bytes,
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
        if url.scheme() != "http" {
            return Err(format!("request '{url}': unsupported scheme '{}' (tinn speaks http:// so far)", url.scheme()));
        }
        let mut request = Request::builder()
            .method(method.clone())
            .uri(url.as_str())
            .body(Full::new(body.clone()))
            .map_err(|e| format!("request '{url}': {e}"))?;
        *request.headers_mut() = headers.clone();
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
        let body = incoming.collect().await.map_err(|e| format!("request '{url}': reading body: {e}"))?.to_bytes();
        return Ok(Fetched { status, headers: head.headers, body });
    }
    Err(format!("request '{url}': more than {MAX_REDIRECTS} redirects"))
}

/// `native.request(method, url, headers, body, followRedirects)` → status, headers, body, or
/// nil, message.
pub(crate) fn http_client_request(
    lua: &Lua,
    (method, url, headers, body, follow_redirects): (String, String, Option<Table>, Option<mlua::LuaString>, bool),
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
    let client = pooled(lua);
    tinn_reactor::start(lua, async move {
        let outcome = fetch(client, method, url, headers, body, follow_redirects).await;
        tinn_reactor::completion(move |lua| match outcome {
            Ok(fetched) => (
                fetched.status.as_u16(),
                header_table(lua, &fetched.headers)?,
                lua.create_string(&fetched.body)?,
            )
                .into_lua_multi(lua),
            Err(message) => (Value::Nil, message).into_lua_multi(lua),
        })
    })
}
