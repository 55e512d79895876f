//! A real SMTP server on 127.0.0.1 for the digest-mail tests: it speaks enough of RFC 5321 for
//! lettre over plain TCP, records every message it accepts, and can be told to fail the way real
//! relays do, so a test can prove each digest arrives exactly once after the faults clear.
// A test uses only part of this module; the rest must not trip `clippy -D warnings`.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

/// The name the server gives itself in its greeting and EHLO reply.
const HOSTNAME: &str = "tingjian-test-smtp";
/// Longest command line accepted. RFC 5321 sets 512 octets as the minimum a server must take;
/// a little more room keeps long SMTPUTF8 addresses from tripping it.
const MAX_COMMAND_LINE: usize = 4096;
/// Largest message accepted; advertised as SIZE so a client can refuse early.
const MAX_MESSAGE: usize = 32 * 1024 * 1024;
/// RFC 5321 requires servers to take at least 100 recipients per transaction.
const MAX_RECIPIENTS: usize = 100;

/// A misbehaviour to show clients. Each one fires at one point of a session: when a connection
/// opens (greeting faults and `DropAfterEhlo`), at the first RCPT TO of a transaction, or once
/// the message data has been read. Only the sessions and transactions that reach that point use up
/// a count given to [`SmtpServer::fail`].
#[derive(Clone, Debug)]
pub enum Fault {
    None,
    /// 421 greeting, then close (service not available).
    RefuseGreeting,
    /// 451 after the message data (temporary failure: the client should retry later).
    TempFailData,
    /// 550 at RCPT TO (permanent).
    RejectRecipient,
    /// 554 after the message data (permanent).
    RejectData,
    /// Accept the connection and say nothing for this long (greeting stall), then proceed normally.
    /// lettre 0.11's async transport times out only the TCP connect, so this delays a send
    /// rather than failing it: only the caller's own deadline cuts it short.
    StallGreeting(Duration),
    /// Read the whole message after DATA, then close the socket without replying
    /// (NOT recorded: the client never learned it was accepted).
    DropAfterData,
    /// Close the connection right after the greeting's EHLO reply.
    DropAfterEhlo,
    /// Take the message (recorded, as a relay that queued it) and hold its 250 for this long:
    /// a client stopped meanwhile never learns it was accepted.
    HoldReplyAfterData(Duration),
}

/// Where in a session a fault fires.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Stage {
    Connect,
    Recipient,
    Data,
}

impl Fault {
    fn stage(&self) -> Option<Stage> {
        match self {
            Fault::None => None,
            Fault::RefuseGreeting | Fault::StallGreeting(_) | Fault::DropAfterEhlo => {
                Some(Stage::Connect)
            }
            Fault::RejectRecipient => Some(Stage::Recipient),
            Fault::TempFailData
            | Fault::RejectData
            | Fault::DropAfterData
            | Fault::HoldReplyAfterData(_) => Some(Stage::Data),
        }
    }
}

/// A message the server answered 250 to after its data.
#[derive(Clone, Debug)]
pub struct Received {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    /// The message exactly as sent, dot-unstuffed, without the final ".\r\n": the CRLF ending the
    /// last line is kept, so for lettre this is the formatted message followed by "\r\n".
    pub data: Vec<u8>,
}

/// Handle on a running server; clones share it, and it stops when the last clone is dropped.
#[derive(Clone)]
pub struct SmtpServer {
    shared: Arc<Shared>,
    port: u16,
    _accept_loop: Arc<AbortOnDrop>,
}

struct Shared {
    plan: Mutex<FaultPlan>,
    messages: Mutex<Vec<Received>>,
    /// The number of accepted messages, so `wait_for` can sleep until it grows.
    accepted: watch::Sender<usize>,
    attempts: AtomicUsize,
    connections: AtomicUsize,
}

struct FaultPlan {
    fault: Fault,
    /// How many more times the fault fires; `None` means until it is changed.
    remaining: Option<usize>,
}

/// Stops the accept loop, and with it every open session (they live in its `JoinSet`), so a test
/// that drops its server leaves no listener or task behind.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A lock that survives a panicking holder: a failed assertion in one task should not turn every
/// later call into a second, misleading "poisoned" panic.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl SmtpServer {
    /// Listens on 127.0.0.1 at a free port and serves connections in background tasks.
    pub async fn start() -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("test SMTP server: cannot bind 127.0.0.1:0");
        let port = listener
            .local_addr()
            .expect("test SMTP server: listener has no local address")
            .port();
        let shared = Arc::new(Shared {
            plan: Mutex::new(FaultPlan {
                fault: Fault::None,
                remaining: None,
            }),
            messages: Mutex::new(Vec::new()),
            accepted: watch::Sender::new(0),
            attempts: AtomicUsize::new(0),
            connections: AtomicUsize::new(0),
        });
        let accept_loop = tokio::spawn(accept_loop(listener, Arc::clone(&shared)));
        SmtpServer {
            shared,
            port,
            _accept_loop: Arc::new(AbortOnDrop(accept_loop)),
        }
    }

    /// The lettre connection URL: plaintext SMTP, no authentication.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Shows `fault` to the next `times` connections or transactions that reach the point where it
    /// fires (see [`Fault`]), then serves normally again. Replaces any fault set before.
    pub fn fail(&self, fault: Fault, times: usize) {
        let mut plan = lock(&self.shared.plan);
        if times == 0 {
            *plan = FaultPlan {
                fault: Fault::None,
                remaining: None,
            };
        } else {
            *plan = FaultPlan {
                fault,
                remaining: Some(times),
            };
        }
    }

    /// Shows `fault` until it is changed; `Fault::None` restores normal service.
    pub fn set_fault(&self, fault: Fault) {
        *lock(&self.shared.plan) = FaultPlan {
            fault,
            remaining: None,
        };
    }

    /// Messages accepted so far (answered 250 after their data), in the order they were accepted.
    pub fn messages(&self) -> Vec<Received> {
        lock(&self.shared.messages).clone()
    }

    /// Waits until at least `n` messages have been accepted or `timeout` passes, then returns
    /// every accepted message; the caller checks the count, so a timeout reads as a short list.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let mut count = self.shared.accepted.subscribe();
        let _ = tokio::time::timeout(timeout, count.wait_for(|&accepted| accepted >= n)).await;
        self.messages()
    }

    /// DATA commands answered 354, whatever became of the message afterwards: with `messages()`
    /// this shows how many tries a client needed.
    pub fn attempts(&self) -> usize {
        self.shared.attempts.load(Ordering::SeqCst)
    }

    /// TCP connections accepted so far, refused greetings included: shows whether a client
    /// reused a pooled connection or opened a new one.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }
}

impl Shared {
    /// Uses up one firing of the current fault if it fires at `stage`.
    fn take_fault(&self, stage: Stage) -> Option<Fault> {
        let mut plan = lock(&self.plan);
        if plan.fault.stage() != Some(stage) {
            return None;
        }
        let fault = plan.fault.clone();
        if let Some(remaining) = plan.remaining.as_mut() {
            *remaining -= 1;
            if *remaining == 0 {
                plan.fault = Fault::None;
                plan.remaining = None;
            }
        }
        Some(fault)
    }

    fn record(&self, message: Received) -> usize {
        let mut messages = lock(&self.messages);
        messages.push(message);
        // Published under the lock so waiters never see the count run ahead of the list.
        self.accepted.send_replace(messages.len());
        messages.len()
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut sessions = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    shared.connections.fetch_add(1, Ordering::SeqCst);
                    let session = Session::new(stream, Arc::clone(&shared));
                    sessions.spawn(session.run());
                }
                // Out of file descriptors and the like: pause instead of spinning, keep serving.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            },
            // Reaps finished sessions so the set does not grow for the server's whole life.
            Some(finished) = sessions.join_next(), if !sessions.is_empty() => {
                if let Err(error) = finished {
                    if error.is_panic() {
                        eprintln!("test SMTP server: a session panicked: {error}");
                    }
                }
            }
        }
    }
}

/// What the next line of input turned out to be.
enum Line {
    /// Bytes up to (not including) the LF; a CR before it is kept for the caller to judge.
    Full(Vec<u8>),
    /// A line over the limit, discarded; holds its last byte(s) so the caller can tell whether
    /// it ended in CRLF.
    TooLong(Vec<u8>),
    /// The client closed the connection.
    Eof,
}

/// An open mail transaction: between MAIL FROM and the end of its data (or RSET).
struct Transaction {
    mail_from: String,
    rcpt_to: Vec<String>,
    /// The client declared SMTPUTF8, so non-ASCII addresses are allowed (RFC 6531).
    smtputf8: bool,
    /// Decided at the first RCPT TO, so one fault firing rejects the whole transaction.
    reject_recipients: Option<bool>,
}

struct Session {
    stream: TcpStream,
    /// Bytes read but not yet consumed: commands arrive split or batched across TCP segments.
    input: Vec<u8>,
    shared: Arc<Shared>,
    greeted: bool,
    transaction: Option<Transaction>,
}

/// Whether the session goes on after a command.
enum Next {
    Continue,
    Close,
}

impl Session {
    fn new(stream: TcpStream, shared: Arc<Shared>) -> Session {
        Session {
            stream,
            input: Vec::with_capacity(8192),
            shared,
            greeted: false,
            transaction: None,
        }
    }

    async fn run(mut self) {
        // I/O errors only mean the client went away, which is not the server's failure.
        let _ = self.serve().await;
        let _ = self.stream.shutdown().await;
    }

    async fn serve(&mut self) -> std::io::Result<()> {
        let connect_fault = self.shared.take_fault(Stage::Connect);
        match connect_fault {
            Some(Fault::RefuseGreeting) => {
                let reply =
                    format!("421 {HOSTNAME} Service not available, closing transmission channel");
                return self.reply(&reply).await;
            }
            Some(Fault::StallGreeting(stall)) => tokio::time::sleep(stall).await,
            _ => {}
        }
        let drop_after_ehlo = matches!(connect_fault, Some(Fault::DropAfterEhlo));
        self.reply(&format!("220 {HOSTNAME} ESMTP Tingjian test server ready"))
            .await?;

        loop {
            let line = match self.read_line(MAX_COMMAND_LINE).await? {
                Line::Full(line) => line,
                Line::TooLong(_) => {
                    self.reply("500 Line too long").await?;
                    continue;
                }
                Line::Eof => return Ok(()),
            };
            let line = line.strip_suffix(b"\r").unwrap_or(&line);
            let Ok(line) = std::str::from_utf8(line) else {
                self.reply("500 Syntax error, command is not UTF-8").await?;
                continue;
            };
            let (verb, argument) = line.split_once(' ').unwrap_or((line, ""));
            let verb = verb.to_ascii_uppercase();
            let is_hello = verb == "EHLO" || verb == "HELO";
            if let Next::Close = self.command(&verb, argument).await? {
                return Ok(());
            }
            if is_hello && drop_after_ehlo && self.greeted {
                return Ok(());
            }
        }
    }

    async fn command(&mut self, verb: &str, argument: &str) -> std::io::Result<Next> {
        match verb {
            "EHLO" | "HELO" => {
                let client = argument.trim();
                if client.is_empty() {
                    self.reply(&format!("501 Syntax: {verb} hostname")).await?;
                    return Ok(Next::Continue);
                }
                // A new greeting starts over, dropping any open transaction (RFC 5321 4.1.4).
                self.greeted = true;
                self.transaction = None;
                if verb == "EHLO" {
                    // lettre reads 8BITMIME and SMTPUTF8 and refuses non-ASCII mail without them;
                    // PIPELINING is true of this server (it reads from a buffer), SIZE is a limit.
                    let reply = format!(
                        "250-{HOSTNAME} greets {client}\r\n250-PIPELINING\r\n\
                         250-SIZE {MAX_MESSAGE}\r\n250-8BITMIME\r\n250 SMTPUTF8"
                    );
                    self.reply(&reply).await?;
                } else {
                    self.reply(&format!("250 {HOSTNAME} greets {client}"))
                        .await?;
                }
            }
            "MAIL" => self.mail(argument).await?,
            "RCPT" => self.rcpt(argument).await?,
            "DATA" => {
                if !argument.trim().is_empty() {
                    self.reply("501 Syntax: DATA takes no arguments").await?;
                } else if self
                    .transaction
                    .as_ref()
                    .is_none_or(|transaction| transaction.rcpt_to.is_empty())
                {
                    self.reply("503 Bad sequence of commands: need MAIL and RCPT first")
                        .await?;
                } else {
                    return self.data().await;
                }
            }
            "RSET" => {
                if !argument.trim().is_empty() {
                    self.reply("501 Syntax: RSET takes no arguments").await?;
                } else {
                    self.transaction = None;
                    self.reply("250 OK").await?;
                }
            }
            "NOOP" => self.reply("250 OK").await?,
            "QUIT" => {
                self.reply(&format!("221 {HOSTNAME} closing connection"))
                    .await?;
                return Ok(Next::Close);
            }
            // Refused like most public relays do, so address harvesting gets nothing.
            "VRFY" | "EXPN" => self.reply("502 Command refused").await?,
            "HELP" => {
                self.reply("214 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT")
                    .await?
            }
            // Known SMTP verbs whose extensions were never advertised.
            "STARTTLS" | "AUTH" | "BDAT" | "ETRN" | "TURN" => {
                self.reply("502 Command not implemented").await?
            }
            _ => self.reply("500 Syntax error, command unrecognized").await?,
        }
        Ok(Next::Continue)
    }

    async fn mail(&mut self, argument: &str) -> std::io::Result<()> {
        if !self.greeted {
            return self
                .reply("503 Bad sequence of commands: say EHLO first")
                .await;
        }
        if self.transaction.is_some() {
            return self
                .reply("503 Bad sequence of commands: nested MAIL")
                .await;
        }
        let Some((sender, parameters)) = parse_path(argument, "FROM:") else {
            return self.reply("501 Syntax: MAIL FROM:<address>").await;
        };
        let mut smtputf8 = false;
        for parameter in parameters.split_whitespace() {
            let (keyword, value) = parameter.split_once('=').unwrap_or((parameter, ""));
            match keyword.to_ascii_uppercase().as_str() {
                "BODY" if value.eq_ignore_ascii_case("7BIT") => {}
                "BODY" if value.eq_ignore_ascii_case("8BITMIME") => {}
                "SMTPUTF8" if value.is_empty() => smtputf8 = true,
                "SIZE" => match value.parse::<usize>() {
                    Ok(size) if size > MAX_MESSAGE => {
                        return self
                            .reply("552 Message size exceeds fixed maximum message size")
                            .await;
                    }
                    Ok(_) => {}
                    Err(_) => return self.reply("501 Syntax: SIZE=<number>").await,
                },
                // RFC 5321 4.1.1.11: parameters that were not advertised are refused.
                _ => return self.reply("555 MAIL FROM parameter not recognized").await,
            }
        }
        if !sender.is_ascii() && !smtputf8 {
            return self.reply("553 Non-ASCII sender needs SMTPUTF8").await;
        }
        self.transaction = Some(Transaction {
            mail_from: sender,
            rcpt_to: Vec::new(),
            smtputf8,
            reject_recipients: None,
        });
        self.reply("250 OK").await
    }

    async fn rcpt(&mut self, argument: &str) -> std::io::Result<()> {
        let Some(transaction) = self.transaction.as_mut() else {
            return self
                .reply("503 Bad sequence of commands: need MAIL first")
                .await;
        };
        let Some((recipient, parameters)) = parse_path(argument, "TO:") else {
            return self.reply("501 Syntax: RCPT TO:<address>").await;
        };
        if recipient.is_empty() {
            return self.reply("501 Syntax: RCPT TO:<address>").await;
        }
        if !parameters.is_empty() {
            return self.reply("555 RCPT TO parameter not recognized").await;
        }
        if !recipient.is_ascii() && !transaction.smtputf8 {
            return self.reply("553 Non-ASCII recipient needs SMTPUTF8").await;
        }
        let reject = *transaction
            .reject_recipients
            .get_or_insert_with(|| self.shared.take_fault(Stage::Recipient).is_some());
        if reject {
            return self.reply("550 No such user here").await;
        }
        if transaction.rcpt_to.len() >= MAX_RECIPIENTS {
            return self.reply("452 Too many recipients").await;
        }
        transaction.rcpt_to.push(recipient);
        self.reply("250 OK").await
    }

    /// Reads the message after DATA and answers for it; the transaction ends either way.
    async fn data(&mut self) -> std::io::Result<Next> {
        self.shared.attempts.fetch_add(1, Ordering::SeqCst);
        self.reply("354 End data with <CR><LF>.<CR><LF>").await?;

        let mut data = Vec::new();
        let mut too_big = false;
        // Dot transparency (RFC 5321 4.5.2) applies only at the start of a line, and lines end in
        // CRLF: a bare LF inside a line is data, and so is a dot after it.
        let mut line_start = true;
        loop {
            let line = match self.read_line(MAX_MESSAGE).await? {
                Line::Full(line) => line,
                Line::TooLong(tail) => {
                    too_big = true;
                    line_start = tail.ends_with(b"\r");
                    continue;
                }
                // The client gave up mid-message: nothing to record, nobody to answer.
                Line::Eof => return Ok(Next::Close),
            };
            if line_start && line == b".\r" {
                break;
            }
            let content = match line.strip_prefix(b".") {
                Some(unstuffed) if line_start => unstuffed,
                _ => &line[..],
            };
            if data.len() + content.len() + 1 > MAX_MESSAGE {
                too_big = true;
            }
            if !too_big {
                data.extend_from_slice(content);
                data.push(b'\n');
            }
            line_start = line.ends_with(b"\r");
        }

        let transaction = self
            .transaction
            .take()
            .expect("DATA is only read inside a transaction");
        if too_big {
            self.reply("552 Message exceeds fixed maximum message size")
                .await?;
            return Ok(Next::Continue);
        }
        match self.shared.take_fault(Stage::Data) {
            Some(Fault::TempFailData) => {
                self.reply("451 Requested action aborted: local error in processing")
                    .await?
            }
            Some(Fault::RejectData) => self.reply("554 Transaction failed").await?,
            // The message was read in full and is now lost with the connection.
            Some(Fault::DropAfterData) => return Ok(Next::Close),
            Some(Fault::HoldReplyAfterData(hold)) => {
                let number = self.shared.record(Received {
                    mail_from: transaction.mail_from,
                    rcpt_to: transaction.rcpt_to,
                    data,
                });
                tokio::time::sleep(hold).await;
                self.reply(&format!("250 OK: queued as {number}")).await?;
            }
            _ => {
                // Recorded before the 250 goes out, so a client's successful send is already
                // visible to `messages()` when it returns.
                let number = self.shared.record(Received {
                    mail_from: transaction.mail_from,
                    rcpt_to: transaction.rcpt_to,
                    data,
                });
                self.reply(&format!("250 OK: queued as {number}")).await?;
            }
        }
        Ok(Next::Continue)
    }

    /// Reads up to the next LF, over as many TCP reads as it takes. Lines longer than `limit`
    /// are skipped to their end instead of buffered, so a runaway client cannot exhaust memory.
    async fn read_line(&mut self, limit: usize) -> std::io::Result<Line> {
        let mut searched = 0;
        let mut too_long = false;
        loop {
            if let Some(offset) = self.input[searched..].iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.input.drain(..searched + offset + 1).collect();
                line.pop();
                return Ok(if too_long {
                    Line::TooLong(line)
                } else {
                    Line::Full(line)
                });
            }
            if self.input.len() > limit {
                // Keep the last byte: it may be the CR of a CRLF split across reads.
                let keep = self.input.len() - 1;
                self.input.drain(..keep);
                too_long = true;
            }
            searched = self.input.len();
            self.input.reserve(8192);
            if self.stream.read_buf(&mut self.input).await? == 0 {
                return Ok(Line::Eof);
            }
        }
    }

    /// Sends one reply; `text` holds its lines without the final CRLF.
    async fn reply(&mut self, text: &str) -> std::io::Result<()> {
        let mut bytes = Vec::with_capacity(text.len() + 2);
        bytes.extend_from_slice(text.as_bytes());
        bytes.extend_from_slice(b"\r\n");
        self.stream.write_all(&bytes).await
    }
}

/// Splits `FROM:<path> PARAMS` / `TO:<path> PARAMS` into the mailbox and its parameters. The
/// angle brackets are required (RFC 5321 4.1.2); a space after the colon, which some clients
/// send, is tolerated. An obsolete source route (`<@relay:user@host>`) is dropped.
fn parse_path<'a>(argument: &'a str, keyword: &str) -> Option<(String, &'a str)> {
    let argument = argument.trim_start();
    let head = argument.get(..keyword.len())?;
    if !head.eq_ignore_ascii_case(keyword) {
        return None;
    }
    let rest = argument[keyword.len()..].trim_start().strip_prefix('<')?;
    let close = rest.find('>')?;
    let path = &rest[..close];
    let mailbox = if path.starts_with('@') {
        path.split_once(':')?.1
    } else {
        path
    };
    if mailbox.chars().any(char::is_whitespace) && !mailbox.starts_with('"') {
        return None;
    }
    Some((mailbox.to_string(), rest[close + 1..].trim()))
}
