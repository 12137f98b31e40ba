//! Streaming request bodies into blocking code: the body of `POST /api/v1/accounts/import` is
//! handed to the (synchronous, streaming) CSV importer chunk by chunk through a bounded
//! channel, so a large file is never held in memory and the HTTP worker never blocks.

use std::io::{self, Read};

use actix_web::web::{self, Bytes};
use actix_web::HttpRequest;
use futures_util::StreamExt;
use tokio::sync::mpsc;

use crate::web::error::AppError;

/// Chunks in flight between the HTTP worker and the importer.
const CHANNEL_CHUNKS: usize = 16;

/// A blocking `Read` over body chunks sent by the HTTP worker.
pub struct BodyReader {
    chunks: mpsc::Receiver<Result<Bytes, String>>,
    current: Bytes,
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.chunks.blocking_recv() {
                Some(Ok(chunk)) => self.current = chunk,
                Some(Err(message)) => return Err(io::Error::other(message)),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current = self.current.slice(n..);
        Ok(n)
    }
}

/// Runs `work` on the blocking thread pool with the request body as a `Read`, feeding it from
/// `payload`. A body over `limit` bytes is refused with 413: up front when `Content-Length`
/// says so, otherwise as soon as the limit is crossed (the reader then fails, so `work` sees a
/// read error and stops; the importer stores nothing of a file it could not read to its end,
/// so a 413 always means nothing was stored).
pub async fn with_body_reader<T: Send + 'static>(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
    work: impl FnOnce(BodyReader) -> T + Send + 'static,
) -> Result<T, AppError> {
    let too_large = || {
        AppError::PayloadTooLarge(format!(
            "the body is larger than the import limit of {} MiB (PLAYBOOK_MAX_IMPORT_MB); \
             import large files with `playbook import accounts FILE` while the server is stopped",
            limit / (1024 * 1024)
        ))
    };
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(too_large());
    }
    let (sender, receiver) = mpsc::channel(CHANNEL_CHUNKS);
    let reader = BodyReader {
        chunks: receiver,
        current: Bytes::new(),
    };
    let task = actix_web::rt::task::spawn_blocking(move || work(reader));
    let mut received = 0usize;
    let mut exceeded = false;
    while let Some(chunk) = payload.next().await {
        let message = match chunk {
            Ok(chunk) => {
                received += chunk.len();
                if received > limit {
                    exceeded = true;
                    Err("the body exceeded the import limit".to_owned())
                } else {
                    Ok(chunk)
                }
            }
            Err(e) => Err(format!("the request body could not be read: {e}")),
        };
        let stop = message.is_err();
        // The importer stops reading after a header error: nothing more to send.
        if sender.send(message).await.is_err() || stop {
            break;
        }
    }
    drop(sender);
    let result = task.await.map_err(AppError::internal)?;
    if exceeded {
        return Err(too_large());
    }
    Ok(result)
}
