//! Response bodies: a whole body sent at once, or chunks a handler writes while the client
//! already receives (a bounded channel, so a slow client slows the writer instead of buffering).

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::{Either, Full};
use hyper::body::{Body, Frame};
use tokio::sync::mpsc;

use crate::compress::{Encoding, StreamEncoder};

/// Chunks queued between a writing handler and the connection.
pub(crate) const STREAM_QUEUE: usize = 16;

/// A body fed by `res:write(chunk)`; it ends when the sender is dropped (`res:finish()`).
pub(crate) struct ChannelBody {
    chunks: mpsc::Receiver<Bytes>,
    /// Set when the response is compressed as it streams. Boxed: a gzip encoder's state inline
    /// would make every response body (moved several times per request) 160 bytes, not 40.
    encoder: Option<Box<StreamEncoder>>,
}

impl ChannelBody {
    pub(crate) fn new(coding: Option<Encoding>) -> (mpsc::Sender<Bytes>, ChannelBody) {
        let (sender, chunks) = mpsc::channel(STREAM_QUEUE);
        (sender, ChannelBody { chunks, encoder: coding.map(|coding| Box::new(StreamEncoder::new(coding, Vec::new()))) })
    }
}

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        match this.chunks.poll_recv(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(bytes)) => match this.encoder.as_mut() {
                None => Poll::Ready(Some(Ok(Frame::data(bytes)))),
                Some(encoder) => Poll::Ready(Some(encoder.chunk(&bytes).map(Frame::data))),
            },
            // the end of a compressed stream carries the coding's trailer
            Poll::Ready(None) => match this.encoder.take() {
                Some(mut encoder) => Poll::Ready(Some(encoder.finish().map(Frame::data))),
                None => Poll::Ready(None),
            },
        }
    }
}

/// What the server sends: a complete body or a stream.
pub(crate) type ResponseBody = Either<Full<Bytes>, ChannelBody>;
