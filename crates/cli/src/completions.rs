//! `credchain completions SHELL`: the shell completion script for credchain, generated from the
//! same clap definitions `--help` is, so that it always knows every command, option and value
//! (`--format env|json|…`, `--color auto|always|never`).

use std::process::ExitCode;

use clap::{Args, CommandFactory as _};
use clap_complete::Shell;

/// The long help of `credchain completions`.
pub(crate) const COMPLETIONS_HELP: &str = "\
Print the completion script for SHELL on standard output. Load it as your shell expects:

  bash        credchain completions bash > ~/.local/share/bash-completion/completions/credchain
  zsh         credchain completions zsh > \"${fpath[1]}/_credchain\"   (then restart zsh)
  fish        credchain completions fish > ~/.config/fish/completions/credchain.fish
  powershell  credchain completions powershell | Out-String | Invoke-Expression
              (add that line to $PROFILE to keep it)
  elvish      credchain completions elvish > ~/.config/elvish/lib/credchain.elv
              (then `use credchain` in rc.elv)

For the current bash session only: source <(credchain completions bash)";

/// Options of `credchain completions`.
#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to write the script for.
    #[arg(value_enum)]
    pub(crate) shell: Shell,
}

/// `credchain completions`.
pub(crate) fn run(args: CompletionsArgs) -> ExitCode {
    let mut command = crate::args::Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "credchain", &mut script);
    match crate::print(&String::from_utf8_lossy(&script)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}
