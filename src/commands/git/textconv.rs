//! `git textconv`: the vault as a reviewer reads it in `git diff`, without a key and without a
//! value, a ciphertext or base64.

use std::fmt::Write as _;
use std::path::Path;

use crate::error::{Error, Result};
use crate::vault::policy;
use crate::vault::{App, Vault};
use crate::{key, output};

pub fn run(file: &Path) -> Result<()> {
    let bytes = std::fs::read(file).map_err(|e| Error::io_at("read", file, e))?;
    let text = match Vault::parse(&bytes) {
        Ok(vault) => render(&vault),
        // A diff must still show something: say what is wrong, never the raw ciphertext.
        Err(e) => format!("(not a readable mpvault vault: {e})\n"),
    };
    output::write(text.as_bytes())
}

/// A short fingerprint of anything public (keys, commitments), never the thing itself.
fn short(text: &str) -> String {
    key::fingerprint(text)
}

fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
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
            clean(&sig.signer),
            short(&key)
        ),
        (Some(sig), None) => format!("signature by {} DOES NOT VERIFY", clean(&sig.signer)),
        (None, _) => "NOT SIGNED: waits for an owner's `mpvault sign`".to_string(),
    };
    out.push(format!("policy revision {}, {signed}", vault.revision));
    members(vault, &mut out);
    departures(vault, &mut out);
    returns(vault, &mut out);
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
            clean(handle),
            if m.owner { " (owner)" } else { "" },
            clean(kind),
            short(&m.key),
            clean(&m.added_by),
            clean(&m.added_at)
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
            clean(&r.handle),
            clean(&r.regained.join(", ")),
            clean(&r.at),
            clean(&r.by),
            r.revision
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
            clean(&d.handle),
            d.kind.as_str(),
            clean(&d.at),
            clean(&d.by),
            d.revision,
            if d.lost.is_empty() {
                "nothing".to_string()
            } else {
                clean(&d.lost.join(", "))
            }
        ));
    }
}

/// One app: roster, levels and their readers, floors, and every value's metadata.
fn render_app(name: &str, app: &App, out: &mut Vec<String>) {
    out.push(format!(
        "app {} ({}), added {}",
        clean(name),
        clean(&app.appid),
        clean(&app.added_at)
    ));
    for (handle, roles) in &app.roster {
        let roles: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        out.push(format!("  role {}: {}", clean(handle), roles.join(", ")));
    }
    for (level, key) in &app.data_keys {
        out.push(format!(
            "  level {level}: readers {}; data key {}",
            clean(&key.readers.join(", ")),
            key.commitment
                .as_deref()
                .map_or("(no commitment)".to_string(), short)
        ));
    }
    for (secret, level) in &app.floors {
        out.push(format!("  floor {}: {level}", clean(secret)));
    }
    for (kind, map) in [
        ("info", &app.info),
        ("contact", &app.contact),
        ("config", &app.config),
        ("build", &app.build),
    ] {
        for (key, sealed) in map {
            out.push(format!("  {kind} {}: {}", clean(key), metadata(sealed)));
        }
    }
    for (kind, modes) in [("config", &app.modes), ("build", &app.build_modes)] {
        for (mode, map) in modes {
            for (key, sealed) in map {
                out.push(format!(
                    "  mode {} {kind} {}: {}",
                    clean(mode),
                    clean(key),
                    metadata(sealed)
                ));
            }
        }
    }
    for (secret, s) in &app.secrets {
        out.push(format!("  secret {} ({}):", clean(secret), s.access));
        for v in &s.versions {
            out.push(format!("    v{} {}", v.version.unwrap_or(0), metadata(v)));
        }
    }
}

fn metadata(sealed: &crate::vault::Sealed) -> String {
    let mut text = format!(
        "set by {} at {}",
        clean(&sealed.set_by),
        clean(&sealed.set_at)
    );
    if let Some(version) = sealed.restored {
        let _ = write!(text, ", restored v{version}");
    }
    if let Some(by) = &sealed.sealed_by {
        let _ = write!(text, ", re-sealed by {}", clean(by));
    }
    // A short tag of the ciphertext, so a diff shows that a value changed (or was re-sealed)
    // without showing the value or the ciphertext.
    let _ = write!(text, " [{}]", &short(&sealed.value)[..9]);
    text
}
