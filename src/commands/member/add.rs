//! `member add`: a person, an owner or a service member joins the roster. What a new member
//! may be (a key that can sign for an owner, reads for a service member) is settled before the
//! vault is locked.

use std::collections::{BTreeMap, BTreeSet};

use super::key_unused;
use super::{confirm_return, sync_all};
use crate::cli::{MemberAddArgs, NameLevel};
use crate::commands::{check_name, done, now, Context};
use crate::error::{Error, Result};
use crate::key;
use crate::vault::{Member, Vault};
use crate::wechat::Level;

pub(super) fn add(ctx: &Context, args: MemberAddArgs) -> Result<()> {
    let MemberAddArgs {
        handle,
        key,
        owner,
        service,
        reads,
        clients,
        yes,
    } = args;
    let handle = handle.as_str();
    check_name("member", handle)?;
    check_service(owner, service, &reads, &clients)?;
    let (key, signing_key) = key::parse_public_line(&key)?;
    let print = crate::vault::invite::fingerprint(&key, signing_key.as_deref());
    let hardware = key::is_plugin_key(&key);
    check_owner_key(owner, hardware, signing_key.is_some())?;
    let (back, service_reads) = ctx.write(|vault, keyring| {
        keyring.require_owner(vault, "add members")?;
        check_new(vault, handle, &key)?;
        let service_reads = service_reads(vault, &reads, &clients)?;
        let back = if owner {
            let places = everything(vault);
            confirm_return(vault, keyring, handle, &key, &places, yes)?
        } else if service {
            let places = places_of(&service_reads);
            confirm_return(vault, keyring, handle, &key, &places, yes)?
        } else {
            None
        };
        let member = Member {
            key,
            signing_key,
            owner,
            service,
            added_by: keyring.actor.clone(),
            added_at: now(),
        };
        enrol(vault, handle, member, &service_reads)?;
        sync_all(vault, keyring)?;
        Ok((back, service_reads))
    })?;
    let next = if service {
        &service_note(&service_reads)
    } else {
        next_step(owner, hardware)
    };
    let back = back.map(|b| format!("\n{b}")).unwrap_or_default();
    done(
        ctx,
        &format!("Added '{handle}' (fingerprint {print}). {next}\nCompare it with the fingerprint `mpvault identity show` prints on their machine, in person or on a call; if it differs, remove them.{back}"),
    );
    Ok(())
}

/// An owner signs the roster: their key must be one that signs.
fn check_owner_key(owner: bool, hardware: bool, signs: bool) -> Result<()> {
    if owner && hardware {
        return Err(Error::invalid(
            "an owner signs the roster, which a hardware key (age plugin) cannot do",
            "add them without --owner; an owner needs an mpvault identity (`mpvault identity new`)",
        ));
    }
    if owner && !signs {
        return Err(Error::invalid(
            "an owner signs the roster, but this key has no signing key",
            "ask them for the whole line `mpvault identity show` prints (an SSH key cannot be an owner)",
        ));
    }
    Ok(())
}

/// A new member has a handle and a key nobody in the vault has.
fn check_new(vault: &Vault, handle: &str, key: &str) -> Result<()> {
    if vault.members.contains_key(handle) {
        return Err(Error::exists(
            format!("'{handle}' is already a member"),
            "pick another handle, or remove them first",
        ));
    }
    key_unused(vault, key)
}

/// Puts the member on the roster, with a service member's reads in each app.
fn enrol(
    vault: &mut Vault,
    handle: &str,
    member: Member,
    service_reads: &BTreeMap<String, Level>,
) -> Result<()> {
    vault.members.insert(handle.to_string(), member);
    for (app, level) in service_reads {
        vault
            .app_mut(app)?
            .services
            .insert(handle.to_string(), *level);
    }
    Ok(())
}

/// What a new person or owner does next.
fn next_step(owner: bool, hardware: bool) -> &'static str {
    if owner {
        "They can read every app."
    } else if hardware {
        "Next: `mpvault role grant` to give them roles. A hardware key reads but never writes, and whoever re-keys an app needs its age plugin installed to encrypt to it."
    } else {
        "Next: `mpvault role grant` to give them roles."
    }
}

fn service_note(reads: &BTreeMap<String, Level>) -> String {
    let reads: Vec<String> = reads
        .iter()
        .map(|(app, level)| format!("{app} ({level})"))
        .collect();
    format!(
        "It reads {}; it holds no console role, is never an owner and never writes.",
        reads.join(", ")
    )
}

/// A service member reads and nothing else: never an owner, and it must be given something to
/// read; --read and --client are for service members only (clap requires --service).
fn check_service(
    owner: bool,
    service: bool,
    reads: &[NameLevel],
    clients: &[NameLevel],
) -> Result<()> {
    if service && owner {
        return Err(Error::invalid(
            "a service member reads but never signs, so it cannot be an owner",
            "add it with --service alone; owners are people with an mpvault identity",
        ));
    }
    if service && reads.is_empty() && clients.is_empty() {
        return Err(Error::invalid(
            "a service member reads only what it is given, and nothing was given",
            "name what it reads with --read shop=developer or --client acme",
        ));
    }
    Ok(())
}

/// The apps and levels a new service member reads: each `--read` app, and every app each
/// `--client` has now; where two name the same app, the higher level.
fn service_reads(
    vault: &Vault,
    reads: &[NameLevel],
    clients: &[NameLevel],
) -> Result<BTreeMap<String, Level>> {
    let mut out: BTreeMap<String, Level> = BTreeMap::new();
    let mut give = |app: String, level: Level| {
        let slot = out.entry(app).or_insert(level);
        *slot = (*slot).max(level);
    };
    for r in reads {
        vault.app(&r.name)?;
        give(r.name.clone(), r.level);
    }
    for c in clients {
        for app in vault.client_apps(&c.name)? {
            give(app, c.level);
        }
    }
    Ok(out)
}

/// The `app/level` places a service member's reads reach.
fn places_of(reads: &BTreeMap<String, Level>) -> BTreeSet<String> {
    reads
        .iter()
        .flat_map(|(app, top)| {
            Level::ALL
                .into_iter()
                .filter(move |l| l <= top)
                .map(move |l| format!("{app}/{l}"))
        })
        .collect()
}

/// Every `app/level` place of the vault: what an owner reads.
fn everything(vault: &Vault) -> BTreeSet<String> {
    vault
        .apps
        .keys()
        .flat_map(|app| Level::ALL.into_iter().map(move |l| format!("{app}/{l}")))
        .collect()
}
