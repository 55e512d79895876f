//! The command line: `serve`, `demo`, `migrate`, `workspace`, `key`, `import`, the digest
//! commands, `backup`, `export-workspace`, `retention run` and the engine's. Each subcommand builds `Settings` from flags and the environment and calls
//! library functions; the definitions are in `args`, the longer bodies beside their kind.

mod admin;
mod args;
mod demo;
mod digest;
mod engine;
mod lifecycle;
mod members;
mod memory;
mod train;

use std::process::ExitCode;

use clap::Parser;

use crate::startup::{open_store, Application};
use args::{
    Cli, Command, DigestCommand, ImportCommand, KeyCommand, MemberCommand, RetentionCommand,
    TrainCommand, WorkspaceCommand,
};

pub async fn main() -> ExitCode {
    memory::no_transparent_huge_pages();
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
            settings.session_idle = std::time::Duration::from_secs(args.session_idle_hours * 3600);
            settings.login_rate_per_minute = args.login_rate_per_minute;
            settings.body_read_timeout = std::time::Duration::from_secs(args.body_read_timeout);
            settings.db_acquire_timeout = std::time::Duration::from_secs(args.db_acquire_timeout);
            settings.run_poller = !args.no_poller;
            settings.workers = args.workers;
            settings.run_delivery = !args.no_delivery;
            settings.smtp_url = args.mail.smtp_url.clone();
            settings.mail_from = args.mail.mail_from.clone();
            let t = &args.timings;
            settings.poll_tick = std::time::Duration::from_secs(t.poll_tick_secs);
            settings.poll_lease = std::time::Duration::from_secs(t.poll_lease_secs);
            settings.delivery_tick = std::time::Duration::from_secs(t.delivery_tick_secs);
            settings.delivery_lease = std::time::Duration::from_secs(t.delivery_lease_secs);
            let app = Application::build(settings).await?;
            tracing::info!(port = app.port(), "listening");
            if args.demo {
                demo::serve(app).await?;
            } else {
                app.run_until_stopped().await?;
            }
        }
        Command::Demo(args) => {
            settings.bind = args.bind;
            settings.public_url = args.public_url;
            demo::fill(&settings).await?;
        }
        Command::Digest(DigestCommand::Preview {
            workspace,
            period,
            format,
            public_url,
        }) => {
            settings.public_url = public_url;
            digest::preview(&settings, &workspace, &period, &format).await?;
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
            digest::send(&settings, &workspace, &period).await?;
        }
        Command::BenchDigest {
            items,
            runs,
            workspace,
            survey_responses,
        } => {
            let store = open_store(&settings).await?;
            digest::bench_digest(&store, items, runs, workspace, survey_responses).await?;
        }
        Command::Migrate => {
            open_store(&settings).await?;
            eprintln!("database is up to date");
        }
        Command::Workspace(WorkspaceCommand::Create { name, timezone }) => {
            admin::create_workspace(&settings, &name, &timezone).await?;
        }
        Command::Key(KeyCommand::Create {
            workspace,
            name,
            scopes,
        }) => {
            admin::create_key(&settings, &workspace, &name, &scopes).await?;
        }
        Command::Member(MemberCommand::Add {
            workspace,
            email,
            role,
            password,
            mail,
            public_url,
        }) => {
            settings.public_url = public_url;
            settings.smtp_url = mail.smtp_url;
            settings.mail_from = mail.mail_from;
            members::add(&settings, &workspace, &email, &role, password).await?;
        }
        Command::Import(ImportCommand::Csv {
            file,
            workspace,
            map,
            source,
        }) => {
            admin::import_csv(&settings, &file, &workspace, &map, &source).await?;
        }
        Command::Backup { file } => {
            lifecycle::backup(&settings, &file).await?;
        }
        Command::ExportWorkspace { workspace, file } => {
            lifecycle::export_workspace(&settings, &workspace, &file).await?;
        }
        Command::Retention(RetentionCommand::Run) => {
            lifecycle::run_round(&settings).await?;
        }
        Command::Reanalyze { workspace, all } => {
            admin::reanalyze(&settings, workspace, all).await?;
        }
        Command::Analyze { textrank, tokens } => {
            let analyzer = crate::analysis::Analyzer::new().use_textrank(textrank);
            engine::analyze_stdin(&analyzer, tokens)?;
        }
        Command::Eval { file, json, model } => {
            engine::eval(&engine::analyzer_with(model)?, &file, json)?;
        }
        Command::Explain { text, model } => {
            print!("{}", engine::explain(&engine::analyzer_with(model)?, &text));
        }
        Command::Train(TrainCommand::Sentiment {
            data,
            pos,
            neg,
            review_weight,
            review_min_count,
            labels_from,
            cv,
            out,
        }) => {
            train::train_sentiment(&train::TrainArgs {
                data,
                pos,
                neg,
                cv,
                review_weight,
                review_min_count,
                labels_from,
                out,
            })?;
        }
        Command::Bench {
            files,
            seconds,
            runs,
        } => {
            engine::bench(&files, seconds, runs)?;
        }
    }
    Ok(())
}
