//! `completions SHELL` and `man [--dir DIR]`.

use std::path::Path;

use clap::CommandFactory;
use clap_complete::env::Shells;

use crate::cli::{Cli, CompletionsArgs, ManArgs};
use crate::error::{Error, Result};
use crate::output;

/// The shell hook for dynamic completion: the shell calls mpvault back (`MPVAULT_COMPLETE=SHELL`),
/// which completes subcommands and options, and app, secret and member names from the vault.
pub fn completions(CompletionsArgs { shell }: CompletionsArgs) -> Result<()> {
    let name = shell.to_string();
    let shells = Shells::builtins();
    let completer = shells.completer(&name).ok_or_else(|| {
        Error::invalid(
            format!("mpvault cannot complete in {name}"),
            "use bash, zsh, fish, elvish or powershell",
        )
    })?;
    let mut out = Vec::new();
    completer
        .write_registration(
            crate::complete::ENV,
            "mpvault",
            "mpvault",
            "mpvault",
            &mut out,
        )
        .map_err(|e| Error::io("cannot write the completion script", e))?;
    output::write(&out)
}

const ENVIRONMENT: &[(&str, &str)] = &[
    ("MPVAULT_VAULT", "The vault file, like --vault."),
    ("MPVAULT_VAULTS", "Several vault files, separated by colons or newlines, for status and app list when no --vault names one."),
    ("MPVAULT_IDENTITY", "The identity's key text itself, for CI."),
    ("MPVAULT_IDENTITY_FILE", "A file holding the identity."),
    ("MPVAULT_PASSPHRASE", "The passphrase of a protected identity, instead of asking."),
    ("MPVAULT_AGENT", "off: commands neither use nor look for the agent `mpvault unlock` starts."),
    ("XDG_RUNTIME_DIR", "Where the agent's private folder is (else mpvault-<uid> in the temporary folder)."),
    ("MPVAULT_WECHAT_API", "The base URL of WeChat's API for verify (default https://api.weixin.qq.com); https, or http to this machine."),
    ("NO_COLOR", "When set and not empty, status prints no colour."),
    ("COLUMNS", "The width status fits when standard output is not a terminal (default 80)."),
    ("MPVAULT_COMPLETE", "Set by the shell hook from `mpvault completions` to ask for completions."),
];

/// Renders one page with the sections clap_mangen leaves out.
fn page(cmd: clap::Command) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd)
        .render(&mut out)
        .map_err(|e| Error::io("cannot render the man page", e))?;
    let mut roff = roff::Roff::new();
    // The exit codes are decided and explained in one place, `error::exit`.
    let exit_status: Vec<(String, String)> = crate::error::exit::MEANINGS
        .iter()
        .map(|(code, meaning)| (code.to_string(), format!("{meaning}.")))
        .collect();
    let environment = ENVIRONMENT
        .iter()
        .map(|(term, text)| (term.to_string(), text.to_string()));
    for (title, items) in [
        ("EXIT STATUS", exit_status),
        ("ENVIRONMENT", environment.collect()),
    ] {
        roff.control("SH", [title]);
        for (term, text) in items {
            roff.control("TP", [])
                .text([roff::bold(term)])
                .text([roff::roman(text)]);
        }
    }
    out.extend(roff.render().into_bytes());
    Ok(out)
}

/// The main page on standard output, or every page (mpvault.1, mpvault-app-add.1, …) in `dir`.
pub fn man(ManArgs { dir }: ManArgs) -> Result<()> {
    let dir = dir.as_deref();
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let Some(dir) = dir else {
        return output::write(&page(cmd)?);
    };
    std::fs::create_dir_all(dir).map_err(|e| Error::io_at("create", dir, e))?;
    let mut written = 0;
    write_pages(cmd, dir, &mut written)?;
    output::note(&format!("Wrote {written} man pages to {}.", dir.display()));
    Ok(())
}

fn write_pages(cmd: clap::Command, dir: &Path, written: &mut usize) -> Result<()> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub.clone(), dir, written)?;
    }
    let name = cmd
        .get_display_name()
        .unwrap_or_else(|| cmd.get_name())
        .to_string();
    let path = dir.join(format!("{name}.1"));
    std::fs::write(&path, page(cmd)?).map_err(|e| Error::io_at("write", &path, e))?;
    *written += 1;
    Ok(())
}
