//! Response bodies: a whole body sent at once, or chunks a handler writes while the client
//! already receives (a bounded channel, so a slow client slows the writer instead of buffering).

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::{Either, Full};
use hyper::body::{Body, Frame};
use tokio::sync::mpsc;

use crate::compress::GzipStream;

/// Chunks queued between a writing handler and the connection.
pub(crate) const STREAM_QUEUE: usize = 16;

/// A body fed by `res:write(chunk)`; it ends when the sender is dropped (`res:finish()`).
pub(crate) struct ChannelBody {
    chunks: mpsc::Receiver<Bytes>,
    /// Set when the response is gzipped as it streams.
    gzip: Option<GzipStream>,
}

impl ChannelBody {
    pub(crate) fn new(gzip: bool) -> (mpsc::Sender<Bytes>, ChannelBody) {
        let (sender, chunks) = mpsc::channel(STREAM_QUEUE);
        (sender, ChannelBody { chunks, gzip: gzip.then(GzipStream::new) })
    }
}

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        match this.chunks.poll_recv(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(bytes)) => match this.gzip.as_mut() {
                None => Poll::Ready(Some(Ok(Frame::data(bytes)))),
                Some(gzip) => Poll::Ready(Some(gzip.chunk(&bytes).map(Frame::data))),
            },
            // the end of a gzipped stream carries gzip's trailer
            Poll::Ready(None) => match this.gzip.take() {
                Some(mut gzip) => Poll::Ready(Some(gzip.finish().map(Frame::data))),
                None => Poll::Ready(None),
            },
        }
    }
}

/// What the server sends: a complete body or a stream.
pub(crate) type ResponseBody = Either<Full<Bytes>, ChannelBody>;
