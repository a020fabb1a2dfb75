//! `export` and `run`: an app's values as an env file or in a child's environment.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;

use secrecy::{ExposeSecret, SecretString};

use super::Context;
use crate::cli::{DialectArg, FormatArg, PresetArg, Select};
use crate::error::{Error, Result};
use crate::export::{self, Dialect, Entry, Format};
use crate::vault::{Field, Keyring, Vault};
use crate::{output, store};

pub fn format(format: FormatArg, dialect: DialectArg) -> Format {
    let dialect = match dialect {
        DialectArg::Expand => Dialect::Expand,
        DialectArg::Node => Dialect::Node,
        DialectArg::Python => Dialect::Python,
    };
    match format {
        FormatArg::Dotenv => Format::Dotenv(dialect),
        FormatArg::Json => Format::Json,
        FormatArg::Shell => Format::Shell,
        FormatArg::Github => Format::Github,
    }
}

/// The AppID, config and (when asked) secrets, named for the preset. Config is given the
/// preset's bundle prefix; secrets never are.
fn entries(vault: &Vault, keys: &mut Keyring, app: &str, select: &Select) -> Result<Vec<Entry>> {
    let a = vault.app(app)?;
    let (appid_name, prefix) = match select.preset {
        PresetArg::Plain => ("WECHAT_APPID", ""),
        PresetArg::Taro => ("TARO_APP_ID", "TARO_APP_"),
        PresetArg::Vite => ("WECHAT_APPID", "VITE_"),
    };
    let wanted = |name: &str| select.only.is_empty() || select.only.iter().any(|o| o == name);
    let mut entries = vec![Entry {
        name: appid_name.into(),
        value: SecretString::from(a.appid.clone()),
        secret: false,
    }];
    for key in a.config.keys() {
        let name = format!("{prefix}{key}");
        if wanted(&name) {
            let value = keys
                .read(vault, app, &Field::Config(key.clone()), 0)?
                .unwrap_or_default();
            entries.push(Entry {
                name,
                value: SecretString::from(value.to_string()),
                secret: false,
            });
        }
    }
    if select.include_secrets {
        for name in a.secrets.keys().filter(|n| wanted(n)) {
            let value = keys
                .read(vault, app, &Field::Secret(name.clone()), 0)?
                .unwrap_or_default();
            entries.push(Entry {
                name: name.clone(),
                value: SecretString::from(value.to_string()),
                secret: true,
            });
        }
    }
    let mut seen = BTreeSet::new();
    if let Some(dup) = entries.iter().find(|e| !seen.insert(e.name.clone())) {
        return Err(Error::invalid(
            format!("two values would both be exported as {}", dup.name),
            "rename the config value that collides",
        ));
    }
    entries.retain(|e| wanted(&e.name));
    if let Some(missing) = select.only.iter().find(|o| !seen.contains(*o)) {
        let hint = if a.secrets.contains_key(missing) && !select.include_secrets {
            "it is a secret: add --include-secrets".to_string()
        } else {
            format!("see the names with `mpvault export {app}`")
        };
        return Err(Error::not_found(
            format!("'{app}' has nothing exported as {missing}"),
            hint,
        ));
    }
    Ok(entries)
}

pub fn export(
    ctx: &Context,
    app: &str,
    select: &Select,
    format: Format,
    out: Option<&Path>,
    force: bool,
) -> Result<i32> {
    let entries = ctx.read(|vault, keys| entries(vault, keys, app, select))?;
    let text = export::render(format, &entries)?;
    if format == Format::Github {
        let target = match out {
            Some(path) => path.to_path_buf(),
            None => std::env::var_os("GITHUB_ENV")
                .map(Into::into)
                .ok_or_else(|| {
                    Error::invalid(
                        "GITHUB_ENV is not set, so there is no file to append to",
                        "run it inside a GitHub Actions step, or name the file with -o",
                    )
                })?,
        };
        append_private(&target, text.as_bytes())?;
        return output::write(export::github_masks(&entries).as_bytes()).map(|()| 0);
    }
    match out {
        Some(path) => {
            store::write_private(path, text.as_bytes(), force)?;
            output::note(&format!(
                "Wrote {} value(s) to {} (mode 0600).",
                entries.len(),
                path.display()
            ));
        }
        None => output::write(text.as_bytes())?,
    }
    Ok(0)
}

/// `$GITHUB_ENV` is appended to; a file we create for it gets mode 0600.
fn append_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .map_err(|e| Error::io_at("open", path, e))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| Error::io_at("append to", path, e))
}

pub fn run(ctx: &Context, app: &str, select: &Select, command: &[String]) -> Result<i32> {
    let entries = ctx.read(|vault, keys| entries(vault, keys, app, select))?;
    if let Some(bad) = entries
        .iter()
        .find(|e| e.value.expose_secret().contains('\0'))
    {
        return Err(Error::invalid(
            format!(
                "{} contains a NUL byte, which no environment variable can hold",
                bad.name
            ),
            "leave it out with --only, or export it with --format json",
        ));
    }
    let (program, args) = command.split_first().expect("clap requires a command");
    let mut child = std::process::Command::new(program);
    child.args(args);
    for entry in &entries {
        child.env(&entry.name, entry.value.expose_secret());
    }
    spawn(child, program)
}

/// On Unix the command replaces mpvault, so signals reach it directly.
#[cfg(unix)]
fn spawn(mut child: std::process::Command, program: &str) -> Result<i32> {
    use std::os::unix::process::CommandExt;
    let error = child.exec();
    Err(cannot_run(program, error))
}

#[cfg(not(unix))]
fn spawn(mut child: std::process::Command, program: &str) -> Result<i32> {
    let status = child.status().map_err(|e| cannot_run(program, e))?;
    Ok(status.code().unwrap_or(1))
}

fn cannot_run(program: &str, error: std::io::Error) -> Error {
    if error.kind() == std::io::ErrorKind::NotFound {
        Error::not_found(
            format!("the command '{program}' was not found"),
            "check its name and your PATH",
        )
    } else {
        Error::io(format!("cannot run '{program}'"), error)
    }
}
