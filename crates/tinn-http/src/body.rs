//! Response bodies: a whole body sent at once, or chunks a handler writes while the client
//! already receives (a bounded channel, so a slow client slows the writer instead of buffering).

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::{Either, Full};
use hyper::body::{Body, Frame};
use tokio::sync::mpsc;

/// Chunks queued between a writing handler and the connection.
pub(crate) const STREAM_QUEUE: usize = 16;

/// A body fed by `res:write(chunk)`; it ends when the sender is dropped (`res:finish()`).
pub(crate) struct ChannelBody {
    chunks: mpsc::Receiver<Bytes>,
}

impl ChannelBody {
    pub(crate) fn new() -> (mpsc::Sender<Bytes>, ChannelBody) {
        let (sender, chunks) = mpsc::channel(STREAM_QUEUE);
        (sender, ChannelBody { chunks })
    }
}

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        self.chunks.poll_recv(cx).map(|chunk| chunk.map(|bytes| Ok(Frame::data(bytes))))
    }
}

/// What the server sends: a complete body or a stream.
pub(crate) type ResponseBody = Either<Full<Bytes>, ChannelBody>;
