//! # `credchain`
//!
//! The command a person reaches for when AWS credentials are wrong: it finds credentials the way
//! boto3 and the AWS CLI (botocore 1.43.11) do, and says where they came from and why.
//!
//! - `credchain explain [--profile P] [--json]`: every source of botocore's chain in order
//!   (spec §1.1), what it found and why (file and line where there is one), which one supplies
//!   the credentials (access key id, never the secret), their expiry and how long is left. The
//!   exit status says whether there are credentials: 0 yes, 1 no or an error.
//! - `credchain export --format env|env-no-export|fish|powershell|windows-cmd|json|ini`: the
//!   credentials themselves, secret included, for a shell or another tool; `credchain process`
//!   prints the `credential_process` document; `credchain exec -- CMD` runs a command with them.
//! - `credchain serve imds|container|sts|sso`: credchain-server's faithful endpoints on
//!   loopback.
//! - A role with `mfa_serial` asks for its code on the terminal, as botocore does (see
//!   [`mfa`]).
//! - `credchain lint [FILES]`: where the AWS CLI and the other SDKs read a file differently.
//! - `credchain demo`: the IMDSv2 story, step by step, against a built-in IMDS.
//! - `credchain completions SHELL`.
//!
//! The chain, its cache and the explanation live in the `credchain` facade; this binary parses
//! arguments, picks colours and lays out text. Exit status 2 is clap's, for bad arguments.

#![forbid(unsafe_code)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic,
        clippy::arithmetic_side_effects
    )
)]

mod args;
mod completions;
mod demo;
mod exec;
mod export;
mod lint;
mod mfa;
mod model;
mod render;
mod serve;
mod warnings;

use std::io::{IsTerminal as _, Write as _};
use std::process::ExitCode;

use clap::Parser as _;

use crate::args::{Cli, ColorChoice, Command, ExplainArgs, ProfileArg};
use crate::model::{DefaultChain, ExplainOutcome};
use crate::render::Style;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(&format!("cannot start the async runtime: {e}")),
    };
    runtime.block_on(async {
        match cli.command {
            Command::Explain(a) => explain(a).await,
            Command::Export(a) => export::run(a).await,
            Command::Process(a) => export::run_process(a).await,
            Command::Exec(a) => exec::run(a).await,
            Command::Completions(a) => completions::run(a),
            Command::Serve(a) => serve::run(a).await,
            Command::Demo(a) => demo::run(a).await,
            Command::Lint(a) => lint::run(a),
        }
    })
}

/// The chain botocore would use, with `--profile` as an explicit profile; a role with
/// `mfa_serial` asks for its code on the terminal (see [`mfa`]).
fn chain(profile: &ProfileArg) -> Result<DefaultChain, credchain::Error> {
    profile
        .builder()
        .mfa_prompt(mfa::prompt(mfa::Mode::Interactive))
        .build()
}

async fn explain(args: ExplainArgs) -> ExitCode {
    let chain = match chain(&args.profile) {
        Ok(c) => c,
        Err(e) => return fail(&e.to_string()),
    };
    let explanation = chain.explain().await;
    let warnings = warnings::for_this_process(&explanation, args.profile.profile.as_deref());
    let text = if args.json {
        let json = warnings::ExplainJson {
            explanation: &explanation,
            warnings: &warnings,
        };
        match serde_json::to_string_pretty(&json) {
            Ok(mut t) => {
                t.push('\n');
                t
            }
            Err(e) => return fail(&format!("cannot write the explanation as JSON: {e}")),
        }
    } else {
        let style = style(args.color);
        render::explain_text(&explanation, style) + &render::warnings_text(&warnings, style)
    };
    if let Err(code) = print(&text) {
        return code;
    }
    match explanation.outcome {
        ExplainOutcome::Credentials { .. } => ExitCode::SUCCESS,
        ExplainOutcome::NoCredentials | ExplainOutcome::Error { .. } => ExitCode::FAILURE,
    }
}

/// Colour for `--color`: `auto` colours a terminal unless `NO_COLOR` is set to something
/// (no-color.org) or `TERM` is `dumb`.
fn style(choice: ColorChoice) -> Style {
    let colour = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var_os("TERM").is_none_or(|v| v != "dumb")
        }
    };
    if colour { Style::Color } else { Style::Plain }
}

/// Writes `text` to standard output. A closed pipe (`credchain explain | head -1`) ends the
/// command quietly with status 1 instead of a panic.
fn print(text: &str) -> Result<(), ExitCode> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(ExitCode::FAILURE),
        Err(e) => Err(fail(&format!("cannot write to standard output: {e}"))),
    }
}

/// Reports `message` on standard error; exit status 1.
fn fail(message: &str) -> ExitCode {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "credchain: {message}");
    ExitCode::FAILURE
}
