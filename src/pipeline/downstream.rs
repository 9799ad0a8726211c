//! What happens to a run's mentions after ingest: batches of them go to
//! [`classify`](crate::classify) (its own thread, in parallel on the rayon pool), then to
//! [`aggregate`](crate::aggregate)'s tally and [`report`](crate::report)'s mention
//! writer (a thread of its own), over bounded channels: classifying one batch overlaps with
//! ingesting the next and writing the one before, and memory holds a few batches.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;

use polars::prelude::{PolarsError, PolarsResult};

use crate::aggregate::Tally;
use crate::classify::MentionClassifier;
use crate::mention::Mention;
use crate::report::MentionWriter;

/// The stages after ingest, fed one mention at a time ([`Downstream::push`]).
pub struct Downstream {
    tx: Option<SyncSender<Vec<Mention>>>,
    /// Emptied batch buffers back from the writer thread: a fresh 64k-mention buffer per
    /// batch cost page faults.
    recycled: Receiver<Vec<Mention>>,
    worker: Option<JoinHandle<PolarsResult<Done>>>,
    buffer: Vec<Mention>,
    batch: usize,
}

/// What the stages did: mentions written, the seconds spent classifying them (classifier
/// thread) and writing them (writer thread: counting, building columns, compressing,
/// writing), and the partial aggregates counted on the way.
#[derive(Debug)]
pub struct Done {
    pub mentions: u64,
    /// Mentions the sentiment classifier routed to a training corpus's own model.
    pub routed: u64,
    pub classify_s: f64,
    pub write_s: f64,
    pub tally: Tally,
}

impl Downstream {
    /// Starts the threads: `classifier`, when given, classifies each batch of `batch`
    /// mentions; then `tally` counts it into the partial aggregates and `writer` writes it.
    pub fn start(classifier: Option<Arc<MentionClassifier>>, writer: MentionWriter, tally: Tally, batch: usize) -> Downstream {
        let (tx, rx) = sync_channel::<Vec<Mention>>(2);
        let (rx, classifier) = match classifier {
            Some(c) => {
                let (classified_tx, classified_rx) = sync_channel::<Vec<Mention>>(1);
                (classified_rx, Some(std::thread::spawn(move || classify_batches(&c, rx, classified_tx))))
            }
            None => (rx, None),
        };
        let (recycle, recycled) = sync_channel::<Vec<Mention>>(2);
        let worker = std::thread::spawn(move || {
            let mut done = count_and_write_batches(rx, writer, tally, recycle)?;
            if let Some(c) = classifier {
                (done.classify_s, done.routed) = c.join().map_err(|_| PolarsError::ComputeError("classifier thread failed".into()))?;
            }
            Ok(done)
        });
        let batch = batch.max(1);
        Downstream { tx: Some(tx), recycled, worker: Some(worker), buffer: Vec::with_capacity(batch), batch }
    }

    pub fn push(&mut self, m: Mention) -> PolarsResult<()> {
        self.buffer.push(m);
        if self.buffer.len() >= self.batch {
            let empty = self.recycled.try_recv().unwrap_or_else(|_| Vec::with_capacity(self.batch));
            let full = std::mem::replace(&mut self.buffer, empty);
            self.send(full)?;
        }
        Ok(())
    }

    fn send(&mut self, ms: Vec<Mention>) -> PolarsResult<()> {
        let sent = self.tx.as_ref().is_some_and(|tx| tx.send(ms).is_ok());
        if sent {
            return Ok(());
        }
        // The writer thread stopped: its result says why.
        self.tx = None;
        self.join().and(Err(PolarsError::ComputeError("Parquet writer stopped".into())))
    }

    fn join(&mut self) -> PolarsResult<Done> {
        match self.worker.take().map(|w| w.join()) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(PolarsError::ComputeError("Parquet writer thread failed".into())),
            None => Err(PolarsError::ComputeError("Parquet writer already finished".into())),
        }
    }

    /// Sends the last batch, waits for the threads, and says what they did.
    pub fn finish(mut self) -> PolarsResult<Done> {
        let rest = std::mem::take(&mut self.buffer);
        if !rest.is_empty() {
            self.send(rest)?;
        }
        self.tx = None;
        self.join()
    }
}

/// The classify stage (a thread of its own; each batch in parallel on the rayon pool): the
/// seconds it was busy, and the mentions it routed to a training corpus's own model.
fn classify_batches(c: &MentionClassifier, batches: Receiver<Vec<Mention>>, classified: SyncSender<Vec<Mention>>) -> (f64, u64) {
    let (mut busy, mut routed) = (0.0, 0);
    for mut ms in batches {
        let t = std::time::Instant::now();
        routed += c.classify_all(&mut ms);
        busy += t.elapsed().as_secs_f64();
        if classified.send(ms).is_err() {
            break; // the writer stopped; its result says why
        }
    }
    (busy, routed)
}

/// The last stages (a thread of its own): each classified batch counted into
/// [`aggregate`](crate::aggregate)'s partial aggregates, then written by
/// [`report`](crate::report)'s mention writer; emptied buffers go back to the reader
/// through `recycle`.
fn count_and_write_batches(batches: Receiver<Vec<Mention>>, mut writer: MentionWriter, tally: Tally, recycle: SyncSender<Vec<Mention>>) -> PolarsResult<Done> {
    let mut done = Done { mentions: 0, routed: 0, classify_s: 0.0, write_s: 0.0, tally };
    for mut ms in batches {
        let t = std::time::Instant::now();
        done.tally.add(&ms);
        writer.write(&mut ms)?;
        done.write_s += t.elapsed().as_secs_f64();
        done.mentions += ms.len() as u64;
        ms.clear();
        let _ = recycle.try_send(ms); // when the reader has enough, it is dropped
    }
    let t = std::time::Instant::now();
    writer.finish()?;
    done.write_s += t.elapsed().as_secs_f64();
    Ok(done)
}
