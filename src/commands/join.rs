//! Joining through git: `member invite` (an owner makes a one-time code), `join` (the newcomer
//! writes a request proving it) and `member approve` (an owner checks the proof and adds them).

use std::collections::BTreeMap;
use std::io::IsTerminal;

use zeroize::Zeroizing;

use super::{check_name, done, now, Context};
use crate::cli::{JoinArgs, MemberApproveArgs, MemberInviteArgs};
use crate::error::{Error, Result};
use crate::trust::Memory;
use crate::vault::invite::{self, Code, Draft};
use crate::vault::{Invitation, JoinRequest, Keyring, Member, Vault};
use crate::wechat::Role;
use crate::{key, output, store};

pub fn invite(ctx: &Context, args: MemberInviteArgs) -> Result<()> {
    let MemberInviteArgs {
        handle,
        roles,
        expires,
    } = args;
    check_name("member", &handle)?;
    let expires = later(expires)?;
    let code = Code::generate()?;
    let (roles, by) = ctx.write(|vault, keyring| {
        keyring.require_owner(vault, "invite members")?;
        if vault.members.contains_key(&handle) {
            return Err(Error::exists(
                format!("'{handle}' is already a member"),
                "pick another handle; a new key for them is `mpvault member key`",
            ));
        }
        let mut by_app: BTreeMap<String, Vec<Role>> = BTreeMap::new();
        for r in &roles {
            vault.app(&r.app)?;
            by_app.entry(r.app.clone()).or_default().push(r.role);
        }
        for list in by_app.values_mut() {
            list.sort();
            list.dedup();
        }
        let shown = show_roles(&by_app);
        let inv = new_invitation(vault, keyring, &handle, by_app, expires.clone(), &code)?;
        // A new invitation replaces one still open; a used one stays, so it is never reused.
        vault.invitations.retain(|i| i.handle != handle || i.used);
        vault.invitations.push(inv);
        Ok((shown, keyring.actor.clone()))
    })?;
    output::line(&code.display())?;
    done(
        ctx,
        &format!(
            "Invited '{handle}' ({roles}) until {expires}, signed by {by}. Give them the code above yourself or in a chat; it is shown once and the vault keeps only a commitment to it.\nNext: commit and push mpvault.json; they run `mpvault join {handle} --code <code>` in their clone and push; then an owner runs `mpvault member approve {handle}`."
        ),
    );
    Ok(())
}

/// The time `after` from now, RFC 3339 UTC.
fn later(after: std::time::Duration) -> Result<String> {
    let at = time::OffsetDateTime::now_utc().replace_nanosecond(0).ok();
    at.and_then(|t| t.checked_add(after.try_into().ok()?))
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .ok_or_else(|| {
            Error::invalid(
                "the expiry is out of range",
                "give a shorter --expires, like 7d",
            )
        })
}

fn show_roles(roles: &BTreeMap<String, Vec<Role>>) -> String {
    if roles.is_empty() {
        return "no roles yet".to_string();
    }
    let list: Vec<String> = roles
        .iter()
        .map(|(app, r)| {
            let names: Vec<&str> = r.iter().map(|r| r.as_str()).collect();
            format!("{} on {app}", names.join(", "))
        })
        .collect();
    list.join("; ")
}

fn new_invitation(
    vault: &Vault,
    keyring: &Keyring,
    handle: &str,
    roles: BTreeMap<String, Vec<Role>>,
    expires: String,
    code: &Code,
) -> Result<Invitation> {
    let me = vault.member(&keyring.actor)?;
    let by_key = me.signing_key.clone().ok_or_else(|| {
        Error::denied(
            "your identity has no signing key, so it cannot invite",
            "invite with an mpvault identity (`mpvault identity new`)",
        )
    })?;
    let owners: Vec<&Member> = vault.members.values().filter(|m| m.owner).collect();
    let recipients = owners
        .iter()
        .map(|m| key::recipient(&m.key))
        .collect::<Result<Vec<_>>>()?;
    let mut signing: Vec<String> = owners
        .iter()
        .filter_map(|m| m.signing_key.clone())
        .collect();
    signing.sort();
    let draft = Draft {
        vault_id: &vault.vault_id,
        handle,
        roles,
        by: &keyring.actor,
        by_key: &by_key,
        owners: signing,
        at: &now(),
        expires,
    };
    invite::invitation(draft, code, &recipients)
}

/// The invitation for `handle` that is still open: not used and not expired.
fn open_invitation<'v>(vault: &'v Vault, handle: &str, now: &str) -> Result<&'v Invitation> {
    let Some(inv) = newest_invitation(vault, handle) else {
        return Err(Error::not_found(
            format!("nobody is invited as '{handle}' in this vault"),
            format!("check the name with whoever invited you, pull their commit, or invite them (`mpvault member invite {handle}`)"),
        ));
    };
    if inv.used {
        return Err(Error::denied(
            format!("the invitation for '{handle}' was already used"),
            format!("an owner invites them again (`mpvault member invite {handle}`), and they join with the new code"),
        ));
    }
    if invite::expired(inv, now) {
        return Err(Error::denied(
            format!("the invitation for '{handle}' expired at {}", inv.expires),
            format!("an owner invites them again (`mpvault member invite {handle}`)"),
        ));
    }
    Ok(inv)
}

/// The newest invitation for a name: inviting again withdraws the earlier code, and a merge
/// with a branch made before that may bring it back, in any place of the list.
fn newest_invitation<'v>(vault: &'v Vault, handle: &str) -> Option<&'v Invitation> {
    let at = |i: &Invitation| i.at.time();
    vault
        .invitations
        .iter()
        .enumerate()
        .filter(|(_, i)| i.handle == handle)
        .max_by_key(|(n, i)| (at(i), *n))
        .map(|(_, i)| i)
}

/// The invitation code from a hidden prompt at a terminal, else the first line of standard
/// input (`--code` would put it in the process list while `join` runs).
fn read_code() -> Result<Zeroizing<String>> {
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password("Invitation code (input hidden): ")
            .map(Zeroizing::new)
            .map_err(|e| Error::stdin("cannot read the invitation code", e));
    }
    let mut line = Zeroizing::new(String::new());
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| Error::stdin("cannot read the invitation code", e))?;
    Ok(line)
}

pub fn join(ctx: &Context, JoinArgs { handle, code }: JoinArgs) -> Result<()> {
    check_name("member", &handle)?;
    let code = match code {
        Some(text) => Code::parse(&text)?,
        None => Code::parse(&read_code()?)?,
    };
    let created = ensure_identity(ctx)?;
    let identity = ctx.identity()?;
    let (member_key, signing_key) = key::parse_public_line(&identity.public_line())?;
    let path = ctx.vault_path()?;
    let location = crate::trust::location(&path);
    let mut memory = Memory::load()?;
    let env = crate::trust::trusted_owners_from_env();
    let (inviter, remember) = store::update(&path, |vault| {
        let now = now();
        let seen = memory.recall(&location, &vault.vault_id);
        // The signature is judged first: an invitation in a file nobody signed proves nothing.
        let mut verdict = crate::trust::assess(vault, seen, env.as_deref(), &now)?;
        verdict.require_writable()?;
        let inviter = ask_to_join(
            vault,
            &handle,
            &code,
            &member_key,
            signing_key.as_deref(),
            &now,
        )?;
        vault.format = vault.format_to_write();
        Ok((inviter, verdict.remember.take()))
    })?;
    if let Some(seen) = remember {
        memory.remember(&location, seen)?;
    }
    let print = invite::fingerprint(&member_key, signing_key.as_deref());
    let created = created.map(|c| format!("{c}\n")).unwrap_or_default();
    done(
        ctx,
        &format!(
            "{created}Asked to join as '{handle}'. The code matches the invitation from {inviter}, so this clone trusts the vault's owners.\nYour fingerprint: {print} (read it out if an owner asks).\nNext: commit and push mpvault.json (or open a pull request), then ask an owner to run `mpvault member approve {handle}`."
        ),
    );
    Ok(())
}

/// Adds this key's request to join as `handle`, proving the invitation's code; returns who
/// invited them. A rival key that proved the same code means the code leaked.
fn ask_to_join(
    vault: &mut Vault,
    handle: &str,
    code: &Code,
    member_key: &str,
    signing_key: Option<&str>,
    now: &str,
) -> Result<String> {
    let inv = open_invitation(vault, handle, now)?.clone();
    let mac_key = invite::open_with_code(code, &vault.vault_id, &inv).ok_or_else(|| {
        Error::denied(
            format!("that code does not match the invitation for '{handle}'"),
            "check the code with whoever invited you (case, spaces and dashes do not matter)",
        )
    })?;
    check_signer(vault, &inv)?;
    check_newcomer(vault, handle, member_key)?;
    let mine = invite::request(
        &mac_key,
        &vault.vault_id,
        &inv,
        member_key,
        signing_key,
        now,
    );
    let rival = vault.requests.iter().any(|r| {
        r.handle == handle
            && r.key != member_key
            && invite::proves_code(&mac_key, &vault.vault_id, r)
    });
    if rival {
        return Err(Error::denied(
            format!("another key already asked to join as '{handle}' with this code"),
            "the code has leaked: tell the owner who invited you, who invites you again",
        ));
    }
    // Requests for this handle that do not prove the code (or are this one again) go.
    vault.requests.retain(|r| r.handle != handle);
    vault.requests.push(mine);
    Ok(format!(
        "{} (owner fingerprint {})",
        inv.by,
        key::fingerprint(&inv.by_key)
    ))
}

/// A newcomer with no identity anywhere gets one at the default place; the note says where.
fn ensure_identity(ctx: &Context) -> Result<Option<String>> {
    match ctx.identity() {
        Ok(_) => Ok(None),
        Err(Error::NotFound { .. }) if !crate::identity::named(ctx.identity_flag.as_deref()) => {
            let path = crate::identity::default_path()?;
            crate::identity::generate(&path, false, false, &now())?;
            Ok(Some(format!(
                "Created your identity at {} (keep it; `mpvault identity show` prints its public line).",
                path.display()
            )))
        }
        Err(e) => Err(e),
    }
}

/// The code vouches for the owners of the vault it was made in: the file must be signed by
/// one of them, so a look-alike vault carrying a copy of the invitation is refused.
fn check_signer(vault: &Vault, inv: &Invitation) -> Result<()> {
    let signer = crate::vault::policy::verify(vault);
    if signer.is_some_and(|k| invite::vouches_for(inv, &k)) {
        return Ok(());
    }
    Err(Error::corrupt(
        format!(
            "the vault is not signed by an owner {} vouched for when inviting you",
            inv.by
        ),
        "do not use this vault; tell the owner who invited you, and clone the team's repository again",
    ))
}

fn check_newcomer(vault: &Vault, handle: &str, member_key: &str) -> Result<()> {
    if let Some((other, _)) = vault.members.iter().find(|(_, m)| m.key == member_key) {
        return Err(Error::exists(
            format!("your identity is already the member '{other}' of this vault"),
            "there is nothing to join; use the vault as it is",
        ));
    }
    if vault.members.contains_key(handle) {
        return Err(Error::exists(
            format!("'{handle}' is already a member"),
            "ask the owner who invited you which handle to use",
        ));
    }
    Ok(())
}

pub fn approve(
    ctx: &Context,
    MemberApproveArgs {
        handle,
        fingerprint,
    }: MemberApproveArgs,
) -> Result<()> {
    check_name("member", &handle)?;
    let (roles, print) = ctx.write(|vault, keyring| {
        keyring.require_owner(vault, "approve members")?;
        if vault.members.contains_key(&handle) {
            return Err(Error::exists(
                format!("'{handle}' is already a member"),
                "there is nothing to approve",
            ));
        }
        let inv = open_invitation(vault, &handle, &now())?.clone();
        let req = approved_request(vault, keyring, &inv, fingerprint.as_deref())?;
        if let Some((other, _)) = vault.members.iter().find(|(_, m)| m.key == req.key) {
            return Err(Error::exists(
                format!("the key in the join request for '{handle}' already belongs to '{other}'"),
                "each person needs their own identity; invite them again",
            ));
        }
        admit(vault, keyring, &inv, &req)?;
        Ok((
            show_roles(&inv.roles),
            invite::fingerprint(&req.key, req.signing_key.as_deref()),
        ))
    })?;
    done(
        ctx,
        &format!("Approved '{handle}' (fingerprint {print}; {roles}). Commit and push mpvault.json; once they pull, they read what their roles allow."),
    );
    Ok(())
}

/// The one request for the invitation that an owner may approve: it proves the code, or its
/// fingerprint is the one the owner compared with the person.
fn approved_request(
    vault: &Vault,
    keyring: &Keyring,
    inv: &Invitation,
    fingerprint: Option<&str>,
) -> Result<JoinRequest> {
    let handle = &inv.handle;
    let answering: Vec<&JoinRequest> = vault
        .requests
        .iter()
        .filter(|r| r.handle == *handle)
        .collect();
    if answering.is_empty() {
        return Err(Error::not_found(
            format!("'{handle}' has not asked to join"),
            format!("they run `mpvault join {handle} --code <code>` in their clone and push; pull, then approve"),
        ));
    }
    let current: Vec<&JoinRequest> = answering
        .into_iter()
        .filter(|r| r.invitation == inv.id)
        .collect();
    if current.is_empty() {
        return Err(Error::denied(
            format!("the join request for '{handle}' answers an earlier invitation"),
            format!("they run `mpvault join {handle}` again with the code of the current one"),
        ));
    }
    let chosen: Vec<&JoinRequest> = match fingerprint {
        Some(print) => by_fingerprint(&current, handle, print)?,
        None => proving(vault, keyring, inv, &current)?,
    };
    match chosen.as_slice() {
        [one] => Ok((*one).clone()),
        _ => Err(Error::denied(
            format!("more than one key asks to join as '{handle}'"),
            format!(
                "the code may have leaked: invite them again (`mpvault member invite {handle}`)"
            ),
        )),
    }
}

fn by_fingerprint<'r>(
    requests: &[&'r JoinRequest],
    handle: &str,
    print: &str,
) -> Result<Vec<&'r JoinRequest>> {
    let compact = |p: &str| -> String {
        p.chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_lowercase()
    };
    let wanted = compact(print);
    let found: Vec<&JoinRequest> = requests
        .iter()
        .copied()
        .filter(|r| compact(&invite::fingerprint(&r.key, r.signing_key.as_deref())) == wanted)
        .collect();
    if found.is_empty() {
        return Err(Error::denied(
            format!("no join request for '{handle}' has the fingerprint {print}"),
            "compare the fingerprint again with the person; `mpvault join` printed theirs",
        ));
    }
    Ok(found)
}

fn proving<'r>(
    vault: &Vault,
    keyring: &Keyring,
    inv: &Invitation,
    requests: &[&'r JoinRequest],
) -> Result<Vec<&'r JoinRequest>> {
    let handle = &inv.handle;
    let Some(mac_key) = invite::open_as_owner(inv, keyring.identity().age()?)? else {
        return Err(Error::denied(
            format!("the invitation for '{handle}' was made before you were an owner, so you cannot check its code"),
            format!("ask {} to approve, or compare fingerprints with {handle} and pass --fingerprint", inv.by),
        ));
    };
    let proven: Vec<&JoinRequest> = requests
        .iter()
        .copied()
        .filter(|r| invite::proves_code(&mac_key, &vault.vault_id, r))
        .collect();
    if proven.is_empty() {
        return Err(Error::denied(
            format!("the join request for '{handle}' does not prove the invitation code"),
            format!("ask {handle} to run `mpvault join` again with the code, or compare fingerprints with them and pass --fingerprint"),
        ));
    }
    Ok(proven)
}

/// Adds the member with the invited roles (on apps that still exist), marks the invitation
/// used and drops every request for the handle; the write signs it.
fn admit(
    vault: &mut Vault,
    keyring: &mut Keyring,
    inv: &Invitation,
    req: &JoinRequest,
) -> Result<()> {
    let line = format!(
        "{} {}",
        req.key,
        req.signing_key.as_deref().unwrap_or_default()
    );
    if key::parse_public_line(&line)? != (req.key.clone(), req.signing_key.clone()) {
        return Err(Error::invalid(
            format!(
                "the join request for '{}' holds a malformed key",
                inv.handle
            ),
            "they run `mpvault join` again",
        ));
    }
    vault.members.insert(
        inv.handle.clone(),
        Member {
            key: req.key.clone(),
            signing_key: req.signing_key.clone(),
            owner: false,
            service: false,
            added_by: keyring.actor.clone(),
            added_at: now(),
        },
    );
    for (app, roles) in &inv.roles {
        if let Some(a) = vault.apps.get_mut(app) {
            a.roster.insert(inv.handle.clone(), roles.clone());
        }
    }
    if let Some(i) = vault.invitations.iter_mut().find(|i| i.id == inv.id) {
        i.used = true;
    }
    vault.requests.retain(|r| r.handle != inv.handle);
    let apps: Vec<String> = vault.apps.keys().cloned().collect();
    for app in apps {
        keyring.sync_readers(vault, &app, false)?;
    }
    Ok(())
}
