//! Group commit: the store's writes of feedback (batches, webhook deliveries, survey and tool
//! responses, interviews) go through writer tasks that gather the requests waiting at that
//! moment into one transaction, so a burst of single-item requests costs one commit (one
//! fsync) per batch instead of one per request.
//!
//! A request sends its job on a channel with a one-shot reply and waits; it is answered only
//! after the batch's transaction has committed and is on disk, so an answer still means the
//! rows are durably stored. On SQLite the commit does not wait for the disk: the writer hands
//! the batch's answers to a syncer thread, which fsyncs the write-ahead log and then answers
//! them, while the writer goes on with the next batch ([`Syncer`]). Jobs that only insert
//! items (with or without a webhook delivery marker) are merged into a few multi-row
//! statements; any other job runs alone inside a savepoint.
//! A job that fails is rolled back to its savepoint and answered with its error, and its
//! neighbours go on: when the merged statements fail, each of their jobs is run again alone.
//!
//! A SQLite file's writer is a thread with a synchronous connection of its own ([`Lite`]),
//! which runs each statement itself; PostgreSQL's is a task on sea-orm's pool. The merged
//! writes are the same code on both ([`Exec`]).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::future::Future;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc as std_mpsc, Arc};

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, QueryFilter,
    QueryTrait, RuntimeErr, TransactionTrait,
};
use tokio::sync::{mpsc, oneshot};

use super::counts::Counts;
use super::entity::{survey_answer, webhook_delivery, workspace};
use super::error::unreachable;
use super::error::{StoreError, StoreResult};
use super::exec::{Exec, Tx};
use super::lite::{Lite, LiteTx};
use super::rows::{
    answer_models, insert_responses, insert_rows, insert_tagged, open_questions, Delivery,
    Ingested, NewSurveyResponse, Tagged, INSERT_CHUNK,
};
use super::sizes::pieces;
use super::wal::{self, Wal};
use crate::domain::NewFeedback;

/// Jobs one transaction takes at most: enough that a burst of thousands of requests a second
/// commits a few dozen times a second, few enough that none waits long behind its batch.
const MAX_JOBS: usize = 512;
/// Items one transaction takes at most (a job is never split: one of 1,000 items fills it).
const MAX_ITEMS: usize = 8_000;
/// Requests waiting for a writer; beyond it a request waits to be queued.
const QUEUE: usize = 8_192;

/// A handle on the store's writer tasks, cheap to clone.
#[derive(Clone, Debug)]
pub(super) struct Writer {
    tx: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer on the current runtime, writing through `db` (PostgreSQL, or an
    /// in-memory SQLite): one per store. On PostgreSQL the counters' triggers take a
    /// workspace's advisory lock (migration `m20261206_000013_insight_tally`) at the first
    /// counted row, so batches of one workspace run one after another whatever the number of
    /// writers, and two writers could deadlock: one holding the lock and waiting on a unique
    /// key the other has just inserted, the other waiting on the lock.
    pub(super) fn start(db: DatabaseConnection) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(db, rx));
        Self { tx }
    }

    /// Starts the writer of a SQLite file on a thread of its own (SQLite takes one writer at
    /// a time anyway). It writes items and survey responses through `lite`, the writer's own
    /// connection, which commits with `synchronous=NORMAL`: a [`Syncer`] answers each batch
    /// once the log is on disk, and the log's checkpoints run on `log`'s connection. The other
    /// jobs (sea-orm code) run on `pool`, whose commits wait for the disk, after the batch's
    /// merged writes. The thread runs their futures on the current runtime.
    pub(super) fn start_sqlite(
        lite: Lite,
        pool: DatabaseConnection,
        log: LogSync,
    ) -> io::Result<Self> {
        let (tx, rx) = mpsc::channel(QUEUE);
        let restart = Arc::new(AtomicBool::new(false));
        let syncer = Syncer::start(log.wal)?;
        let runtime = tokio::runtime::Handle::current();
        let flag = Arc::clone(&restart);
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run_sqlite(&lite, &pool, rx, &syncer, &flag, &runtime))?;
        wal::checkpoints(log.checkpoints, restart);
        Ok(Self { tx })
    }

    /// Stores items, and with `marker` (a source and a delivery id) records the delivery in
    /// the same transaction, once: a delivery whose marker is already there stores nothing
    /// and is answered as a replay.
    pub(super) async fn items(
        &self,
        workspace_id: &str,
        marker: Option<(&str, &str)>,
        items: &[NewFeedback],
        received_at: DateTime<Utc>,
    ) -> StoreResult<Delivery> {
        let (reply, answer) = oneshot::channel();
        let job = ItemsJob {
            workspace_id: workspace_id.to_owned(),
            marker: marker.map(|(s, w)| (s.to_owned(), w.to_owned())),
            items: items.to_vec(),
            received_at,
            reply,
        };
        self.send(Job::Items(job), answer).await
    }

    /// [`Writer::items`] for items the caller gives up, answered on `reply` once stored: the
    /// caller need not wait here (the ingest pipeline's analysis stage hands each analysed
    /// request on and goes on with the next).
    pub(super) async fn submit(
        &self,
        workspace_id: String,
        marker: Option<(String, String)>,
        items: Vec<NewFeedback>,
        received_at: DateTime<Utc>,
        reply: oneshot::Sender<StoreResult<Delivery>>,
    ) {
        let job = ItemsJob {
            workspace_id,
            marker,
            items,
            received_at,
            reply,
        };
        if let Err(mpsc::error::SendError(Job::Items(job))) = self.tx.send(Job::Items(job)).await {
            let _ = job.reply.send(Err(stopped()));
        }
    }

    /// Stores a survey response, its answer rows and its text answers, once: a response id
    /// already stored (or claimed by an earlier job of the batch) stores nothing and answers
    /// `false`.
    pub(super) async fn response(
        &self,
        workspace_id: String,
        response: NewSurveyResponse,
        items: Vec<NewFeedback>,
        received_at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let (reply, answer) = oneshot::channel();
        let job = ResponseJob {
            workspace_id,
            response,
            items,
            received_at,
            reply,
        };
        self.send(Job::Response(job), answer).await
    }

    /// Runs `work` inside the next batch's transaction (in a savepoint of its own), and
    /// returns its result once that transaction has committed.
    pub(super) async fn run<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c DatabaseTransaction) -> BoxFuture<'c, StoreResult<T>>
            + Send
            + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let task = Task {
            work: Some(work),
            out: None,
            reply,
        };
        self.send(Job::Other(Box::new(task)), answer).await
    }

    async fn send<T>(&self, job: Job, answer: oneshot::Receiver<StoreResult<T>>) -> StoreResult<T> {
        if self.tx.send(job).await.is_err() {
            return Err(stopped());
        }
        answer.await.unwrap_or_else(|_| Err(stopped()))
    }
}

/// The writers are gone (the runtime that ran them is shutting down).
fn stopped() -> StoreError {
    StoreError::Db(DbErr::Custom("the store's writer has stopped".into()))
}

/// What the SQLite writer needs to commit without waiting for the disk: the log to fsync, and a
/// connection of its own for the checkpoints.
pub(super) struct LogSync {
    pub(super) wal: Wal,
    pub(super) checkpoints: DatabaseConnection,
}

enum Job {
    Items(ItemsJob),
    Response(ResponseJob),
    Other(Box<dyn Work>),
}

impl Job {
    fn weight(&self) -> usize {
        match self {
            Job::Items(j) => j.items.len().max(1),
            Job::Response(j) => j.items.len().max(1),
            Job::Other(_) => 1,
        }
    }
}

struct ResponseJob {
    workspace_id: String,
    response: NewSurveyResponse,
    items: Vec<NewFeedback>,
    received_at: DateTime<Utc>,
    reply: oneshot::Sender<StoreResult<bool>>,
}

struct ItemsJob {
    workspace_id: String,
    marker: Option<(String, String)>,
    items: Vec<NewFeedback>,
    received_at: DateTime<Utc>,
    reply: oneshot::Sender<StoreResult<Delivery>>,
}

/// A job that is not merged with others: run inside a savepoint, answered after the commit.
trait Work: Send {
    fn run<'a>(&'a mut self, txn: &'a DatabaseTransaction) -> BoxFuture<'a, StoreResult<()>>;
    fn answer(self: Box<Self>, result: StoreResult<()>);
}

struct Task<T, F> {
    work: Option<F>,
    out: Option<T>,
    reply: oneshot::Sender<StoreResult<T>>,
}

impl<T, F> Work for Task<T, F>
where
    T: Send,
    F: for<'c> FnOnce(&'c DatabaseTransaction) -> BoxFuture<'c, StoreResult<T>> + Send,
{
    fn run<'a>(&'a mut self, txn: &'a DatabaseTransaction) -> BoxFuture<'a, StoreResult<()>> {
        Box::pin(async move {
            if let Some(work) = self.work.take() {
                self.out = Some(work(txn).await?);
            }
            Ok(())
        })
    }

    fn answer(self: Box<Self>, result: StoreResult<()>) {
        let Task { out, reply, .. } = *self;
        let _ = reply.send(result.and_then(|()| out.ok_or_else(stopped)));
    }
}

/// The batch that begins with `first`: with it, the jobs waiting now, up to the bounds.
fn gather(first: Job, rx: &mut mpsc::Receiver<Job>) -> Vec<Job> {
    let mut weight = first.weight();
    let mut batch = vec![first];
    while batch.len() < MAX_JOBS && weight < MAX_ITEMS {
        match rx.try_recv() {
            Ok(job) => {
                weight += job.weight();
                batch.push(job);
            }
            Err(_) => break,
        }
    }
    batch
}

async fn run(db: DatabaseConnection, mut rx: mpsc::Receiver<Job>) {
    while let Some(first) = rx.recv().await {
        let batch = gather(first, &mut rx);
        answer(commit(&db, batch).await);
    }
}

/// The SQLite writer's thread, until every handle on the writer is gone. `restart` is set by
/// the checkpoint task when the log has grown: the writer finishes a checkpoint between two
/// batches.
fn run_sqlite(
    lite: &Lite,
    pool: &DatabaseConnection,
    mut rx: mpsc::Receiver<Job>,
    syncer: &Syncer,
    restart: &AtomicBool,
    runtime: &tokio::runtime::Handle,
) {
    while let Some(first) = rx.blocking_recv() {
        let (merged, responses, others) = split(gather(first, &mut rx));
        // Its futures never wait: each statement runs as it is called.
        syncer.hand(runtime.block_on(commit_lite(lite, merged, responses)));
        if !others.is_empty() {
            answer(runtime.block_on(commit(pool, others.into_iter().map(Job::Other).collect())));
        }
        if restart.load(Ordering::Relaxed) {
            // The checkpoint task copied all but what was written since it began: copy the
            // rest, so that the next batch starts the log again from its beginning. The task
            // waits for the flag to fall before its next checkpoint.
            if let Err(e) = lite.checkpoint() {
                tracing::warn!(error = %e, "the writer's checkpoint of the write-ahead log failed");
            }
            restart.store(false, Ordering::Relaxed);
        }
    }
}

/// Answers a SQLite writer's committed batches once the write-ahead log that holds them is on
/// disk. The writer's connection commits with `synchronous=NORMAL` (its COMMIT writes the log
/// but does not fsync it) and hands the batch's answers here; a thread of its own takes every
/// batch handed so far, fsyncs the log once for all of them (each was committed before the
/// fsync began, so its frames are in the file) and only then answers them, while the writer
/// writes the next batch. A failed fsync answers its batches with an error, never a success.
struct Syncer {
    tx: std_mpsc::Sender<Vec<Held>>,
}

impl Syncer {
    fn start(wal: Wal) -> io::Result<Self> {
        let (tx, rx) = std_mpsc::channel();
        std::thread::Builder::new()
            .name("wal-sync".into())
            .spawn(move || sync_then_answer(wal, rx))?;
        Ok(Self { tx })
    }

    /// The answers of a batch just committed.
    fn hand(&self, held: Vec<Held>) {
        if held.is_empty() {
            return;
        }
        if let Err(std_mpsc::SendError(held)) = self.tx.send(held) {
            refuse(held, &stopped());
        }
    }
}

/// The syncer's thread, until the writer is gone.
fn sync_then_answer(mut wal: Wal, batches: std_mpsc::Receiver<Vec<Held>>) {
    while let Ok(first) = batches.recv() {
        let mut ready = vec![first];
        ready.extend(batches.try_iter());
        match wal.sync() {
            Ok(()) => ready.into_iter().for_each(answer),
            Err(e) => {
                tracing::error!(error = %e, batches = ready.len(), "the fsync of the write-ahead log failed: its batches are answered with an error");
                let e = StoreError::Db(DbErr::Conn(RuntimeErr::Internal(format!(
                    "the fsync of the write-ahead log failed: {e}"
                ))));
                for held in ready {
                    refuse(held, &e);
                }
            }
        }
    }
}

/// A job's answer, held until the transaction commits.
enum Held {
    Items(oneshot::Sender<StoreResult<Delivery>>, Delivery),
    Response(oneshot::Sender<StoreResult<bool>>, bool),
    Other(Box<dyn Work>),
}

/// Writes one batch in one transaction: the answers of its jobs that are committed, to give
/// once it is on disk (the jobs that failed are answered already).
async fn commit(db: &DatabaseConnection, batch: Vec<Job>) -> Vec<Held> {
    let (merged, responses, others) = split(batch);
    let txn = match db.begin().await {
        Ok(t) => t,
        Err(e) => {
            let e = StoreError::from(e);
            fail_jobs(responses, &e);
            fail_all(merged, others, &e);
            return Vec::new();
        }
    };
    let mut held = Vec::with_capacity(merged.len() + responses.len() + others.len());
    if let Err(e) = write_jobs(&txn, merged, responses, &mut held).await {
        fail_held(held, others, &e);
        return Vec::new();
    }
    let mut others = others.into_iter();
    while let Some(mut work) = others.next() {
        let sp = match txn.begin().await {
            Ok(sp) => sp,
            Err(e) => {
                let others = std::iter::once(work).chain(others).collect();
                fail_held(held, others, &e.into());
                return Vec::new();
            }
        };
        let result = work.run(&sp).await;
        match settle(sp, result).await {
            Ok(()) => held.push(Held::Other(work)),
            Err(Failed(e)) => work.answer(Err(e)),
            Err(Lost(e)) => {
                fail_held(held, std::iter::once(work).chain(others).collect(), &e);
                return Vec::new();
            }
        }
    }
    if let Err(e) = txn.commit().await {
        fail_held(held, Vec::new(), &e.into());
        return Vec::new();
    }
    held
}

/// A batch's jobs by kind: those merged into a few statements, then those run alone.
fn split(batch: Vec<Job>) -> (Vec<ItemsJob>, Vec<ResponseJob>, Vec<Box<dyn Work>>) {
    let mut merged = Vec::new();
    let mut responses = Vec::new();
    let mut others = Vec::new();
    for job in batch {
        match job {
            Job::Items(j) => merged.push(j),
            Job::Response(j) => responses.push(j),
            Job::Other(w) => others.push(w),
        }
    }
    (merged, responses, others)
}

/// Writes the merged jobs (items, then survey responses) in `txn`. Errs when the transaction
/// is lost, the jobs not yet held answered with the error.
async fn write_jobs<T: Tx>(
    txn: &T,
    merged: Vec<ItemsJob>,
    responses: Vec<ResponseJob>,
    held: &mut Vec<Held>,
) -> StoreResult<()> {
    if let Err(e) = write_merged(txn, merged, held).await {
        // The transaction itself is lost: nothing of it will commit.
        fail_jobs(responses, &e);
        return Err(e);
    }
    write_merged(txn, responses, held).await
}

/// [`commit`] of the merged jobs on the SQLite writer's own connection. They are first written
/// in the transaction itself, without savepoints: inside a savepoint SQLite first copies each
/// page it changes into a journal of the savepoint, a copy of most of the batch's pages. When
/// that fails, the transaction is rolled back and written again as [`commit`] writes it, each
/// kind in a savepoint, then each job alone.
async fn commit_lite(
    lite: &Lite,
    mut merged: Vec<ItemsJob>,
    mut responses: Vec<ResponseJob>,
) -> Vec<Held> {
    if merged.is_empty() && responses.is_empty() {
        return Vec::new();
    }
    let Some(txn) = begin_lite(lite, &mut merged, &mut responses).await else {
        return Vec::new();
    };
    let at_once = async {
        let items = store_all(&txn, &merged).await?;
        let fresh = store_all(&txn, &responses).await?;
        txn.release().await?;
        Ok::<_, StoreError>((items, fresh))
    };
    match at_once.await {
        Ok((items, fresh)) => {
            let mut held = Vec::with_capacity(merged.len() + responses.len());
            held.extend(merged.into_iter().zip(items).map(|(j, out)| j.held(out)));
            held.extend(responses.into_iter().zip(fresh).map(|(j, out)| j.held(out)));
            return held;
        }
        Err(e) => {
            lite.abandon();
            tracing::info!(error = %e, "a batch written at once failed; its jobs go in savepoints");
        }
    }
    let Some(txn) = begin_lite(lite, &mut merged, &mut responses).await else {
        return Vec::new();
    };
    let mut held = Vec::with_capacity(merged.len() + responses.len());
    let written = match write_jobs(&txn, merged, responses, &mut held).await {
        Ok(()) => txn.release().await.map_err(StoreError::from),
        Err(e) => Err(e),
    };
    if let Err(e) = written {
        lite.abandon();
        fail_held(held, Vec::new(), &e);
        return Vec::new();
    }
    held
}

/// A transaction on the writer's connection, in which the jobs whose workspace is gone
/// (deleted since their request was let in) are answered `NotFound` and taken out: that
/// connection enforces no foreign keys (lite.rs), and while its transaction holds the write
/// lock no workspace can go. When no transaction can be begun, or the workspaces not read,
/// every job is answered with the error and taken out.
async fn begin_lite<'l>(
    lite: &'l Lite,
    merged: &mut Vec<ItemsJob>,
    responses: &mut Vec<ResponseJob>,
) -> Option<LiteTx<'l>> {
    let live = match lite.begin() {
        Ok(txn) => live_workspaces(&txn, merged, responses)
            .await
            .map(|live| (txn, live)),
        Err(e) => Err(e.into()),
    };
    match live {
        Ok((txn, live)) => {
            let gone = StoreError::NotFound("workspace");
            let (keep, lost) = std::mem::take(merged)
                .into_iter()
                .partition(|j| live.contains(&j.workspace_id));
            *merged = keep;
            fail_jobs(lost, &gone);
            let (keep, lost) = std::mem::take(responses)
                .into_iter()
                .partition(|j| live.contains(&j.workspace_id));
            *responses = keep;
            fail_jobs(lost, &gone);
            Some(txn)
        }
        Err(e) => {
            lite.abandon();
            fail_jobs(responses.drain(..), &e);
            fail_jobs(merged.drain(..), &e);
            None
        }
    }
}

/// Which of the jobs' workspaces exist.
async fn live_workspaces(
    txn: &LiteTx<'_>,
    merged: &[ItemsJob],
    responses: &[ResponseJob],
) -> StoreResult<HashSet<String>> {
    let ids: BTreeSet<&str> = merged
        .iter()
        .map(|j| j.workspace_id.as_str())
        .chain(responses.iter().map(|j| j.workspace_id.as_str()))
        .collect();
    let query = Query::select()
        .column(workspace::Column::Id)
        .from(workspace::Entity)
        .and_where(workspace::Column::Id.is_in(ids))
        .to_owned();
    let rows = txn.rows::<(String,)>(txn.backend().build(&query)).await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Jobs of one kind written together in `conn`, without a savepoint.
async fn store_all<C: Exec, J: Merged>(conn: &C, jobs: &[J]) -> StoreResult<Vec<J::Out>> {
    if jobs.is_empty() {
        return Ok(Vec::new());
    }
    let all: Vec<&J> = jobs.iter().collect();
    J::store(conn, &all).await
}

/// Gives a committed batch's answers.
fn answer(held: Vec<Held>) {
    for h in held {
        match h {
            Held::Items(reply, d) => {
                let _ = reply.send(Ok(d));
            }
            Held::Response(reply, fresh) => {
                let _ = reply.send(Ok(fresh));
            }
            Held::Other(w) => w.answer(Ok(())),
        }
    }
}

/// Why a job in a savepoint failed: its own error (rolled back, the transaction goes on), or
/// an error that lost the whole transaction (the database out of reach, the rollback refused).
enum Outcome {
    Failed(StoreError),
    Lost(StoreError),
}
use Outcome::{Failed, Lost};

/// Ends a job's savepoint: released when the job succeeded, rolled back when it failed.
async fn settle<S: Tx, T>(sp: S, result: StoreResult<T>) -> Result<T, Outcome> {
    match result {
        Ok(v) => {
            sp.release().await.map_err(|e| Lost(e.into()))?;
            Ok(v)
        }
        Err(e) => {
            let lost = matches!(&e, StoreError::Db(db) if unreachable(db));
            if sp.roll_back().await.is_err() || lost {
                return Err(Lost(e));
            }
            Err(Failed(e))
        }
    }
}

/// Jobs of one kind that are written together ([`write_merged`]).
trait Merged: Sized + Send + Sync {
    type Out: Send;
    /// Writes the jobs together; what each one did.
    fn store<C: Exec>(
        conn: &C,
        jobs: &[&Self],
    ) -> impl Future<Output = StoreResult<Vec<Self::Out>>> + Send;
    /// The job's answer, held until the commit.
    fn held(self, out: Self::Out) -> Held;
    fn fail(self, e: StoreError);
}

impl Merged for ItemsJob {
    type Out = Delivery;
    fn store<C: Exec>(
        conn: &C,
        jobs: &[&Self],
    ) -> impl Future<Output = StoreResult<Vec<Delivery>>> + Send {
        store_items(conn, jobs)
    }
    fn held(self, out: Delivery) -> Held {
        Held::Items(self.reply, out)
    }
    fn fail(self, e: StoreError) {
        let _ = self.reply.send(Err(e));
    }
}

impl Merged for ResponseJob {
    type Out = bool;
    fn store<C: Exec>(
        conn: &C,
        jobs: &[&Self],
    ) -> impl Future<Output = StoreResult<Vec<bool>>> + Send {
        store_responses(conn, jobs)
    }
    fn held(self, out: bool) -> Held {
        Held::Response(self.reply, out)
    }
    fn fail(self, e: StoreError) {
        let _ = self.reply.send(Err(e));
    }
}

fn fail_jobs<J: Merged>(jobs: impl IntoIterator<Item = J>, e: &StoreError) {
    for j in jobs {
        j.fail(echo(e));
    }
}

/// Runs `jobs` together in a savepoint of `txn`.
async fn merged_in_savepoint<T: Tx, J: Merged>(
    txn: &T,
    jobs: &[&J],
) -> Result<Vec<J::Out>, Outcome> {
    let sp = txn.savepoint().await.map_err(|e| Lost(e.into()))?;
    let result = J::store(&sp, jobs).await;
    settle(sp, result).await
}

/// The batch's jobs of one kind in a few statements; when those fail, each job alone in a
/// savepoint of its own, so that one job's bad row does not fail the others. Errs only when
/// the transaction is lost.
async fn write_merged<T: Tx, J: Merged>(
    txn: &T,
    jobs: Vec<J>,
    held: &mut Vec<Held>,
) -> StoreResult<()> {
    if jobs.is_empty() {
        return Ok(());
    }
    let all: Vec<&J> = jobs.iter().collect();
    match merged_in_savepoint(txn, &all).await {
        Ok(done) => {
            for (job, out) in jobs.into_iter().zip(done) {
                held.push(job.held(out));
            }
            return Ok(());
        }
        Err(Lost(e)) => {
            fail_jobs(jobs, &e);
            return Err(e);
        }
        Err(Failed(e)) if jobs.len() == 1 => {
            fail_jobs(jobs, &e);
            return Ok(());
        }
        Err(Failed(e)) => {
            tracing::info!(error = %e, jobs = jobs.len(), "a merged write failed; its jobs go one by one");
        }
    }
    let mut jobs = jobs.into_iter();
    while let Some(job) = jobs.next() {
        match merged_in_savepoint(txn, &[&job]).await {
            Ok(mut done) => held.push(job.held(done.remove(0))),
            Err(Failed(e)) => job.fail(e),
            Err(Lost(e)) => {
                fail_jobs(std::iter::once(job).chain(jobs), &e);
                return Err(e);
            }
        }
    }
    Ok(())
}

/// Stores the items of several jobs together: the delivery markers in one statement (those
/// already there, or claimed by an earlier job of the batch, make their job a replay), then
/// every item of the other jobs in one statement per 500. The markers are written with their
/// job's item count, corrected for the jobs some of whose items were already stored.
async fn store_items<C: Exec>(conn: &C, jobs: &[&ItemsJob]) -> StoreResult<Vec<Delivery>> {
    // Which job claims each marker: the first of the batch to carry it.
    let mut claimant: HashMap<(&str, &str), usize> = HashMap::new();
    let mut later: Vec<Option<usize>> = vec![None; jobs.len()];
    for (i, job) in jobs.iter().enumerate() {
        if let Some((s, w)) = &job.marker {
            match claimant.get(&(s.as_str(), w.as_str())) {
                Some(&first) => later[i] = Some(first),
                None => {
                    claimant.insert((s.as_str(), w.as_str()), i);
                }
            }
        }
    }
    // Inserted in key order, so that two writers of PostgreSQL take the rows' locks in the
    // same order and cannot deadlock on them.
    let mut claims: Vec<(&str, &str, usize)> =
        claimant.iter().map(|(&(s, w), &i)| (s, w, i)).collect();
    claims.sort_unstable();
    let backend = conn.backend();
    let mut taken: HashSet<(String, String)> = HashSet::new();
    for chunk in pieces(conn.backend(), &claims, INSERT_CHUNK) {
        let mut insert = Query::insert();
        insert
            .into_table(webhook_delivery::Entity)
            .columns([
                webhook_delivery::Column::SourceId,
                webhook_delivery::Column::WebhookId,
                webhook_delivery::Column::Stored,
                webhook_delivery::Column::ReceivedAt,
            ])
            .on_conflict(
                OnConflict::columns([
                    webhook_delivery::Column::SourceId,
                    webhook_delivery::Column::WebhookId,
                ])
                .do_nothing()
                .to_owned(),
            )
            .returning(Query::returning().columns([
                webhook_delivery::Column::SourceId,
                webhook_delivery::Column::WebhookId,
            ]));
        for &(s, w, i) in chunk {
            insert.values_panic([
                s.into(),
                w.into(),
                (jobs[i].items.len() as i32).into(),
                jobs[i].received_at.into(),
            ]);
        }
        taken.extend(
            conn.rows::<(String, String)>(backend.build(&insert))
                .await?,
        );
    }
    // `None`: the job writes its items; `Some(stored)`: a replay of a delivery taken before.
    let mut replay: Vec<Option<u64>> = vec![None; jobs.len()];
    for (i, job) in jobs.iter().enumerate() {
        let Some((s, w)) = &job.marker else { continue };
        if later[i].is_some() || taken.contains(&(s.clone(), w.clone())) {
            continue;
        }
        let earlier = Query::select()
            .column(webhook_delivery::Column::Stored)
            .from(webhook_delivery::Entity)
            .and_where(webhook_delivery::Column::SourceId.eq(s.as_str()))
            .and_where(webhook_delivery::Column::WebhookId.eq(w.as_str()))
            .to_owned();
        let earlier = conn.rows::<(i32,)>(backend.build(&earlier)).await?;
        replay[i] = Some(earlier.first().map_or(0, |&(stored,)| stored.max(0) as u64));
    }
    let writing: Vec<usize> = (0..jobs.len())
        .filter(|&i| later[i].is_none() && replay[i].is_none())
        .collect();
    let rows: Vec<Tagged> = writing
        .iter()
        .flat_map(|&i| {
            let job = jobs[i];
            job.items.iter().map(move |item| Tagged {
                workspace_id: &job.workspace_id,
                item,
                received_at: job.received_at,
            })
        })
        .collect();
    let new = insert_tagged(conn, &rows).await?;
    let mut done: Vec<Option<Ingested>> = vec![None; jobs.len()];
    let mut at = 0;
    for &i in &writing {
        let n = jobs[i].items.len();
        let stored = new[at..at + n].iter().filter(|&&b| b).count() as u64;
        at += n;
        done[i] = Some(Ingested {
            stored,
            duplicates: n as u64 - stored,
        });
        if let (Some((s, w)), true) = (&jobs[i].marker, stored != n as u64) {
            let update = webhook_delivery::Entity::update_many()
                .col_expr(webhook_delivery::Column::Stored, Expr::value(stored as i32))
                .filter(webhook_delivery::Column::SourceId.eq(s.as_str()))
                .filter(webhook_delivery::Column::WebhookId.eq(w.as_str()))
                .build(backend);
            conn.run(update).await?;
        }
    }
    Ok((0..jobs.len())
        .map(|i| match (later[i], replay[i], done[i]) {
            (Some(first), _, _) => Delivery::Replay {
                stored: match (replay[first], done[first]) {
                    (Some(stored), _) => stored,
                    (None, Some(d)) => d.stored,
                    (None, None) => 0,
                },
            },
            (None, Some(stored), _) => Delivery::Replay { stored },
            (None, None, d) => Delivery::New(d.unwrap_or_default()),
        })
        .collect())
}

/// Stores several survey responses together: their rows in one statement per 500 (a response
/// id already there, or claimed by an earlier job of the batch, makes its job a replay), then
/// the answer rows and the text answers of the new ones in a statement per table and chunk.
/// Whether each job's response was new.
async fn store_responses<C: Exec>(conn: &C, jobs: &[&ResponseJob]) -> StoreResult<Vec<bool>> {
    // The first job of the batch to carry a response id claims it.
    let mut seen: HashSet<&str> = HashSet::new();
    let claims: Vec<usize> = (0..jobs.len())
        .filter(|&i| seen.insert(jobs[i].response.id.as_str()))
        .collect();
    let mut fresh_ids: HashSet<String> = HashSet::new();
    for chunk in pieces(conn.backend(), &claims, INSERT_CHUNK) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|&i| {
                (
                    jobs[i].workspace_id.as_str(),
                    &jobs[i].response,
                    jobs[i].received_at,
                )
            })
            .collect();
        fresh_ids.extend(insert_responses(conn, &rows).await?);
    }
    // On the SQLite writer's connection, which runs no triggers: what they would count.
    let mut counts = (!conn.runs_triggers()).then(Counts::default);
    let fresh: Vec<bool> = (0..jobs.len())
        .map(|i| {
            claims.binary_search(&i).is_ok() && fresh_ids.contains(jobs[i].response.id.as_str())
        })
        .collect();
    let answers: Vec<survey_answer::ActiveModel> = (0..jobs.len())
        .filter(|&i| fresh[i])
        .flat_map(|i| {
            let job = jobs[i];
            answer_models(
                &job.workspace_id,
                &job.response.survey_id,
                &job.response.id,
                job.received_at,
                &job.response.answers,
                &open_questions(&job.items),
            )
        })
        .collect();
    if let Some(counts) = &mut counts {
        for i in (0..jobs.len()).filter(|&i| fresh[i]) {
            let r = &jobs[i].response;
            let scores = [r.nps, r.csat, r.ces];
            counts.response(
                &jobs[i].workspace_id,
                &r.survey_id,
                scores,
                jobs[i].received_at,
            );
        }
        for a in &answers {
            let key = [
                a.workspace_id.as_ref(),
                a.survey_id.as_ref(),
                a.question_id.as_ref(),
                a.value.as_ref(),
            ];
            counts.answer(
                key.map(String::as_str),
                *a.ordinal.as_ref(),
                a.received_at.as_ref(),
            );
        }
        counts.add(conn).await?;
    }
    // Seven columns a row: 1,024 rows stay under both databases' parameter limits.
    insert_rows(conn, answers).await?;
    let rows: Vec<Tagged> = (0..jobs.len())
        .filter(|&i| fresh[i])
        .flat_map(|i| {
            let job = jobs[i];
            job.items.iter().map(move |item| Tagged {
                workspace_id: &job.workspace_id,
                item,
                received_at: job.received_at,
            })
        })
        .collect();
    insert_tagged(conn, &rows).await?;
    Ok(fresh)
}

/// An error for each of several jobs, from the one that stopped the batch: `DbErr` does not
/// clone, so each gets one of the same kind (out of reach stays out of reach, for the 503).
fn echo(e: &StoreError) -> StoreError {
    match e {
        StoreError::Db(db) if unreachable(db) => {
            StoreError::Db(DbErr::Conn(RuntimeErr::Internal(db.to_string())))
        }
        StoreError::Db(db) => StoreError::Db(DbErr::Custom(db.to_string())),
        StoreError::NotFound(what) => StoreError::NotFound(what),
        StoreError::Conflict(why) => StoreError::Conflict(why.clone()),
    }
}

fn fail_all(items: Vec<ItemsJob>, others: Vec<Box<dyn Work>>, e: &StoreError) {
    fail_jobs(items, e);
    for w in others {
        w.answer(Err(echo(e)));
    }
}

fn fail_held(held: Vec<Held>, others: Vec<Box<dyn Work>>, e: &StoreError) {
    tracing::warn!(error = %e, "a batch of writes was rolled back");
    refuse(held, e);
    for w in others {
        w.answer(Err(echo(e)));
    }
}

/// Answers each of `held` with `e` instead of its result.
fn refuse(held: Vec<Held>, e: &StoreError) {
    for h in held {
        match h {
            Held::Items(reply, _) => {
                let _ = reply.send(Err(echo(e)));
            }
            Held::Response(reply, _) => {
                let _ = reply.send(Err(echo(e)));
            }
            Held::Other(w) => w.answer(Err(echo(e))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Channel, FeedbackText, Scores};
    use crate::store::counts::SKIPPED;
    use crate::store::testing::store_with_workspace;
    use crate::store::Store;

    /// The two ways a batch is written: through sea-orm (PostgreSQL's, and an in-memory
    /// SQLite's), and on the SQLite writer's own connection.
    enum Way {
        Sea,
        Lite(Lite),
    }

    impl Way {
        /// Both ways, each with a store of its own in `dir`.
        async fn both(dir: &std::path::Path) -> Vec<(Way, Store, String)> {
            let mut ways = Vec::new();
            for lite in [false, true] {
                let file = dir.join(format!("{lite}.db"));
                let (store, ws) = store_with_workspace(&file).await;
                let way = match lite {
                    false => Way::Sea,
                    true => Way::Lite(Lite::small(&file)),
                };
                ways.push((way, store, ws));
            }
            ways
        }

        async fn commit(&self, store: &Store, batch: Vec<Job>) -> Vec<Held> {
            match self {
                Way::Sea => commit(store.connection(), batch).await,
                Way::Lite(lite) => {
                    let (merged, responses, others) = split(batch);
                    assert!(others.is_empty());
                    commit_lite(lite, merged, responses).await
                }
            }
        }
    }

    fn item(external_id: &str) -> NewFeedback {
        NewFeedback {
            channel: Channel::Webhook,
            source_key: "webhook:src_t".into(),
            source_id: Some("src_t".into()),
            external_id: Some(external_id.into()),
            respondent_id: None,
            author: None,
            text: FeedbackText::parse("支付失败了").unwrap(),
            scores: Scores::default(),
            attributes: Default::default(),
            context: Default::default(),
            occurred_at: Utc::now(),
            response_id: None,
            analysis: None,
        }
    }

    fn job(
        workspace_id: &str,
        marker: Option<&str>,
        ids: &[&str],
    ) -> (Job, oneshot::Receiver<StoreResult<Delivery>>) {
        let (reply, answer) = oneshot::channel();
        let job = ItemsJob {
            workspace_id: workspace_id.into(),
            marker: marker.map(|m| ("src_t".to_owned(), m.to_owned())),
            items: ids.iter().map(|i| item(i)).collect(),
            received_at: Utc::now(),
            reply,
        };
        (Job::Items(job), answer)
    }

    /// One batch, written by `commit` itself (no timing involved): the same delivery twice,
    /// a delivery whose item another one carries, and one that cannot be written (its
    /// workspace does not exist) beside good ones.
    #[tokio::test]
    async fn one_batch_keeps_markers_once_and_fails_only_the_bad_job() {
        let dir = tempfile::tempdir().unwrap();
        for (way, store, ws) in Way::both(dir.path()).await {
            let (a, a_answer) = job(&ws, Some("m1"), &["e1"]);
            let (b, b_answer) = job(&ws, Some("m1"), &["e1"]);
            let (c, c_answer) = job(&ws, Some("m2"), &["e1", "e2"]);
            let (bad, bad_answer) = job("ws_missing", Some("m3"), &["e3"]);
            let (d, d_answer) = job(&ws, None, &["e4", "e5"]);
            answer(way.commit(&store, vec![a, b, c, bad, d]).await);

            let a = a_answer.await.unwrap().unwrap();
            let b = b_answer.await.unwrap().unwrap();
            let c = c_answer.await.unwrap().unwrap();
            let d = d_answer.await.unwrap().unwrap();
            assert_eq!(
                a,
                Delivery::New(Ingested {
                    stored: 1,
                    duplicates: 0
                })
            );
            assert_eq!(b, Delivery::Replay { stored: 1 });
            assert_eq!(
                c,
                Delivery::New(Ingested {
                    stored: 1,
                    duplicates: 1
                })
            );
            assert_eq!(
                d,
                Delivery::New(Ingested {
                    stored: 2,
                    duplicates: 0
                })
            );
            let bad = bad_answer.await.unwrap();
            assert!(bad.is_err(), "its own error: {bad:?}");
            if let Way::Lite(_) = way {
                assert!(
                    matches!(bad, Err(StoreError::NotFound("workspace"))),
                    "the writer's connection finds the workspace gone: {bad:?}"
                );
            }

            // What the markers recorded, and a later redelivery of each (the failed one sent
            // again, now to a workspace that exists).
            let (again, again_answer) = job(&ws, Some("m2"), &["e1", "e2"]);
            let (retry, retry_answer) = job(&ws, Some("m3"), &["e3"]);
            answer(way.commit(&store, vec![again, retry]).await);
            assert_eq!(
                again_answer.await.unwrap().unwrap(),
                Delivery::Replay { stored: 1 }
            );
            assert_eq!(
                retry_answer.await.unwrap().unwrap(),
                Delivery::New(Ingested {
                    stored: 1,
                    duplicates: 0
                }),
                "the failed delivery left no marker"
            );
            let count = store
                .count_feedback(&ws, &crate::store::FeedbackFilter::default())
                .await
                .unwrap();
            assert_eq!(count.total, 5, "e1 to e5 once each");
        }
    }

    /// A committed batch is answered by the syncer, after its fsync of the log: a log that
    /// cannot be synced answers the batch with an error (the database out of reach, a 503),
    /// never a success, though its rows were committed; the database's own log answers it.
    #[tokio::test]
    async fn a_batch_is_answered_after_the_fsync_of_its_log() {
        let dir = tempfile::tempdir().unwrap();
        for (way, store, ws) in Way::both(dir.path()).await {
            let file = dir
                .path()
                .join(format!("{}.db", matches!(way, Way::Lite(_))));

            // A log under a regular file, as if it were a directory: its fsync fails.
            let blocker = dir.path().join("blocker");
            std::fs::write(&blocker, "").unwrap();
            let failing = Syncer::start(Wal::of(&blocker.join("t.db"))).unwrap();
            let (a, a_answer) = job(&ws, Some("m1"), &["e1"]);
            failing.hand(way.commit(&store, vec![a]).await);
            let refused = a_answer.await.unwrap();
            assert!(
                matches!(&refused, Err(StoreError::Db(db)) if unreachable(db)),
                "answered as the database out of reach: {refused:?}"
            );

            let syncer = Syncer::start(Wal::of(&file)).unwrap();
            let (b, b_answer) = job(&ws, Some("m2"), &["e2"]);
            syncer.hand(way.commit(&store, vec![b]).await);
            assert_eq!(
                b_answer.await.unwrap().unwrap(),
                Delivery::New(Ingested {
                    stored: 1,
                    duplicates: 0
                })
            );
        }
    }

    fn response_job(
        workspace_id: &str,
        survey_id: &str,
        id: &str,
    ) -> (Job, oneshot::Receiver<StoreResult<bool>>) {
        let (reply, answer) = oneshot::channel();
        let mut text = item(&format!("{id}:q2"));
        text.channel = Channel::Survey;
        text.source_key = format!("survey:{survey_id}");
        text.response_id = Some(id.to_owned());
        text.context
            .insert("question_id".into(), serde_json::json!("q2"));
        let job = ResponseJob {
            workspace_id: workspace_id.into(),
            response: NewSurveyResponse {
                id: id.into(),
                survey_id: survey_id.into(),
                respondent_id: None,
                answers: serde_json::json!({"q1": 9, "q2": "支付失败了"}),
                attributes: serde_json::json!({}),
                nps: Some(9),
                csat: None,
                ces: None,
                rating: None,
            },
            items: vec![text],
            received_at: Utc::now(),
            reply,
        };
        (Job::Response(job), answer)
    }

    /// A survey of `ws`: its id.
    async fn survey(store: &Store, ws: &str) -> String {
        let (questions, rules) = (serde_json::json!({"questions": []}), serde_json::json!([]));
        let survey = store.create_survey(ws, "满意度", questions, rules);
        survey.await.unwrap().id
    }

    /// Survey responses of one batch: the same response twice is stored once, and one that
    /// cannot be written (its workspace does not exist) fails alone, its neighbours stored with
    /// their answer rows and text answers.
    #[tokio::test]
    async fn responses_of_a_batch_are_stored_once_and_fail_alone() {
        let dir = tempfile::tempdir().unwrap();
        for (way, store, ws) in Way::both(dir.path()).await {
            let survey = survey(&store, &ws).await;
            let (a, a_answer) = response_job(&ws, &survey, "r1");
            let (b, b_answer) = response_job(&ws, &survey, "r1");
            let (bad, bad_answer) = response_job("ws_missing", &survey, "r2");
            let (c, c_answer) = response_job(&ws, &survey, "r3");
            answer(way.commit(&store, vec![a, b, bad, c]).await);
            assert!(a_answer.await.unwrap().unwrap(), "the first r1 is new");
            assert!(
                !b_answer.await.unwrap().unwrap(),
                "the second r1 is a replay"
            );
            assert!(c_answer.await.unwrap().unwrap());
            let bad = bad_answer.await.unwrap();
            assert!(bad.is_err(), "its own error: {bad:?}");

            let (again, again_answer) = response_job(&ws, &survey, "r3");
            answer(way.commit(&store, vec![again]).await);
            assert!(
                !again_answer.await.unwrap().unwrap(),
                "r3 sent again stores nothing"
            );
            assert_eq!(store.survey_response_count(&ws, &survey).await.unwrap(), 2);
            let count = store
                .count_feedback(&ws, &crate::store::FeedbackFilter::default())
                .await
                .unwrap();
            assert_eq!(count.total, 2, "one text answer each for r1 and r3");
        }
    }

    /// An item of `hours_ago`, with an analysis naming `pains` and scores.
    fn counted_item(
        external_id: &str,
        hours_ago: i64,
        pains: &[&str],
        nps: Option<i16>,
    ) -> NewFeedback {
        let mut it = item(external_id);
        it.occurred_at = Utc::now() - chrono::Duration::hours(hours_ago);
        it.scores.nps = nps;
        it.analysis = Some(crate::domain::FeedbackAnalysis {
            sentiment: if pains.is_empty() {
                "positive"
            } else {
                "negative"
            }
            .into(),
            score: 0.5,
            pain_points: pains.iter().map(|p| p.to_string()).collect(),
            keywords: vec!["支付".into()],
            json: "{}".into(),
            version: "t".into(),
        });
        it
    }

    /// Every row of the four counters' tables, the workspace's and survey's ids replaced.
    fn counters(file: &std::path::Path, ws: &str, survey: &str) -> Vec<String> {
        let conn = rusqlite::Connection::open(file).unwrap();
        let mut out = Vec::new();
        for table in [
            "feedback_tally",
            "pain_point_tally",
            "insight_day_seq",
            "survey_answer_tally",
        ] {
            let mut stmt = conn.prepare(&format!("SELECT * FROM {table}")).unwrap();
            let n = stmt.column_count();
            let mut rows = stmt.query([]).unwrap();
            while let Some(row) = rows.next().unwrap() {
                let values: Vec<String> = (0..n)
                    .map(|i| format!("{:?}", row.get::<_, rusqlite::types::Value>(i).unwrap()))
                    .collect();
                out.push(
                    format!("{table} {}", values.join(" "))
                        .replace(ws, "WS")
                        .replace(survey, "SV"),
                );
            }
        }
        out.sort();
        out
    }

    /// The SQLite writer's connection runs no triggers and adds to the counters itself: a
    /// batch of items (three hours over two days, pain points, scores, a replayed delivery, an
    /// item already stored, a job that fails and sends the batch into savepoints) and survey
    /// responses (scored and not, one twice) leaves every counter row as the triggers leave it
    /// through sea-orm.
    #[tokio::test]
    async fn the_writer_counts_as_the_triggers_do() {
        let dir = tempfile::tempdir().unwrap();
        let mut seen = Vec::new();
        for (lite, (way, store, ws)) in Way::both(dir.path()).await.into_iter().enumerate() {
            if let Way::Lite(l) = &way {
                assert!(
                    !l.runs_triggers(),
                    "the writer's connection runs no triggers"
                );
            }
            let survey = survey(&store, &ws).await;
            let items_job = |marker: &str, items: Vec<NewFeedback>| {
                let (reply, answer) = oneshot::channel();
                let job = ItemsJob {
                    workspace_id: ws.clone(),
                    marker: Some(("src_t".to_owned(), marker.to_owned())),
                    items,
                    received_at: Utc::now(),
                    reply,
                };
                (Job::Items(job), answer)
            };
            let (a, a_answer) = items_job(
                "m1",
                vec![
                    counted_item("e1", 0, &["支付"], Some(3)),
                    counted_item("e2", 0, &["支付", "闪退"], None),
                    counted_item("e3", 1, &[], Some(10)),
                    counted_item("e4", 30, &["闪退"], Some(8)),
                ],
            );
            let (replay, _) = items_job("m1", vec![counted_item("e1", 0, &["支付"], Some(3))]);
            let (b, b_answer) = items_job(
                "m2",
                vec![
                    counted_item("e1", 0, &["支付"], Some(3)),
                    counted_item("e5", 30, &["卡顿"], None),
                ],
            );
            let (bad, _) = job("ws_missing", Some("m3"), &["e6"]);
            let (r1, _) = response_job(&ws, &survey, "r1");
            let (r1_again, _) = response_job(&ws, &survey, "r1");
            let (mut r2, _) = response_job(&ws, &survey, "r2");
            if let Job::Response(j) = &mut r2 {
                j.response.nps = None;
            }
            answer(
                way.commit(&store, vec![a, replay, b, bad, r1, r1_again, r2])
                    .await,
            );
            assert!(matches!(a_answer.await.unwrap().unwrap(), Delivery::New(d) if d.stored == 4));
            assert!(matches!(b_answer.await.unwrap().unwrap(), Delivery::New(d) if d.stored == 1));
            let (c, _) = items_job("m4", vec![counted_item("e7", 2, &["支付"], Some(0))]);
            answer(way.commit(&store, vec![c]).await);

            let file = dir.path().join(format!("{}.db", lite == 1));
            let rows = counters(&file, &ws, &survey);
            for table in [
                "feedback_tally",
                "pain_point_tally",
                "insight_day_seq",
                "survey_answer_tally",
            ] {
                assert!(
                    rows.iter()
                        .filter(|r| r.starts_with(&format!("{table} ")))
                        .count()
                        >= 2,
                    "{table} has rows of several keys: {rows:#?}"
                );
            }
            seen.push(rows);
        }
        assert_eq!(
            seen[0], seen[1],
            "through sea-orm (triggers) and on the writer's connection"
        );
    }

    /// The writer's connection runs no triggers (lite.rs): every insert trigger of the schema
    /// is one whose work `counts::Counts` does, and the other tables the writer inserts
    /// into or updates have none. A trigger added later fails here until the writer counts
    /// for it.
    #[tokio::test]
    async fn every_trigger_the_writer_skips_it_counts_itself() {
        use sea_orm::{ConnectionTrait, Statement};
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = store_with_workspace(&dir.path().join("t.db")).await;
        let triggers = store
            .connection()
            .query_all(Statement::from_string(
                sea_orm::DbBackend::Sqlite,
                "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'",
            ))
            .await
            .unwrap();
        assert!(triggers.len() >= 10, "the counters' triggers are there");
        let mut on_insert = Vec::new();
        for t in triggers {
            let name: String = t.try_get_by_index(0).unwrap();
            let table: String = t.try_get_by_index(1).unwrap();
            let sql: String = t.try_get_by_index(2).unwrap();
            let event = &sql[..sql.find(" ON ").unwrap()];
            assert!(
                !["feedback_keyword", "webhook_delivery"].contains(&table.as_str()),
                "{name} on {table}: the writer writes that table and runs no triggers"
            );
            if event.to_uppercase().contains("INSERT") {
                on_insert.push((table, name));
            }
        }
        let mut counted: Vec<(String, String)> = SKIPPED
            .iter()
            .map(|(t, n)| (t.to_string(), n.to_string()))
            .collect();
        on_insert.sort();
        counted.sort();
        assert_eq!(on_insert, counted);
    }
}
