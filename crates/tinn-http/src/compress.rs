//! gzip for responses (`compress = true`) and for the client's downloads. A response is
//! compressed when the client accepts gzip, its type is text-like and it is not too small to
//! gain; a streamed response is compressed chunk by chunk, each flushed so the client sees it at
//! once.

use std::io::{Read, Write};

use bytes::Bytes;
use flate2::write::GzEncoder;
use flate2::Compression;
use hyper::header::{HeaderMap, HeaderValue, ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, VARY};

/// Bodies smaller than this go out as they are: gzip's header and trailer would eat the gain.
const MIN_COMPRESS_BYTES: usize = 256;

/// Whether the request's `accept-encoding` lists gzip (or `*`) with a non-zero quality.
pub(crate) fn accepts_gzip(request: &HeaderMap) -> bool {
    request.get_all(ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(|item| {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or("").trim();
        let refused = parts.any(|p| {
            let p = p.trim();
            p.strip_prefix("q=").is_some_and(|q| q.trim().parse::<f32>().is_ok_and(|q| q <= 0.0))
        });
        (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
    })
}

/// Text-like types gain from gzip; images, video and archives are compressed already.
fn compressible(headers: &HeaderMap) -> bool {
    let Some(kind) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else { return false };
    let kind = kind.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    kind.starts_with("text/")
        || kind.ends_with("+json")
        || kind.ends_with("+xml")
        || matches!(kind.as_str(), "application/json" | "application/javascript" | "application/xml" | "application/wasm" | "image/svg+xml")
}

/// Whether a response with these headers and `status` should be gzipped (`length`: the whole
/// body's size, None when streamed).
pub(crate) fn should_compress(status: u16, headers: &HeaderMap, length: Option<usize>) -> bool {
    !matches!(status, 101 | 204 | 206 | 304)
        && length.is_none_or(|n| n >= MIN_COMPRESS_BYTES)
        && !headers.contains_key(CONTENT_ENCODING)
        && compressible(headers)
}

/// Marks `headers` as describing a gzipped body: the encoding set, a stale length dropped, and
/// `vary` so caches keep both forms apart.
pub(crate) fn mark_gzipped(headers: &mut HeaderMap) {
    headers.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    headers.remove(CONTENT_LENGTH);
    headers.append(VARY, HeaderValue::from_static("accept-encoding"));
}

/// A whole body gzipped.
pub(crate) fn gzip(body: &[u8]) -> std::io::Result<Bytes> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(body.len() / 3 + 64), Compression::default());
    encoder.write_all(body)?;
    Ok(Bytes::from(encoder.finish()?))
}

/// gzip over a stream of chunks: each `chunk` returns what can be sent now (flushed, so the
/// client can decode it at once), `finish` the end of the stream.
pub(crate) struct GzipStream(Option<GzEncoder<Vec<u8>>>);

impl GzipStream {
    pub(crate) fn new() -> GzipStream {
        GzipStream(Some(GzEncoder::new(Vec::new(), Compression::default())))
    }

    pub(crate) fn chunk(&mut self, data: &[u8]) -> std::io::Result<Bytes> {
        let Some(encoder) = self.0.as_mut() else { return Ok(Bytes::new()) };
        encoder.write_all(data)?;
        encoder.flush()?;
        Ok(Bytes::from(std::mem::take(encoder.get_mut())))
    }

    pub(crate) fn finish(&mut self) -> std::io::Result<Bytes> {
        match self.0.take() {
            Some(encoder) => encoder.finish().map(Bytes::from),
            None => Ok(Bytes::new()),
        }
    }
}

/// The client's side: a gzip body decoded, refusing more than `limit` bytes of output (a small
/// download must not expand into all memory).
pub(crate) fn gunzip(body: &[u8], limit: u64) -> Result<Bytes, crate::error::HttpError> {
    let mut decoded = Vec::new();
    let mut decoder = flate2::read::MultiGzDecoder::new(body).take(limit + 1);
    decoder.read_to_end(&mut decoded).map_err(crate::error::HttpError::Gzip)?;
    if decoded.len() as u64 > limit {
        return Err(crate::error::HttpError::GzipTooLarge(limit));
    }
    Ok(Bytes::from(decoded))
}
