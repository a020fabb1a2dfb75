//! `export` and `run`: an app's values as an env file or in a child's environment.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use secrecy::{ExposeSecret, SecretString};

use super::{Context, Outcome};
use crate::cli::{DialectArg, ExportArgs, FormatArg, RunArgs, Select, UploadKeyFile};
use crate::error::{Error, Result};
use crate::export::{self, Dialect, Entry, Format};
use crate::vault::{App, Field, Keyring, Scope, Vault};
use crate::wechat::Level;
use crate::{envnames, output, store};

pub fn dialect(dialect: DialectArg) -> Dialect {
    match dialect {
        DialectArg::Expand => Dialect::Expand,
        DialectArg::Node => Dialect::Node,
        DialectArg::Python => Dialect::Python,
    }
}

pub fn format(format: FormatArg, dialect: DialectArg) -> Format {
    let dialect = self::dialect(dialect);
    match format {
        FormatArg::Dotenv => Format::Dotenv(dialect),
        FormatArg::Json => Format::Json,
        FormatArg::Shell => Format::Shell,
        FormatArg::Github => Format::Github,
    }
}

/// The apps an export or a run decodes: its own, unless a bundle preset ships config, which
/// is checked against every secret the exporter can read in every app
/// (`refuse_shipped_secrets`).
fn scope_of(app: &str, select: &Select) -> Scope {
    if select.preset.prefix().is_empty() {
        Scope::app(app)
    } else {
        Scope::All
    }
}

/// The AppID, config and (when asked) secrets, named for the preset. Bundle config is given
/// the preset's prefix; build config and secrets never are, and bundle config that holds a
/// secret's value is refused rather than shipped.
fn entries(vault: &Vault, keyring: &mut Keyring, app: &str, select: &Select) -> Result<Vec<Entry>> {
    let a = vault.app(app)?;
    let preset = select.preset;
    let mut entries = vec![Entry {
        name: preset.appid_name().into(),
        value: SecretString::from(a.appid.clone()),
        secret: false,
    }];
    let fields = chosen_fields(vault, keyring, app, select)?;
    if !preset.prefix().is_empty() {
        refuse_shipped_secrets(vault, keyring, app, &fields)?;
    }
    for (name, field, secret) in fields {
        let value = keyring.read(vault, app, &field, 0)?.unwrap_or_default();
        entries.push(Entry {
            name,
            value: SecretString::from(value.as_str()),
            secret,
        });
    }
    check_names(&entries, a, app, select)?;
    entries.retain(|e| select.only.is_empty() || select.only.contains(&e.name));
    Ok(entries)
}

/// The config and (when asked) secrets to export, by exported name: those `--only` wants,
/// that a vault may set, and that this member may read. What is left out is named
/// (`left_out`), and refused under `--strict`.
fn chosen_fields(
    vault: &Vault,
    keyring: &Keyring,
    app: &str,
    select: &Select,
) -> Result<Vec<(String, Field, bool)>> {
    let a = vault.app(app)?;
    let preset = select.preset;
    let named = |name: &str| select.only.iter().any(|o| o == name);
    let wanted = |name: &str| select.only.is_empty() || named(name);
    // What this member may not read is left out and named, unless they asked for it by name.
    let mut unreadable = Vec::new();
    let mut readable = |name: &str, level: Level| -> Result<bool> {
        if keyring.can_read(vault, app, level) {
            return Ok(true);
        }
        if named(name) {
            return Err(Error::denied(
                format!("{} cannot read {name} of '{app}', which is kept at the {level} level", keyring.actor),
                format!("leave it out of --only, or ask an owner for a role that reaches the {level} level"),
            ));
        }
        unreadable.push((name.to_string(), level));
        Ok(false)
    };
    // Names a vault may not set, with why: left out whatever the file says.
    let mut refused: Vec<(String, &str)> = Vec::new();
    let mut allowed = |name: &str| match envnames::takes_over_startup(name) {
        None => true,
        Some(why) => {
            refused.push((name.to_string(), why));
            false
        }
    };
    if select.mode.is_none() {
        note_mode_only(a);
    }
    let mut fields = Vec::new();
    for (key, field) in config_fields(a, app, select.mode.as_deref()) {
        // Build config is named as is: no preset ships it.
        let name = match field {
            Field::Build(_) | Field::ModeBuild(..) => key,
            _ => preset.exported_name(&key, false),
        };
        if wanted(&name) && allowed(&name) && readable(&name, Level::Team)? {
            fields.push((name, field, false));
        }
    }
    if select.include_secrets {
        for (name, secret) in a.secrets.iter().filter(|(n, _)| wanted(n)) {
            if allowed(name) && readable(name, secret.access)? {
                fields.push((name.clone(), Field::Secret(name.clone()), true));
            }
        }
    }
    left_out(app, &keyring.actor, select.strict, &unreadable, &refused)?;
    Ok(fields)
}

/// No two values may share an exported name, and every name `--only` asks for is there.
fn check_names(entries: &[Entry], a: &App, app: &str, select: &Select) -> Result<()> {
    let mut seen = BTreeSet::new();
    if let Some(dup) = entries.iter().find(|e| !seen.insert(e.name.clone())) {
        return Err(Error::invalid(
            format!("two values would both be exported as {}", dup.name),
            "rename the config value that collides",
        ));
    }
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
    Ok(())
}

/// Refuses bundle config (which a bundle preset ships in the Mini Program) that holds the value
/// of a secret the exporter can read, naming its key and never the value.
fn refuse_shipped_secrets(
    vault: &Vault,
    keyring: &mut Keyring,
    app: &str,
    fields: &[(String, Field, bool)],
) -> Result<()> {
    let shipped: Vec<&(String, Field, bool)> = fields
        .iter()
        .filter(|(_, f, _)| matches!(f, Field::Config(_) | Field::ModeConfig(..)))
        .collect();
    if shipped.is_empty() {
        return Ok(());
    }
    let secrets = super::config::readable_secrets(vault, keyring)?;
    for (name, field, _) in shipped {
        let value = keyring.read(vault, app, field, 0)?.unwrap_or_default();
        if super::config::is_one_of(&value, &secrets) {
            let key = field.name();
            return Err(Error::invalid(
                format!("config {key} of '{app}' holds the value of a secret, which this preset would ship inside the Mini Program as {name}"),
                format!("remove it with `mpvault config unset {app} {key}`, and reset that secret if a build ever shipped it"),
            ));
        }
    }
    Ok(())
}

/// The app's config keys and where each value comes from: the base bundle and build config,
/// with the named mode's values of each kind laid over them.
fn config_fields(a: &App, app: &str, mode: Option<&str>) -> BTreeMap<String, Field> {
    let mut fields: BTreeMap<String, Field> = a
        .config
        .keys()
        .map(|k| (k.clone(), Field::Config(k.clone())))
        .chain(a.build.keys().map(|k| (k.clone(), Field::Build(k.clone()))))
        .collect();
    let Some(mode) = mode else {
        return fields;
    };
    let (bundle, build) = (a.modes.get(mode), a.build_modes.get(mode));
    if bundle.is_none() && build.is_none() {
        // A build script names its mode whether or not the mode has values of its own, as
        // Vite does with .env files; a typo still shows, next to the modes there are.
        let known: BTreeSet<&str> = a
            .modes
            .keys()
            .chain(a.build_modes.keys())
            .map(String::as_str)
            .collect();
        let known = if known.is_empty() {
            "it has none".to_string()
        } else {
            format!(
                "it has {}",
                known.into_iter().collect::<Vec<_>>().join(", ")
            )
        };
        output::note(&format!("'{app}' has no config for mode '{mode}' ({known}), so the base config is used; set some with `mpvault config set {app} KEY=VALUE --mode {mode}`."));
        return fields;
    }
    for key in bundle.into_iter().flat_map(BTreeMap::keys) {
        fields.insert(key.clone(), Field::ModeConfig(mode.into(), key.clone()));
    }
    for key in build.into_iter().flat_map(BTreeMap::keys) {
        fields.insert(key.clone(), Field::ModeBuild(mode.into(), key.clone()));
    }
    fields
}

/// Without `--mode` only the base config is exported: say which keys are set only in a mode,
/// so a build that needed them does not go without them unnoticed.
fn note_mode_only(a: &App) {
    let left_out: BTreeSet<String> = a
        .modes
        .iter()
        .flat_map(|(mode, values)| {
            values
                .keys()
                .filter(|k| !a.config.contains_key(*k))
                .map(move |k| format!("{k} ({mode})"))
        })
        .collect();
    if !left_out.is_empty() {
        output::note(&format!(
            "Left out config set only in a mode: {}; `--mode MODE` includes a mode's values.",
            left_out.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
}

/// Names what an export leaves out: values `actor` may not read and names a vault may not set.
/// With `--strict` a build that asked for everything gets everything, or fails naming what it
/// would have gone without and why (CI would otherwise build with values missing).
fn left_out(
    app: &str,
    actor: &str,
    strict: bool,
    unreadable: &[(String, Level)],
    refused: &[(String, &str)],
) -> Result<()> {
    if !strict {
        for (name, why) in refused {
            output::note(&format!(
                "Warning: skipped {name} of '{app}': a vault may not set it, because {why}."
            ));
        }
        if !unreadable.is_empty() {
            let named: Vec<String> = unreadable
                .iter()
                .map(|(name, level)| format!("{name} ({level})"))
                .collect();
            output::note(&format!(
                "Left out what {actor} may not read: {}.",
                named.join(", ")
            ));
        }
        return Ok(());
    }
    let mut left_out: Vec<String> = unreadable
        .iter()
        .map(|(name, level)| format!("{name} ({actor} cannot read the {level} level)"))
        .collect();
    left_out.extend(
        refused
            .iter()
            .map(|(name, _)| format!("{name} (a vault may not set it)")),
    );
    if left_out.is_empty() {
        return Ok(());
    }
    Err(Error::denied(
        format!(
            "--strict refuses to leave out {} of '{app}'",
            left_out.join(", ")
        ),
        format!("ask an owner for a role that reaches what is missing, or name only what the build needs with --only (`mpvault export {app} --only KEYS`)"),
    ))
}

/// `export`: the upload key alone when `--upload-key-file` is given, else an env file.
pub fn export(ctx: &Context, args: &ExportArgs) -> Result<()> {
    match &args.upload_key_file {
        Some(target) => upload_key(ctx, &args.app, target, args.force),
        None => env_file(ctx, args),
    }
}

fn env_file(ctx: &Context, args: &ExportArgs) -> Result<()> {
    let (app, select, force) = (args.app.as_str(), &args.select, args.force);
    let format = format(args.format, args.dialect);
    let out = args.output.as_deref().filter(|path| !names_stdout(path));
    // Where it goes is checked before anything is decrypted.
    if format == Format::Github && out.is_none() && args.output.is_some() {
        return Err(Error::invalid(
            "the github format appends to the file GITHUB_ENV names, not to standard output",
            "leave out -o, or print with --format dotenv",
        ));
    }
    let target = match (format, out) {
        (_, Some(path)) => Some(path.to_path_buf()),
        (Format::Github, None) => Some(std::env::var_os("GITHUB_ENV").map(Into::into).ok_or_else(
            || {
                Error::invalid(
                    "GITHUB_ENV is not set, so there is no file to append to",
                    "run it inside a GitHub Actions step, or name the file with -o",
                )
            },
        )?),
        (_, None) => None,
    };
    if let Some(path) = &target {
        store::refuse_symlink(path)?;
    }
    let entries = ctx.read(&scope_of(app, select), |vault, keyring| {
        entries(vault, keyring, app, select)
    })?;
    let text = export::render(format, &entries)?;
    let Some(path) = target else {
        return output::write(text.as_bytes());
    };
    let secrets = entries.iter().any(|e| e.secret);
    let committable = guard_commit(&path, secrets, force)?;
    if format == Format::Github {
        store::append_private(&path, text.as_bytes())?;
    } else {
        store::write_private(&path, text.as_bytes(), force)?;
        output::note(&format!(
            "Wrote {} value(s) to {} (mode 0600).",
            entries.len(),
            path.display()
        ));
    }
    if committable {
        warn_committable(&path, secrets);
    }
    if format == Format::Github {
        output::write(export::github_masks(&entries).as_bytes())?;
    }
    Ok(())
}

/// `-o -` and `-o /dev/stdout` mean standard output, as with no `-o`: a link every system
/// has, which is written through as a stream, never replaced or created. Any other link is
/// refused.
fn names_stdout(path: &Path) -> bool {
    path == Path::new("-") || path == Path::new("/dev/stdout")
}

/// The secret miniprogram-ci signs uploads with.
const UPLOAD_KEY: &str = "WECHAT_UPLOAD_KEY";

/// `export APP --upload-key-file [PATH]`: the app's upload key, byte for byte, in a private
/// file (default `private.<appid>.key` here), and on standard output the line that uses it.
fn upload_key(ctx: &Context, app: &str, target: &UploadKeyFile, force: bool) -> Result<()> {
    let (path, appid, committable) = ctx.read(&Scope::app(app), |vault, keyring| {
        let a = vault.app(app)?;
        if !a.secrets.contains_key(UPLOAD_KEY) {
            return Err(Error::not_found(
                format!("'{app}' has no upload key ({UPLOAD_KEY})"),
                format!(
                    "store it with `mpvault add-secret {app} {UPLOAD_KEY} --stdin < private.key`"
                ),
            ));
        }
        let path = match target {
            UploadKeyFile::NamedByAppid => PathBuf::from(format!("private.{}.key", a.appid)),
            UploadKeyFile::At(path) => path.clone(),
        };
        store::refuse_symlink(&path)?;
        if path.exists() && !force {
            return Err(Error::exists(
                format!("{} already exists", path.display()),
                "pass --force to overwrite it, or name another path after --upload-key-file",
            ));
        }
        // Refuse before anything is decrypted.
        let committable = guard_commit(&path, true, force)?;
        let key = keyring
            .read(vault, app, &Field::Secret(UPLOAD_KEY.into()), 0)?
            .unwrap_or_default();
        store::write_private(&path, key.as_bytes(), force)?;
        Ok((path, a.appid.clone(), committable))
    })?;
    output::note(&format!(
        "Wrote the upload key of '{app}' to {} (mode 0600).",
        path.display()
    ));
    if committable {
        warn_committable(&path, true);
    }
    output::line(&format!(
        "miniprogram-ci upload --pp ./ --pkp {} --appid {appid} --uv <version>",
        export::shell_word(&path.to_string_lossy())
    ))?;
    Ok(())
}

/// Whether git would commit `path`: it is inside a work tree and not ignored (nor already
/// tracked). `git check-ignore` exits 0 for ignored and 1 for not ignored; anything else
/// (git missing, not a repository) leaves nothing to guard.
fn git_would_commit(path: &Path) -> bool {
    let Some(name) = path.file_name() else {
        return false;
    };
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    std::process::Command::new("git")
        .args(["check-ignore", "-q", "--"])
        .arg(name)
        .current_dir(folder)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.code() == Some(1))
}

/// Refuses to write secrets where git would commit them, unless `force`. Returns whether the
/// file is committable, so the caller can warn once it is written.
fn guard_commit(path: &Path, secrets: bool, force: bool) -> Result<bool> {
    let committable = git_would_commit(path);
    if committable && secrets && !force {
        return Err(Error::invalid(
            format!(
                "{} is not ignored by git, so the secrets written to it could be committed",
                path.display()
            ),
            "add it to .gitignore, or pass --force to write it anyway",
        ));
    }
    Ok(committable)
}

fn warn_committable(path: &Path, secrets: bool) {
    let what = if secrets { "its secrets" } else { "it" };
    output::note(&format!(
        "Warning: {} is not ignored by git, so {what} could be committed; add it to .gitignore.",
        path.display()
    ));
}

pub fn run(
    ctx: &Context,
    RunArgs {
        app,
        select,
        command,
    }: RunArgs,
) -> Result<Outcome> {
    let app = app.as_str();
    let entries = ctx.read(&scope_of(app, &select), |vault, keyring| {
        entries(vault, keyring, app, &select)
    })?;
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
    // mpvault's own variables (the identity itself, its passphrase, where they are) would let
    // the command decrypt everything its caller can.
    for (name, _) in std::env::vars_os() {
        if name
            .to_string_lossy()
            .to_ascii_uppercase()
            .starts_with("MPVAULT_")
        {
            child.env_remove(name);
        }
    }
    for entry in &entries {
        child.env(&entry.name, entry.value.expose_secret());
    }
    spawn(child, program)
}

/// On Unix the command replaces mpvault, so signals reach it directly.
#[cfg(unix)]
fn spawn(mut child: std::process::Command, program: &str) -> Result<Outcome> {
    use std::os::unix::process::CommandExt;
    let error = child.exec();
    Err(cannot_run(program, error))
}

#[cfg(not(unix))]
fn spawn(mut child: std::process::Command, program: &str) -> Result<Outcome> {
    let status = child.status().map_err(|e| cannot_run(program, e))?;
    Ok(Outcome::Child(status.code().unwrap_or(1)))
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
