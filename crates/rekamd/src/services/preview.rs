//! Forwarding a capture's updates to its gRPC stream with previews dropped, never queued.
//!
//! Queueing every update (64 from the station, then more for the transport) is right for
//! prompts, guidance, steps and attempts but wrong for previews: measured with a
//! client reading 5 frames a second from a 30 fps camera, the queues held the frames back
//! 20-50 s (BENCHMARKS.md). Here a preview never waits in a queue behind another preview:
//! - the newest preview not yet handed on waits in one slot, and a newer one replaces it
//!   (the older is dropped: the gap in `PreviewFrame.seq` shows it);
//! - the stream's outgoing channel holds one message, and the slot's preview goes into it
//!   only when it is empty, i.e. when the transport has taken the previous message;
//! - every other update keeps its order: the waiting preview goes first, then the update,
//!   which waits for room (prompts and attempts are never dropped).
//!
//! So the daemon holds at most two previews for a stream (the slot and the channel), plus
//! what tonic has encoded and HTTP/2 flow control lets through to the client. What the client
//! has received but not read is bounded by its own HTTP/2 stream window: a preview client
//! should keep it small (BENCHMARKS.md measures 64 KiB against the 2 MiB default).

use tokio::sync::mpsc;

use super::ResponseStream;
use tonic::Status;

/// [`super::forward`] where updates for which `droppable` is true (previews) are
/// latest-wins, as the module doc describes. With nothing droppable it is `super::forward`.
pub fn forward<U, T, R, Fut>(
    run: impl FnOnce(mpsc::Sender<U>) -> Fut + Send + 'static,
    map: impl Fn(U) -> T + Send + 'static,
    droppable: impl Fn(&U) -> bool + Send + 'static,
    last: impl FnOnce(R) -> Option<Result<T, Status>> + Send + 'static,
) -> ResponseStream<T>
where
    U: Send + 'static,
    T: Send + 'static,
    R: Send + 'static,
    Fut: std::future::Future<Output = R> + Send + 'static,
{
    let (out, rx) = mpsc::channel::<Result<T, Status>>(1);
    tokio::spawn(async move {
        let (utx, mut urx) = mpsc::channel::<U>(64);
        let fut = run(utx);
        tokio::pin!(fut);
        let mut waiting: Option<U> = None;
        let result = loop {
            tokio::select! {
                biased;
                r = &mut fut => break r,
                Some(update) = urx.recv() => {
                    if droppable(&update) {
                        // Replaces (drops) an older preview still waiting.
                        waiting = Some(update);
                        continue;
                    }
                    let preview = waiting.take().map(&map);
                    let update = map(update);
                    let mut gone = false;
                    for message in preview.into_iter().chain([update]) {
                        if out.send(Ok(message)).await.is_err() {
                            gone = true;
                            break;
                        }
                    }
                    if gone {
                        // The client went away: the closed update channel tells the command,
                        // which cancels its device call and winds down consistently.
                        drop(urx);
                        let _ = fut.await;
                        return;
                    }
                }
                permit = out.reserve(), if waiting.is_some() => {
                    let Ok(permit) = permit else {
                        drop(urx);
                        let _ = fut.await;
                        return;
                    };
                    if let Some(preview) = waiting.take() {
                        permit.send(Ok(map(preview)));
                    }
                }
            }
        };
        // The command is over: what it sent last still goes out, in order, previews still
        // latest-wins (only the newest before each other update).
        let mut rest = Vec::new();
        while let Ok(update) = urx.try_recv() {
            if droppable(&update) {
                waiting = Some(update);
            } else {
                rest.extend(waiting.take());
                rest.push(update);
            }
        }
        rest.extend(waiting);
        for update in rest {
            if out.send(Ok(map(update))).await.is_err() {
                return;
            }
        }
        if let Some(last) = last(result) {
            let _ = out.send(last).await;
        }
    });
    Box::pin(tokio_stream::wrappers::ReceiverStream::new(rx))
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Update {
        Preview(u64),
        Prompt(u64),
    }

    /// A command that, on a thread of its own as a device call is, sends `frames` previews
    /// 100 µs apart the way the station's sink does (try_send, dropped when the queue is
    /// full), with a prompt every 1000; `produced` follows the camera.
    async fn camera(tx: mpsc::Sender<Update>, frames: u64, produced: Arc<AtomicU64>) -> u64 {
        tokio::task::spawn_blocking(move || {
            for seq in 0..frames {
                if seq % 1000 == 0 {
                    let _ = tx.blocking_send(Update::Prompt(seq));
                }
                let _ = tx.try_send(Update::Preview(seq));
                produced.store(seq + 1, Ordering::SeqCst);
                std::thread::sleep(Duration::from_micros(100));
            }
            frames
        })
        .await
        .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_slow_client_gets_the_newest_previews_and_every_prompt() {
        const FRAMES: u64 = 3_000;
        let produced = Arc::new(AtomicU64::new(0));
        let p = produced.clone();
        let mut stream = forward(
            move |tx| camera(tx, FRAMES, p),
            |u| u,
            |u| matches!(u, Update::Preview(_)),
            |n: u64| Some(Ok(Update::Prompt(n))),
        );
        // The client reads one message every 3 ms: 30 camera frames go by in between.
        let mut got = Vec::new();
        let mut lags = Vec::new();
        while let Some(item) = stream.next().await {
            let item = item.unwrap();
            if let Update::Preview(seq) = item {
                lags.push(produced.load(Ordering::SeqCst) - seq);
            }
            got.push(item);
            tokio::time::sleep(Duration::from_millis(3)).await;
        }
        // The command's result comes last.
        assert_eq!(got.pop(), Some(Update::Prompt(FRAMES)));
        let prompts: Vec<u64> = got
            .iter()
            .filter_map(|u| match u {
                Update::Prompt(s) => Some(*s),
                _ => None,
            })
            .collect();
        assert_eq!(
            prompts,
            (0..FRAMES / 1000).map(|i| i * 1000).collect::<Vec<_>>(),
            "every prompt, in order"
        );
        let previews: Vec<u64> = got
            .iter()
            .filter_map(|u| match u {
                Update::Preview(s) => Some(*s),
                _ => None,
            })
            .collect();
        assert!(
            previews.windows(2).all(|w| w[0] < w[1]),
            "previews in order"
        );
        assert_eq!(previews.last(), Some(&(FRAMES - 1)), "the newest arrives");
        assert!(
            previews.len() < (FRAMES / 4) as usize,
            "{} of {FRAMES} previews reached a client slower than the camera: not dropped",
            previews.len()
        );
        // Each preview is close to the camera's newest when the client reads it: at most the
        // slot and the outgoing channel held it (a queue of every frame would fall behind by
        // thousands here, as the 64 + 32 queues of `super::forward` did).
        let worst = lags.iter().max().copied().unwrap_or(0);
        assert!(
            worst < 300,
            "a preview was {worst} frames behind the camera when read: queued, not dropped"
        );
    }

    #[tokio::test]
    async fn a_client_that_leaves_cancels_the_command() {
        let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
        let stream = forward(
            move |tx: mpsc::Sender<Update>| async move {
                let _done = done_tx;
                loop {
                    if tx.send(Update::Prompt(0)).await.is_err() {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            },
            |u| u,
            |u| matches!(u, Update::Preview(_)),
            |(): ()| None,
        );
        drop(stream);
        // The command's future is dropped (its sender half with it) within a second.
        tokio::time::timeout(Duration::from_secs(1), done_rx)
            .await
            .expect("the command ends when the client leaves")
            .expect_err("dropped, not completed");
    }
}
