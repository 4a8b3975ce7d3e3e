//! brotli and gzip for responses (`compress = true`) and for the client's downloads. A response
//! is compressed when the client accepts one of them (brotli preferred), its type is text-like
//! and it is not too small to gain; a streamed response is compressed chunk by chunk, each
//! flushed so the client sees it at once.

use std::io::{Read, Write};

use bytes::Bytes;
use flate2::write::GzEncoder;
use flate2::Compression;
use hyper::header::{HeaderMap, HeaderValue, ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, VARY};

use crate::error::HttpError;

/// Bodies smaller than this go out as they are: the coding's framing would eat the gain.
const MIN_COMPRESS_BYTES: usize = 256;

/// The content codings tinn compresses with, best first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Encoding {
    Brotli,
    Gzip,
}

impl Encoding {
    fn name(self) -> &'static str {
        match self {
            Encoding::Brotli => "br",
            Encoding::Gzip => "gzip",
        }
    }

    /// The coding a `content-encoding` header names, if tinn decodes it.
    pub(crate) fn of(content_encoding: &[u8]) -> Option<Encoding> {
        [Encoding::Brotli, Encoding::Gzip].into_iter().find(|e| content_encoding.eq_ignore_ascii_case(e.name().as_bytes()))
    }
}

/// brotli's quality for responses compressed as they go out (0-11): 4 is about gzip's speed and
/// smaller, and its encoder holds about 0.7 MiB while a streamed response is open (5 held 1.3
/// MiB, gzip 0.5); 11 would cost tens of times more CPU.
const BROTLI_QUALITY: u32 = 4;

/// brotli's window (log2 of bytes): 512 KiB, as nginx's brotli module. Smaller windows make the
/// encoder pick hash tables that take more memory, not less.
const BROTLI_WINDOW: u32 = 19;

/// What a streamed brotli encoder holds before it compresses.
const BROTLI_BUFFER: usize = 4096;

/// Whether the request's `accept-encoding` lists `coding` (or `*`) with a non-zero quality.
fn accepts(request: &HeaderMap, coding: Encoding) -> bool {
    request.get_all(ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(|item| {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or("").trim();
        let refused = parts.any(|p| {
            let p = p.trim();
            p.strip_prefix("q=").is_some_and(|q| q.trim().parse::<f32>().is_ok_and(|q| q <= 0.0))
        });
        (name.eq_ignore_ascii_case(coding.name()) || name == "*") && !refused
    })
}

/// The coding a response to this request is compressed with: brotli when the client accepts it
/// (smaller at the same cost), else gzip, else none.
pub(crate) fn preferred(request: &HeaderMap) -> Option<Encoding> {
    [Encoding::Brotli, Encoding::Gzip].into_iter().find(|&coding| accepts(request, coding))
}

/// Text-like types gain from compression; images, video and archives are compressed already.
fn compressible(headers: &HeaderMap) -> bool {
    let Some(kind) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else { return false };
    let kind = kind.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    kind.starts_with("text/")
        || kind.ends_with("+json")
        || kind.ends_with("+xml")
        || matches!(kind.as_str(), "application/json" | "application/javascript" | "application/xml" | "application/wasm" | "image/svg+xml")
}

/// Whether a response with these headers and `status` should be compressed (`length`: the whole
/// body's size, None when streamed).
pub(crate) fn should_compress(status: u16, headers: &HeaderMap, length: Option<usize>) -> bool {
    !matches!(status, 101 | 204 | 206 | 304)
        && length.is_none_or(|n| n >= MIN_COMPRESS_BYTES)
        && !headers.contains_key(CONTENT_ENCODING)
        && compressible(headers)
}

/// Marks `headers` as describing a body compressed with `coding`: the encoding set, a stale
/// length dropped, and `vary` so caches keep the forms apart.
pub(crate) fn mark_encoded(headers: &mut HeaderMap, coding: Encoding) {
    headers.insert(CONTENT_ENCODING, HeaderValue::from_static(coding.name()));
    headers.remove(CONTENT_LENGTH);
    headers.append(VARY, HeaderValue::from_static("accept-encoding"));
}

/// A whole body compressed with `coding`.
pub(crate) fn encode(body: &[u8], coding: Encoding) -> std::io::Result<Bytes> {
    let mut encoder = StreamEncoder::new(coding, Vec::with_capacity(body.len() / 3 + 64));
    encoder.write(body, false)?;
    encoder.finish()
}

/// A compressor over a stream of chunks: each `chunk` returns what can be sent now (flushed, so
/// the client can decode it at once), `finish` the end of the stream.
pub(crate) enum StreamEncoder {
    Gzip(GzEncoder<Vec<u8>>),
    Brotli(Box<brotli::CompressorWriter<Vec<u8>>>),
    Finished,
}

impl StreamEncoder {
    pub(crate) fn new(coding: Encoding, out: Vec<u8>) -> StreamEncoder {
        match coding {
            Encoding::Gzip => StreamEncoder::Gzip(GzEncoder::new(out, Compression::default())),
            Encoding::Brotli => {
                StreamEncoder::Brotli(Box::new(brotli::CompressorWriter::new(out, BROTLI_BUFFER, BROTLI_QUALITY, BROTLI_WINDOW)))
            }
        }
    }

    /// Compresses `data` into the output kept so far; `flush` makes all of it decodable now.
    fn write(&mut self, data: &[u8], flush: bool) -> std::io::Result<()> {
        let encoder: &mut dyn Write = match self {
            StreamEncoder::Gzip(encoder) => encoder,
            StreamEncoder::Brotli(encoder) => encoder.as_mut(),
            StreamEncoder::Finished => return Ok(()),
        };
        encoder.write_all(data)?;
        if flush {
            encoder.flush()?;
        }
        Ok(())
    }

    pub(crate) fn chunk(&mut self, data: &[u8]) -> std::io::Result<Bytes> {
        self.write(data, true)?;
        let out = match self {
            StreamEncoder::Gzip(encoder) => encoder.get_mut(),
            StreamEncoder::Brotli(encoder) => encoder.get_mut(),
            StreamEncoder::Finished => return Ok(Bytes::new()),
        };
        Ok(Bytes::from(std::mem::take(out)))
    }

    pub(crate) fn finish(&mut self) -> std::io::Result<Bytes> {
        match std::mem::replace(self, StreamEncoder::Finished) {
            StreamEncoder::Gzip(encoder) => encoder.finish().map(Bytes::from),
            StreamEncoder::Brotli(encoder) => Ok(Bytes::from(encoder.into_inner())),
            StreamEncoder::Finished => Ok(Bytes::new()),
        }
    }
}

/// The client's side: a body compressed with `coding` decoded, refusing more than `limit` bytes
/// of output (a small download must not expand into all memory).
pub(crate) fn decode(body: &[u8], coding: Encoding, limit: u64) -> Result<Bytes, HttpError> {
    let mut decoded = Vec::new();
    let read = match coding {
        Encoding::Gzip => flate2::read::MultiGzDecoder::new(body).take(limit + 1).read_to_end(&mut decoded),
        Encoding::Brotli => brotli::Decompressor::new(body, BROTLI_BUFFER).take(limit + 1).read_to_end(&mut decoded),
    };
    let coding = coding.name();
    read.map_err(|source| HttpError::Decode { coding, source })?;
    if decoded.len() as u64 > limit {
        return Err(HttpError::DecodedTooLarge { coding, limit });
    }
    Ok(Bytes::from(decoded))
}

#[cfg(test)]
mod tests {
    use super::{decode, encode, preferred, Encoding, StreamEncoder};
    use hyper::header::{HeaderMap, HeaderValue, ACCEPT_ENCODING};

    fn accepting(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT_ENCODING, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn brotli_is_preferred_when_accepted() {
        assert_eq!(preferred(&accepting("gzip, deflate, br")), Some(Encoding::Brotli));
        assert_eq!(preferred(&accepting("br;q=0, gzip")), Some(Encoding::Gzip));
        assert_eq!(preferred(&accepting("*")), Some(Encoding::Brotli));
        assert_eq!(preferred(&accepting("identity")), None);
        assert_eq!(preferred(&HeaderMap::new()), None);
    }

    #[test]
    fn whole_and_streamed_bodies_decode_to_the_original() {
        let text = "tinn compresses text ".repeat(500);
        for coding in [Encoding::Brotli, Encoding::Gzip] {
            let whole = encode(text.as_bytes(), coding).expect("encode");
            assert!(whole.len() < text.len() / 10, "{coding:?}");
            assert_eq!(decode(&whole, coding, 1 << 20).expect("decode"), text.as_bytes());
            let mut stream = StreamEncoder::new(coding, Vec::new());
            let mut streamed = stream.chunk(&text.as_bytes()[..4000]).expect("chunk").to_vec();
            streamed.extend_from_slice(&stream.chunk(&text.as_bytes()[4000..]).expect("chunk"));
            streamed.extend_from_slice(&stream.finish().expect("finish"));
            assert_eq!(decode(&streamed, coding, 1 << 20).expect("decode"), text.as_bytes());
            assert!(decode(&whole, coding, 100).is_err_and(|e| e.to_string().contains("larger than 100 bytes")), "{coding:?}");
        }
    }
}
