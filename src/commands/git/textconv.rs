//! `git textconv`: the vault as a reviewer reads it in `git diff`, without a key and without a
//! value, a ciphertext or base64.

use std::fmt::Write as _;
use std::io::Read;
use std::path::Path;

use serde_json::Value;

use crate::display::escape;
use crate::error::{Error, Result};
use crate::key;
use crate::vault::{limits, policy};
use crate::vault::{App, Vault};

/// Renders a vault; passes any other file through byte for byte, since `.gitattributes` (a
/// committed, hostile-writable file) decides which files git sends here. A vault is a file
/// that `Vault::parse` accepts and that holds nothing the model does not (see `only_model`),
/// so a rendering never hides a field. At most the vault size limit is read before deciding;
/// the rest of a larger file is streamed.
pub fn run(file: &Path) -> Result<()> {
    let mut input = std::fs::File::open(file).map_err(|e| Error::io_at("read", file, e))?;
    let mut head = Vec::new();
    (&mut input)
        .take(limits::MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut head)
        .map_err(|e| Error::io_at("read", file, e))?;
    let mut out = std::io::stdout().lock();
    let not_a_vault = match Vault::parse(&head) {
        Ok(vault) if only_model(&head, &vault) => {
            return write(&mut out, render(&vault).as_bytes())
        }
        Ok(_) => "it holds fields a vault does not".to_string(),
        Err(e) => e.to_string(),
    };
    // A broken vault's lines are what a reviewer needs; one line first says why they are raw.
    if names_vault_id(&head) {
        let note = format!(
            "(mpvault: this file names a vault_id but is not a vault this mpvault reads: {}; \
             its text follows as is)\n",
            escape(&not_a_vault)
        );
        write(&mut out, note.as_bytes())?;
    }
    write(&mut out, &head)?;
    pass_through(&mut input, file, &mut out)
}

fn write(out: &mut impl std::io::Write, bytes: &[u8]) -> Result<()> {
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|e| Error::io("cannot write to standard output", e))
}

/// The rest of a file, in chunks: never held whole.
fn pass_through(input: &mut impl Read, file: &Path, out: &mut impl std::io::Write) -> Result<()> {
    let mut buffer = vec![0; 64 << 10];
    loop {
        let n = match input.read(&mut buffer) {
            Ok(0) => return write(out, &[]),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io_at("read", file, e)),
        };
        out.write_all(&buffer[..n])
            .map_err(|e| Error::io("cannot write to standard output", e))?;
    }
}

/// A vault file names its id near the top (`format`, then `vault_id`).
fn names_vault_id(head: &[u8]) -> bool {
    head[..head.len().min(1024)]
        .windows(10)
        .any(|w| w == b"\"vault_id\"")
}

/// True when every field of the file is one the model holds, with the same value: a file
/// that parses as a vault but carries more (a `scripts` object in a `package.json` dressed
/// as a vault) would have that part hidden by the rendering. The model may add defaults.
fn only_model(bytes: &[u8], vault: &Vault) -> bool {
    match (
        serde_json::from_slice::<Value>(bytes),
        serde_json::to_value(vault),
    ) {
        (Ok(file), Ok(model)) => within(&file, &model),
        _ => false,
    }
}

fn within(file: &Value, model: &Value) -> bool {
    match (file, model) {
        (Value::Object(f), Value::Object(m)) => f
            .iter()
            .all(|(k, v)| m.get(k).is_some_and(|mv| within(v, mv))),
        (Value::Array(f), Value::Array(m)) => {
            f.len() == m.len() && f.iter().zip(m).all(|(a, b)| within(a, b))
        }
        _ => file == model,
    }
}

/// A short fingerprint of anything public (keys, commitments), never the thing itself.
fn short(text: &str) -> String {
    key::fingerprint(text)
}

/// The vault as a reviewer reads it: who may read what, and what changed, never a value.
pub fn render(vault: &Vault) -> String {
    let mut out = Vec::new();
    out.push(format!(
        "mpvault vault {} (format {})",
        vault.vault_id, vault.format
    ));
    let signed = match (&vault.signature, policy::verify(vault)) {
        (Some(sig), Some(key)) => format!(
            "signed by {} (owner key {})",
            escape(&sig.signer),
            short(&key)
        ),
        (Some(sig), None) => format!("signature by {} DOES NOT VERIFY", escape(&sig.signer)),
        (None, _) => "NOT SIGNED: a removed signature, or changes an owner has not signed yet (`mpvault sign`)".to_string(),
    };
    out.push(format!("policy revision {}, {signed}", vault.revision));
    members(vault, &mut out);
    departures(vault, &mut out);
    returns(vault, &mut out);
    waivers(vault, &mut out);
    tombstones(vault, &mut out);
    invitations(vault, &mut out);
    for (name, app) in &vault.apps {
        render_app(name, app, &mut out);
    }
    let mut text = out.join("\n");
    text.push('\n');
    text
}

/// Each member: key kind and fingerprints, owner or not, who added them.
fn members(vault: &Vault, out: &mut Vec<String>) {
    out.push("members:".to_string());
    for (handle, m) in &vault.members {
        let kind = m
            .key
            .split_whitespace()
            .next()
            .unwrap_or("")
            .split('1')
            .next()
            .unwrap_or("");
        let signing = m
            .signing_key
            .as_deref()
            .map_or("no signing key".to_string(), |k| {
                format!("signing key {}", short(k))
            });
        out.push(format!(
            "  {}{}: {} key {}, {signing}; added by {} at {}",
            escape(handle),
            if m.owner {
                " (owner)"
            } else if m.service {
                " (service)"
            } else {
                ""
            },
            escape(kind),
            short(&m.key),
            escape(&m.added_by),
            escape(&m.added_at)
        ));
    }
}

/// Invitations (signed) and join requests (unsigned), when there are any.
fn invitations(vault: &Vault, out: &mut Vec<String>) {
    if !vault.invitations.is_empty() {
        out.push("invitations:".to_string());
    }
    for i in &vault.invitations {
        let roles: Vec<String> = i
            .roles
            .iter()
            .map(|(app, r)| {
                let names: Vec<&str> = r.iter().map(|r| r.as_str()).collect();
                format!("{app}: {}", names.join(", "))
            })
            .collect();
        out.push(format!(
            "  {} by {} at {}, until {}; roles {}{}",
            escape(&i.handle),
            escape(&i.by),
            escape(&i.at),
            escape(&i.expires),
            escape(&if roles.is_empty() {
                "none".to_string()
            } else {
                roles.join("; ")
            }),
            if i.used { "; used" } else { "" }
        ));
    }
    if !vault.requests.is_empty() {
        out.push(
            "join requests (unsigned; they grant nothing until an owner approves):".to_string(),
        );
    }
    for r in &vault.requests {
        out.push(format!(
            "  {} at {}, key {}, fingerprint {}",
            escape(&r.handle),
            escape(&r.at),
            short(&r.key),
            crate::vault::invite::fingerprint(&r.key, r.signing_key.as_deref())
        ));
    }
}

/// The signed returns, when there are any.
fn returns(vault: &Vault, out: &mut Vec<String>) {
    if vault.returns.is_empty() {
        return;
    }
    out.push("returns:".to_string());
    for r in &vault.returns {
        out.push(format!(
            "  {} given back {} at {} by {} in revision {}",
            escape(&r.handle),
            escape(&r.regained.join(", ")),
            escape(&r.at),
            escape(&r.by),
            r.revision
        ));
    }
}

/// The signed waivers, when there are any: who accepted not to reset what, and why.
fn waivers(vault: &Vault, out: &mut Vec<String>) {
    if vault.waivers.is_empty() {
        return;
    }
    out.push("waivers:".to_string());
    for w in &vault.waivers {
        let after = w
            .departed
            .as_deref()
            .map(|h| format!(" after {}'s departure", escape(h)))
            .unwrap_or_default();
        out.push(format!(
            "  {} of {}{after} waived by {} at {} in revision {}: {}",
            escape(&w.secret),
            escape(&w.app),
            escape(&w.by),
            escape(&w.at),
            w.revision,
            escape(&w.reason)
        ));
    }
}

/// The signed records of removed apps, when there are any.
fn tombstones(vault: &Vault, out: &mut Vec<String>) {
    if vault.tombstones.is_empty() {
        return;
    }
    out.push("removed apps:".to_string());
    for t in &vault.tombstones {
        let readers: Vec<String> = t
            .readers
            .iter()
            .map(|r| {
                format!(
                    "{} {} since {}",
                    escape(&r.handle),
                    r.level,
                    escape(&r.since)
                )
            })
            .collect();
        out.push(format!(
            "  {} ({}{}) removed at {} by {} in revision {}; readers then: {}",
            escape(&t.app),
            escape(&t.appid),
            t.client
                .as_deref()
                .map(|c| format!(", client {}", escape(c)))
                .unwrap_or_default(),
            escape(&t.removed_at),
            escape(&t.by),
            t.revision,
            if readers.is_empty() {
                "nobody".to_string()
            } else {
                readers.join("; ")
            }
        ));
    }
}

/// The signed departures, when there are any.
fn departures(vault: &Vault, out: &mut Vec<String>) {
    if vault.departures.is_empty() {
        return;
    }
    out.push("departures:".to_string());
    for d in &vault.departures {
        out.push(format!(
            "  {} {} at {} by {} in revision {}; lost {}",
            escape(&d.handle),
            d.kind.as_str(),
            escape(&d.at),
            escape(&d.by),
            d.revision,
            if d.lost.is_empty() {
                "nothing".to_string()
            } else {
                escape(&d.lost.join(", ")).into_owned()
            }
        ));
    }
}

/// One app: roster, levels and their readers, floors, and every value's metadata.
fn render_app(name: &str, app: &App, out: &mut Vec<String>) {
    out.push(format!(
        "app {} ({}), added {}",
        escape(name),
        escape(&app.appid),
        escape(&app.added_at)
    ));
    for (handle, roles) in &app.roster {
        let roles: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        out.push(format!("  role {}: {}", escape(handle), roles.join(", ")));
    }
    for (handle, level) in &app.services {
        out.push(format!("  service {}: reads up to {level}", escape(handle)));
    }
    for (level, key) in &app.data_keys {
        out.push(format!(
            "  level {level}: readers {}; data key {}",
            escape(&key.readers.join(", ")),
            key.commitment
                .as_deref()
                .map_or("(no commitment)".to_string(), short)
        ));
    }
    for (secret, level) in &app.floors {
        out.push(format!("  floor {}: {level}", escape(secret)));
    }
    for (kind, map) in [
        ("info", &app.info),
        ("contact", &app.contact),
        ("config", &app.config),
        ("build", &app.build),
    ] {
        for (key, sealed) in map {
            out.push(format!("  {kind} {}: {}", escape(key), metadata(sealed)));
        }
    }
    for (kind, modes) in [("config", &app.modes), ("build", &app.build_modes)] {
        for (mode, map) in modes {
            for (key, sealed) in map {
                out.push(format!(
                    "  mode {} {kind} {}: {}",
                    escape(mode),
                    escape(key),
                    metadata(sealed)
                ));
            }
        }
    }
    for (secret, s) in &app.secrets {
        out.push(format!("  secret {} ({}):", escape(secret), s.access));
        for v in &s.versions {
            out.push(format!("    v{} {}", v.version.unwrap_or(0), metadata(v)));
        }
    }
}

fn metadata(sealed: &crate::vault::Sealed) -> String {
    let mut text = format!(
        "set by {} at {}",
        escape(&sealed.set_by),
        escape(&sealed.set_at)
    );
    if let Some(version) = sealed.restored {
        let _ = write!(text, ", restored v{version}");
    }
    if let Some(by) = &sealed.sealed_by {
        let _ = write!(text, ", re-sealed by {}", escape(by));
    }
    // A short tag of the ciphertext, so a diff shows that a value changed (or was re-sealed)
    // without showing the value or the ciphertext.
    let _ = write!(text, " [{}]", &short(&sealed.value)[..9]);
    text
}
