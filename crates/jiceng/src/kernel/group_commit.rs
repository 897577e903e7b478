//! Group commit: many requests, one transaction. A request joins the queue and waits; one
//! drainer at a time takes everything queued (up to a cap) and writes it in one transaction, so
//! a burst of requests pays for one durable commit instead of one each. Each request is
//! answered only after the commit that holds it is durable.
//!
//! The drainer is a spawned task, not the request that happened to arrive first, so a client
//! that hangs up cannot cancel a transaction that holds other people's requests. When a batch
//! fails as a whole (a constraint one request broke, say), its requests are written again one
//! by one, so that one bad request fails alone.

use crate::error::AppError;
use crate::error::AppResult;
use crate::kernel::app::App;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// What writes a batch: every job in one transaction, a result for each, in order.
pub type Writer<J, R> =
    for<'a> fn(&'a App, &'a [J]) -> Pin<Box<dyn Future<Output = AppResult<Vec<R>>> + Send + 'a>>;

type Reply<R> = oneshot::Sender<AppResult<R>>;

struct Inner<J, R> {
    queued: Vec<(J, Reply<R>)>,
    draining: bool,
}

/// A queue of jobs of one kind.
pub struct Queue<J, R> {
    inner: Mutex<Inner<J, R>>,
    max_batch: usize,
    writer: Writer<J, R>,
}

impl<J: Send + Sync + 'static, R: Send + 'static> Queue<J, R> {
    pub fn new(max_batch: usize, writer: Writer<J, R>) -> Arc<Self> {
        Arc::new(Self {
            inner: Mutex::new(Inner {
                queued: Vec::new(),
                draining: false,
            }),
            max_batch: max_batch.max(1),
            writer,
        })
    }

    /// Queues a job and waits until the transaction that holds it has committed.
    pub async fn submit(self: &Arc<Self>, app: &App, job: J) -> AppResult<R> {
        let (tx, rx) = oneshot::channel();
        let start = {
            let mut g = self.inner.lock().expect("queue lock");
            g.queued.push((job, tx));
            !std::mem::replace(&mut g.draining, true)
        };
        if start {
            tokio::spawn(self.clone().drain(app.clone()));
        }
        rx.await.unwrap_or_else(|_| {
            Err(AppError::internal(anyhow::anyhow!(
                "group commit: the writer stopped before answering"
            )))
        })
    }

    pub(crate) async fn drain(self: Arc<Self>, app: App) {
        let mut guard = Restart {
            queue: self.clone(),
            app: app.clone(),
            finished: false,
        };
        loop {
            let batch: Vec<(J, Reply<R>)> = {
                let mut g = self.inner.lock().expect("queue lock");
                if g.queued.is_empty() {
                    g.draining = false;
                    guard.finished = true;
                    return;
                }
                let n = g.queued.len().min(self.max_batch);
                g.queued.drain(..n).collect()
            };
            let (jobs, replies): (Vec<J>, Vec<Reply<R>>) = batch.into_iter().unzip();
            match (self.writer)(&app, &jobs).await {
                Ok(results) => {
                    for (tx, r) in replies.into_iter().zip(results) {
                        let _ = tx.send(Ok(r));
                    }
                }
                Err(e) if jobs.len() == 1 => {
                    let _ = replies.into_iter().next().map(|tx| tx.send(Err(e)));
                }
                Err(e) => {
                    tracing::debug!(error = %e, jobs = jobs.len(), "batch failed; writing its jobs one by one");
                    for (job, tx) in jobs.iter().zip(replies) {
                        let r = (self.writer)(&app, std::slice::from_ref(job))
                            .await
                            .and_then(|mut v| {
                                v.pop().ok_or_else(|| {
                                    AppError::internal(anyhow::anyhow!("writer gave no result"))
                                })
                            });
                        let _ = tx.send(r);
                    }
                }
            }
        }
    }
}

/// Keeps the queue moving if a drainer dies (a panic in a writer): queued jobs get a new one.
struct Restart<J: Send + Sync + 'static, R: Send + 'static> {
    queue: Arc<Queue<J, R>>,
    app: App,
    finished: bool,
}

impl<J: Send + Sync + 'static, R: Send + 'static> Drop for Restart<J, R> {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let again = {
            let mut g = match self.queue.inner.lock() {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            };
            g.draining = !g.queued.is_empty();
            g.draining
        };
        if again && let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(self.queue.clone().drain(self.app.clone()));
        }
    }
}
