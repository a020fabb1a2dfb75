//! `import APP FILE`: an existing `.env` file into the vault, secrets and config sorted, the
//! AppID checked, nothing replaced without `--update`.

use std::fmt::Write as _;
use std::io::Read as _;
use std::path::Path;

use zeroize::Zeroizing;

use super::config::field;
use super::{now, Context};
use crate::cli::ImportArgs;
use crate::error::{Error, Result};
use crate::export::read::{self, FileProblem};
use crate::export::Dialect;
use crate::import::{self, Item, Kind, Overrides};
use crate::preset::bundle_prefix;
use crate::vault::{admit, Field, Keyring, Scope, Vault};
use crate::wechat::Level;
use crate::{output, store};

/// Larger files are refused before they are parsed (no `.env` file is this big).
const MAX_FILE: u64 = 1 << 20;

/// What `import` was asked to do, beyond which app and file.
struct Options<'a> {
    dialect: Dialect,
    mode: Option<&'a str>,
    update: bool,
}

/// What importing one item does to the vault.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Action {
    /// The AppID matched; nothing is stored.
    Checked,
    Add,
    /// `--update`: config replaced, or a secret rotated (its history kept).
    Update,
    /// `--update` with the value the vault already holds.
    Unchanged,
}

impl Action {
    fn describe(self, kind: Kind) -> &'static str {
        match (self, kind) {
            (Action::Checked, _) => "matches the app",
            (Action::Add, _) => "add",
            (Action::Update, Kind::Secret(_)) => "rotate",
            (Action::Update, _) => "replace",
            (Action::Unchanged, _) => "unchanged",
        }
    }
}

pub fn run(ctx: &Context, args: &ImportArgs) -> Result<()> {
    let opts = &Options {
        dialect: super::export::dialect(args.dialect),
        mode: args.mode.as_deref(),
        update: args.update,
    };
    let (app, file) = (args.app.as_str(), args.file.as_path());
    let shown = file.display().to_string();
    let reads = read_env_file(file, &shown, opts.dialect)?;
    let forced = Overrides {
        secrets: &args.secrets,
        config: &args.config,
    };
    if args.dry_run {
        let rows = ctx.read(&Scope::All, |vault, keyring| {
            let items = checked_plan(&shown, reads, &forced, &vault.app(app)?.appid)?;
            refuse_secret_values(vault, keyring, &items)?;
            let actions = actions(vault, keyring, app, &items, opts)?;
            items
                .iter()
                .zip(actions)
                .map(|(item, action)| {
                    let stored = stored_level(vault, app, &item.name)?;
                    Ok(plan_row(item, action, opts.mode, stored))
                })
                .collect::<Result<Vec<_>>>()
        })?;
        output::table(
            [
                "IN FILE",
                "STORED AS",
                "EXPORTED AS",
                "KIND",
                "BECAUSE OF",
                "LEVEL",
                "ACTION",
            ],
            rows,
        )?;
        output::note("Dry run: nothing was stored.");
        return Ok(());
    }
    let counts = ctx.write(|vault, keyring| {
        let items = checked_plan(&shown, reads, &forced, &vault.app(app)?.appid)?;
        refuse_secret_values(vault, keyring, &items)?;
        let actions = actions(vault, keyring, app, &items, opts)?;
        store(vault, keyring, app, &items, &actions, opts.mode)
    })?;
    report(&counts, app, opts.mode, &shown);
    Ok(())
}

/// The plan, with every check `config set` and `add-secret` apply to a name and value: an
/// imported file is no way around them.
fn checked_plan(
    shown: &str,
    reads: Vec<read::Read>,
    forced: &Overrides,
    appid: &str,
) -> Result<Vec<Item>> {
    let items = import::plan(shown, reads, forced, appid)?;
    for item in items.iter().filter(|i| i.kind != Kind::AppId) {
        admit::refuse_startup_name(&item.name)?;
        admit::check_value_size(&item.name, &item.value)?;
    }
    Ok(items)
}

/// The file as its reader would see it; a file two readers see differently is refused.
fn read_env_file(file: &Path, shown: &str, dialect: Dialect) -> Result<Vec<read::Read>> {
    let text = read_file(file)?;
    if text.starts_with('\u{feff}') {
        output::note(&format!("{shown} starts with a byte-order mark, which Vite 8 and python-dotenv read as part of the first name; it is ignored here, and files mpvault writes have none."));
    }
    read::read(dialect, &text).map_err(|problem| match problem {
        FileProblem::BuiltinDiverges { at } => Error::invalid(
            format!("{shown} reads differently in dotenv and in Node's built-in env parser, which Vite 8 uses, from {at} on (a quote inside its quotes, a `:` instead of `=`, a line of blanks or an indented comment, or blanks other than spaces)"),
            "rewrite those lines as NAME=value or NAME='value', or import with --dialect node if only dotenv reads this file",
        ),
        FileProblem::LoneCarriageReturn => Error::invalid(
            format!("{shown} has a carriage return without a line feed, which dotenv reads as a line break and Node's built-in env parser (Vite 8) drops inside quotes"),
            "save the file with LF or CRLF line ends, then import again",
        ),
    })
}

/// How many secrets and config values were stored, and how many were already there.
#[derive(Default)]
struct Counts {
    secrets: usize,
    config: usize,
    unchanged: usize,
}

/// Stores each planned item as its action says.
fn store(
    vault: &mut Vault,
    keyring: &mut Keyring,
    app: &str,
    items: &[Item],
    actions: &[Action],
    mode: Option<&str>,
) -> Result<Counts> {
    let mut counts = Counts::default();
    for (item, action) in items.iter().zip(actions) {
        match (action, item.kind) {
            (Action::Checked, _) => {}
            (Action::Unchanged, _) => counts.unchanged += 1,
            (_, Kind::Secret(default)) => {
                let level = stored_level(vault, app, &item.name)?.unwrap_or(default);
                keyring.set_secret(vault, app, &item.name, level, &item.value, &now())?;
                counts.secrets += 1;
            }
            (_, _) => {
                let field = field(mode, &item.name, is_build(item));
                keyring.set_plain_field(vault, app, field, &item.value, &now())?;
                counts.config += 1;
            }
        }
    }
    Ok(counts)
}

/// What was imported, and that the file still holds its secrets.
fn report(counts: &Counts, app: &str, mode: Option<&str>, shown: &str) {
    let Counts {
        secrets,
        config,
        unchanged,
    } = counts;
    let scope = mode.map_or(String::new(), |m| format!(" (mode '{m}')"));
    let mut note = format!(
        "Imported {secrets} secret(s) and {config} config value(s) into '{app}'{scope} from {shown}."
    );
    if *unchanged > 0 {
        let _ = write!(note, " {unchanged} value(s) were already stored.");
    }
    output::note(&note);
    if *secrets > 0 {
        output::note(&format!(
            "{shown} still holds those secrets in plain text, and mpvault leaves it alone: delete it, and check it was never committed (`git log --all -- {shown}`)."
        ));
    }
}

fn read_file(file: &Path) -> Result<Zeroizing<String>> {
    let shown = file.display().to_string();
    let too_large = || {
        Error::invalid(
            format!("{shown} is larger than 1 MiB, which is not a .env file"),
            "name the .env file to import",
        )
    };
    // Only a regular file reached without a link, bounded before it is read.
    let (handle, size) = store::open_regular(file)?;
    if size > MAX_FILE {
        return Err(too_large());
    }
    let mut bytes = Zeroizing::new(Vec::new());
    handle
        .take(MAX_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io_at("read", file, e))?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(too_large());
    }
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        Error::invalid(
            format!("{shown} is not UTF-8 text"),
            "convert it to UTF-8 (for example with iconv) and import again",
        )
    })?;
    Ok(Zeroizing::new(text.to_string()))
}

/// What each item does, refusing names the app already has unless `--update`, and a name
/// that would be config and a secret at once.
/// A name `config set` and `add-secret` refuse is refused from a file too (see `envnames`).
fn steering_name(item: &Item) -> Error {
    let name = &item.name;
    let why = crate::envnames::takes_over_startup(name).unwrap_or_default();
    let stored = if item.file_name == *name {
        String::new()
    } else {
        format!("{} would be stored as {name}, and ", item.file_name)
    };
    Error::invalid(
        format!("{stored}{name} cannot be stored in a vault, because {why}"),
        format!("remove the line of {} from the file and import again; a build's own environment sets it, never the vault", item.file_name),
    )
}

fn actions(
    vault: &Vault,
    keyring: &mut Keyring,
    app: &str,
    items: &[Item],
    opts: &Options,
) -> Result<Vec<Action>> {
    let a = vault.app(app)?;
    let mut out = Vec::new();
    for item in items {
        let name = &item.name;
        let (exists, clash, field) = match item.kind {
            Kind::AppId => {
                out.push(Action::Checked);
                continue;
            }
            _ if crate::envnames::takes_over_startup(name).is_some() => {
                return Err(steering_name(item))
            }
            Kind::Secret(_) => (
                a.secrets.contains_key(name),
                admit::is_config(a, name).then_some("config"),
                Field::Secret(name.clone()),
            ),
            Kind::Config => {
                let field = field(opts.mode, name, is_build(item));
                let kind = if is_build(item) {
                    "build config"
                } else {
                    "bundle config"
                };
                let clash = a.kind_of(name).filter(|k| *k != kind);
                (a.holds(&field), clash, field)
            }
        };
        let file_name = &item.file_name;
        if let Some(other) = clash {
            return Err(Error::exists(
                format!(
                    "{file_name} would be stored as {name}, which '{app}' already has as {other}"
                ),
                clash_hint(other, file_name),
            ));
        }
        if !exists {
            out.push(Action::Add);
            continue;
        }
        if !opts.update {
            return Err(Error::exists(
                format!("'{app}' already has {name} (from {file_name} in the file)"),
                "pass --update to replace existing values (a secret is rotated and keeps its history)",
            ));
        }
        let same = keyring
            .read(vault, app, &field, 0)?
            .is_some_and(|current| *current == *item.value);
        out.push(if same {
            Action::Unchanged
        } else {
            Action::Update
        });
    }
    Ok(out)
}

/// How to import a name the app already has as another kind.
fn clash_hint(other: &str, file_name: &str) -> String {
    match other {
        "config" => format!("pass --config {file_name} to import it as config; a name is either config or a secret"),
        "a secret" => format!("pass --secrets {file_name} to import it as a secret; a name is either config or a secret"),
        _ => format!("a name is bundle config, build config or a secret, never two: write {file_name} in the file as the app has it (a bundle prefix such as VITE_ for bundle config, none for build config)"),
    }
}

/// Config written in the file without a bundle prefix is build config: it stays out of the
/// bundle, as it was.
fn is_build(item: &Item) -> bool {
    item.kind == Kind::Config && bundle_prefix(&item.file_name).is_none()
}

/// Refuses config equal to a secret the importer can read, or shaped like one (the file's
/// secrets are sorted by name and value first; `--config` can still force one here).
fn refuse_secret_values(vault: &Vault, keyring: &mut Keyring, items: &[Item]) -> Result<()> {
    let config: Vec<&Item> = items.iter().filter(|i| i.kind == Kind::Config).collect();
    if config.is_empty() {
        return Ok(());
    }
    let secrets = super::config::readable_secrets(vault, keyring)?;
    for item in config {
        super::config::refuse_secret_value(&item.name, &item.value, &secrets)?;
        super::config::refuse_secret_shape(&item.name, &item.value)?;
    }
    Ok(())
}

/// The level an existing secret is stored at; `--update` keeps it.
fn stored_level(vault: &Vault, app: &str, name: &str) -> Result<Option<Level>> {
    Ok(vault.app(app)?.secrets.get(name).map(|s| s.access))
}

/// A row of the plan. A value is exported under the name the file has: bundle config with the
/// file's prefix (under that prefix's preset), build config and secrets as they are.
fn plan_row(item: &Item, action: Action, mode: Option<&str>, stored: Option<Level>) -> [String; 7] {
    let (kind, level) = match item.kind {
        Kind::AppId => ("AppID".to_string(), "—".to_string()),
        Kind::Config => {
            let kind = if is_build(item) {
                "build config"
            } else {
                "bundle config"
            };
            (
                mode.map_or(kind.to_string(), |m| format!("{kind} ({m})")),
                "team".to_string(),
            )
        }
        Kind::Secret(level) => ("secret".to_string(), stored.unwrap_or(level).to_string()),
    };
    [
        item.file_name.clone(),
        if item.kind == Kind::AppId {
            "—".to_string()
        } else {
            item.name.clone()
        },
        item.file_name.clone(),
        kind,
        item.why.to_string(),
        level,
        action.describe(item.kind).to_string(),
    ]
}
