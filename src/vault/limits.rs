//! Bounds on what a vault file can make mpvault do. Anyone who can push can write any bytes
//! into `mpvault.json`, so the work and memory a file may cost are bounded before the file is
//! trusted with anything: its size, how deep its JSON nests and how long its strings are
//! (checked on the raw bytes, before parsing), then how many members, apps and values it
//! holds and what its names and timestamps look like. The wrapped data key a command opens has
//! its recipients counted before age reads its header: age tries every stanza, and an inflated
//! header made every member's `get` spin for minutes.

use super::app::{App, Sealed, WrappedKey};
use super::model::Vault;
use crate::wechat::Level;

/// The largest vault file read: far more than 500 apps with 100 members each need.
pub const MAX_FILE_BYTES: usize = 8 << 20;
/// How deep the JSON may nest; a vault nests 6 levels.
pub const MAX_DEPTH: usize = 16;
/// The longest JSON string (a wrapped data key for hundreds of SSH-RSA members fits).
pub const MAX_STRING_BYTES: usize = 1 << 20;
pub const MAX_MEMBERS: usize = 1000;
pub const MAX_APPS: usize = 1000;
/// Config values, secrets, contacts or info fields per app.
pub const MAX_ENTRIES: usize = 1000;
/// Departures accumulate over a vault's life; each is a few hundred bytes.
pub const MAX_DEPARTURES: usize = 10_000;
/// The largest value stored (a PEM certificate chain is under 16 KiB); refused on input, so
/// that whatever mpvault writes it also reads.
pub const MAX_VALUE_BYTES: usize = 128 << 10;
/// A sealed value's base64: the largest value, its nonce and tag, with room to spare.
pub const MAX_SEALED_BYTES: usize = 256 << 10;
/// A member's public key (an SSH-RSA 16384-bit key is about 2.8 KB).
pub const MAX_KEY_BYTES: usize = 4096;
/// Environment-variable names of config values and secrets.
pub const MAX_NAME_BYTES: usize = 128;
/// Timestamps, ids, commitments, reasons and other short text.
pub const MAX_TEXT_CHARS: usize = 400;
/// The highest policy revision: far above any a team reaches (one change a second for 285
/// million years), and exact in every JSON reader. A file past it is damaged, and a change
/// that would go past it is refused, so a revision never wraps.
pub const MAX_REVISION: u64 = 1 << 53;
/// An age header lists one stanza per recipient plus one "grease" stanza; one more is allowed
/// for plugins that write two.
const EXTRA_STANZAS: usize = 2;

/// What the raw bytes may be: checked before any parsing. Returns what is wrong.
pub fn check_bytes(bytes: &[u8]) -> Result<(), String> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(format!(
            "the vault file is {} bytes, larger than the {} MiB any vault needs",
            bytes.len(),
            MAX_FILE_BYTES >> 20
        ));
    }
    // One pass: bytes between strings (brackets, separators, indentation) are stepped
    // through; strings are skipped by searching (memchr) for their end. Line numbers are
    // counted only for a refused file's message.
    let line = |at: usize| 1 + bytes[..=at].iter().filter(|&&b| b == b'\n').count();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        // Most bytes between strings are indentation: passed over without the match below.
        while bytes.get(i).is_some_and(|b| !STRUCTURAL[usize::from(*b)]) {
            i += 1;
        }
        let Some(&b) = bytes.get(i) else { break };
        match b {
            b'"' => {
                let end = string_end(bytes, i + 1);
                // Content and closing quote together may hold at most MAX_STRING_BYTES.
                let too_far = i + 1 + MAX_STRING_BYTES;
                if end.min(bytes.len() - 1) >= too_far {
                    return Err(format!(
                        "the vault file holds a string that is too long (line {}; at most {} KiB)",
                        line(too_far),
                        MAX_STRING_BYTES >> 10
                    ));
                }
                i = end;
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(format!(
                        "the vault file is nested deeper than {MAX_DEPTH} levels (line {}), which no vault is",
                        line(i)
                    ));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// The bytes that start a string or open or close an array or object. A table: the scan
/// tests every byte between strings, and it beats a `match` there by a seventh.
static STRUCTURAL: [bool; 256] = {
    let mut table = [false; 256];
    table[b'"' as usize] = true;
    table[b'[' as usize] = true;
    table[b']' as usize] = true;
    table[b'{' as usize] = true;
    table[b'}' as usize] = true;
    table
};

/// Whether a file mpvault writes (`Vault::to_json`) of `len` bytes, none of whose lines is
/// longer than `longest_line`, is surely within what `check_bytes` allows. The model's types
/// nest a fixed few levels, far under `MAX_DEPTH`, so only the size and the strings can cross
/// a bound; and a JSON string never holds a line break, so when no line is longer than a
/// string may be, no string is. Otherwise the bytes must be scanned.
pub fn surely_within_bounds(len: usize, longest_line: usize) -> bool {
    len <= MAX_FILE_BYTES && longest_line <= MAX_STRING_BYTES
}

/// The index of the quote that closes a string whose content starts at `from` (a backslash
/// escapes the byte after it), or the length of `bytes` when it is never closed.
fn string_end(bytes: &[u8], mut from: usize) -> usize {
    while let Some(k) = bytes
        .get(from..)
        .and_then(|rest| memchr::memchr2(b'"', b'\\', rest))
    {
        if bytes[from + k] == b'"' {
            return from + k;
        }
        from += k + 2;
    }
    bytes.len()
}

/// What the parsed model may hold. Returns what is wrong, naming the place. Messages are
/// formatted only for a file that is refused: this runs for every value on every command.
pub fn check(vault: &Vault) -> Result<(), String> {
    revision(|| "the vault's policy revision".into(), vault.revision)?;
    count(|| "members".into(), vault.members.len(), MAX_MEMBERS)?;
    count(|| "apps".into(), vault.apps.len(), MAX_APPS)?;
    if !is_id(&vault.vault_id) {
        return Err("the vault id is malformed".into());
    }
    timestamp(|| "the vault's creation time".into(), &vault.created_at)?;
    if let Some(sig) = &vault.signature {
        handle(|| "the signature's signer".into(), &sig.signer)?;
        text(|| "the signature".into(), &sig.ed25519)?;
    }
    check_members(vault)?;
    check_departures(vault)?;
    check_waivers(vault)?;
    check_tombstones(vault)?;
    check_invitations(vault)?;
    for (app_name, app) in &vault.apps {
        check_app(app_name, app)?;
    }
    Ok(())
}

/// Members' keys, signing keys, authors and times.
fn check_members(vault: &Vault) -> Result<(), String> {
    for (name, m) in &vault.members {
        if m.key.len() > MAX_KEY_BYTES || m.key.chars().any(char::is_control) {
            return Err(format!("member '{name}' has a malformed key"));
        }
        if let Some(key) = &m.signing_key {
            text(|| format!("member '{name}''s signing key"), key)?;
        }
        handle(|| format!("member '{name}''s added_by"), &m.added_by)?;
        timestamp(|| format!("member '{name}''s timestamp"), &m.added_at)?;
    }
    Ok(())
}

/// Departures and returns: counted, each with a handle, an author, a key, a time, a revision
/// and the places it names.
fn check_departures(vault: &Vault) -> Result<(), String> {
    count(
        || "departures".into(),
        vault.departures.len(),
        MAX_DEPARTURES,
    )?;
    for d in &vault.departures {
        let places = d.lost.len();
        record(
            "departure",
            &d.handle,
            &d.by,
            &d.key,
            &d.at,
            d.revision,
            places,
        )?;
    }
    count(|| "returns".into(), vault.returns.len(), MAX_DEPARTURES)?;
    for r in &vault.returns {
        let places = r.regained.len();
        record(
            "return", &r.handle, &r.by, &r.key, &r.at, r.revision, places,
        )?;
    }
    Ok(())
}

/// One departure or return (`noun`): whom it names and who signed it, their key, its time,
/// the policy revision that recorded it and how many `app/level` places it lists.
fn record(
    noun: &str,
    who: &str,
    by: &str,
    key: &str,
    at: &str,
    signed_at: u64,
    places: usize,
) -> Result<(), String> {
    handle(|| format!("a {noun}'s handle"), who)?;
    handle(|| format!("a {noun}'s author"), by)?;
    if key.len() > MAX_KEY_BYTES || key.chars().any(char::is_control) {
        return Err(format!("the {noun} of '{who}' has a malformed key"));
    }
    timestamp(|| format!("a {noun}'s time"), at)?;
    revision(
        || format!("the policy revision of the {noun} of '{who}'"),
        signed_at,
    )?;
    count(|| format!("places in a {noun}"), places, MAX_APPS * 3)
}

fn check_app(app_name: &str, app: &App) -> Result<(), String> {
    let place = |what: &str| format!("app '{app_name}' {what}");
    timestamp(|| place("timestamp"), &app.added_at)?;
    for (level, key) in &app.data_keys {
        wrapped_key(app_name, *level, key)?;
    }
    for (kind, map) in [("info", &app.info), ("contact", &app.contact)] {
        count(|| place(kind), map.len(), MAX_ENTRIES)?;
        for (field, sealed) in map {
            if !super::names::is_name(field) {
                return Err(place(&format!("has a malformed {kind} field name")));
            }
            self::sealed(|| place(kind), sealed)?;
        }
    }
    for (kind, base, modes) in [
        ("config", &app.config, &app.modes),
        ("build", &app.build, &app.build_modes),
    ] {
        count(|| place(&format!("{kind} values")), base.len(), MAX_ENTRIES)?;
        for (name, sealed) in base {
            env_name(|| place(&format!("has a malformed {kind} name")), name)?;
            self::sealed(|| place(&format!("{kind} {name}")), sealed)?;
        }
        count(|| place(&format!("{kind} modes")), modes.len(), MAX_ENTRIES)?;
        for (mode, values) in modes {
            count(
                || place(&format!("mode {mode} {kind} values")),
                values.len(),
                MAX_ENTRIES,
            )?;
            for (name, sealed) in values {
                self::sealed(|| place(&format!("mode {mode} {kind} {name}")), sealed)?;
            }
        }
    }
    count(|| place("floors"), app.floors.len(), MAX_ENTRIES)?;
    for name in app.floors.keys() {
        env_name(|| place("has a malformed secret name in its floors"), name)?;
    }
    count(|| place("secrets"), app.secrets.len(), MAX_ENTRIES)?;
    for (name, secret) in &app.secrets {
        env_name(|| place("has a malformed secret name"), name)?;
        for version in &secret.versions {
            self::sealed(|| place(&format!("secret {name}")), version)?;
        }
    }
    count(
        || place("rotations due"),
        app.rotations_due.len(),
        MAX_ENTRIES,
    )?;
    for (name, reason) in &app.rotations_due {
        env_name(
            || place("has a malformed secret name in its rotations due"),
            name,
        )?;
        text(|| place(&format!("rotation reason of {name}")), reason)?;
    }
    Ok(())
}

/// Waivers are signed with the policy, so a well-formed one is an owner's; these bounds keep a
/// hostile file's from costing anything. A waiver claiming a revision the policy has not
/// reached would cover departures still to come: refused.
fn check_waivers(vault: &Vault) -> Result<(), String> {
    count(|| "waivers".into(), vault.waivers.len(), MAX_DEPARTURES)?;
    for w in &vault.waivers {
        handle(|| "a waiver's author".into(), &w.by)?;
        if let Some(departed) = &w.departed {
            handle(|| "a waiver's member".into(), departed)?;
        }
        env_name(
            || format!("a waiver of '{}' names a malformed secret", w.app),
            &w.secret,
        )?;
        timestamp(|| "a waiver's time".into(), &w.at)?;
        text(|| "a waiver's reason".into(), &w.reason)?;
        revision(|| "the policy revision of a waiver".into(), w.revision)?;
        if w.revision > vault.revision {
            return Err(format!(
                "a waiver of {} of '{}' claims policy revision {}, past the vault's {}",
                w.secret, w.app, w.revision, vault.revision
            ));
        }
    }
    Ok(())
}

/// Tombstones are signed with the policy; these bounds keep a hostile file's from costing
/// anything.
fn check_tombstones(vault: &Vault) -> Result<(), String> {
    count(
        || "tombstones".into(),
        vault.tombstones.len(),
        MAX_DEPARTURES,
    )?;
    for t in &vault.tombstones {
        text(|| "a tombstone's AppID".into(), &t.appid)?;
        handle(|| "a tombstone's author".into(), &t.by)?;
        timestamp(|| "a tombstone's time".into(), &t.removed_at)?;
        revision(|| "the policy revision of a tombstone".into(), t.revision)?;
        count(
            || "readers in a tombstone".into(),
            t.readers.len(),
            MAX_MEMBERS,
        )?;
        for r in &t.readers {
            handle(|| "a tombstone's reader".into(), &r.handle)?;
            timestamp(|| "a tombstone reader's time".into(), &r.since)?;
        }
    }
    Ok(())
}

fn count(what: impl FnOnce() -> String, n: usize, max: usize) -> Result<(), String> {
    if n > max {
        return Err(format!(
            "the vault file lists {n} {}, more than the {max} allowed",
            what()
        ));
    }
    Ok(())
}

fn revision(what: impl FnOnce() -> String, revision: u64) -> Result<(), String> {
    if revision > MAX_REVISION {
        return Err(format!(
            "{} {revision} is past {MAX_REVISION}, the highest any vault reaches",
            what()
        ));
    }
    Ok(())
}

/// The revision a signed change takes: one more than both the file's and the highest this
/// clone has accepted. `None` past `MAX_REVISION` (checked arithmetic: it never wraps).
pub fn next_revision(file: u64, seen: u64) -> Option<u64> {
    file.max(seen).checked_add(1).filter(|r| *r <= MAX_REVISION)
}

fn is_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn handle(what: impl FnOnce() -> String, name: &str) -> Result<(), String> {
    if super::names::is_name(name) {
        Ok(())
    } else {
        Err(format!("{} is not a valid member handle", what()))
    }
}

fn text(what: impl FnOnce() -> String, value: &str) -> Result<(), String> {
    // Bytes bound characters from above: most text is far shorter than the bound in bytes.
    let long = value.len() > MAX_TEXT_CHARS && value.chars().count() > MAX_TEXT_CHARS;
    if long || value.chars().any(char::is_control) {
        return Err(format!(
            "{} is malformed (control characters, or too long)",
            what()
        ));
    }
    Ok(())
}

/// RFC 3339 as mpvault writes it; only its alphabet and length are checked here.
fn timestamp(what: impl FnOnce() -> String, value: &str) -> Result<(), String> {
    let ok = (1..=40).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_digit() || b"TZtz:+-.".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(format!("{} is not a timestamp", what()))
    }
}

fn env_name(what: impl FnOnce() -> String, name: &str) -> Result<(), String> {
    if name.len() <= MAX_NAME_BYTES && crate::envnames::check_env_name(name).is_ok() {
        Ok(())
    } else {
        Err(format!("{} ({})", what(), crate::display::escape(name)))
    }
}

fn sealed(place: impl Fn() -> String, sealed: &Sealed) -> Result<(), String> {
    if sealed.value.len() > MAX_SEALED_BYTES {
        return Err(format!("{} holds a value that is too long", place()));
    }
    handle(|| format!("the set_by of {}", place()), &sealed.set_by)?;
    if let Some(sealer) = &sealed.sealed_by {
        handle(|| format!("the sealed_by of {}", place()), sealer)?;
    }
    if let Some(sig) = &sealed.sig {
        text(|| format!("the signature of {}", place()), sig)?;
    }
    timestamp(|| format!("the timestamp of {}", place()), &sealed.set_at)
}

fn wrapped_key(app: &str, level: Level, key: &WrappedKey) -> Result<(), String> {
    if key.readers.len() > MAX_MEMBERS {
        return Err(format!(
            "the {level} key of app '{app}' lists too many readers"
        ));
    }
    if let Some(c) = &key.commitment {
        text(|| format!("the {level} key commitment of app '{app}'"), c)?;
    }
    Ok(())
}

/// Checks that a wrapped data key (`decoded` from its base64) lists no more recipients than
/// the `readers` it names allow. Run on the one key a command opens, just before age reads its
/// header: counting every key of every app on load cost a read of a large vault a tenth of its
/// time, and a key no one opens makes no one work.
pub fn recipients(app: &str, level: Level, readers: usize, decoded: &[u8]) -> Result<(), String> {
    let stanzas = count_stanzas(decoded);
    if stanzas > readers + EXTRA_STANZAS {
        return Err(format!(
            "the {level} data key of app '{app}' is wrapped to {stanzas} recipients but names {readers} reader(s); it was inflated by hand"
        ));
    }
    Ok(())
}

/// The number of recipient stanzas in an age file's header, without parsing them.
pub fn count_stanzas(age_file: &[u8]) -> usize {
    let mut stanzas = 0;
    for line in age_file.split(|b| *b == b'\n') {
        if line.starts_with(b"---") {
            break;
        }
        if line.starts_with(b"->") {
            stanzas += 1;
        }
    }
    stanzas
}

/// Invitations and join requests (format 5): counted, and each text bounded, since anyone can
/// write a request.
fn check_invitations(vault: &Vault) -> Result<(), String> {
    count(
        || "invitations".into(),
        vault.invitations.len(),
        MAX_DEPARTURES,
    )?;
    for i in &vault.invitations {
        handle(|| "an invitation's handle".into(), &i.handle)?;
        handle(|| "an invitation's author".into(), &i.by)?;
        timestamp(|| "an invitation's time".into(), &i.at)?;
        timestamp(|| "an invitation's expiry".into(), &i.expires)?;
        count(|| "apps in an invitation".into(), i.roles.len(), MAX_APPS)?;
        count(
            || "owners in an invitation".into(),
            i.owners.len(),
            MAX_MEMBERS,
        )?;
        if i.owners.iter().any(|k| k.len() > MAX_KEY_BYTES) {
            return Err(format!("the invitation of '{}' is malformed", i.handle));
        }
        let texts = [&i.id, &i.by_key, &i.salt, &i.commitment];
        if texts.iter().any(|t| t.len() > MAX_KEY_BYTES) || i.mac_key.len() > MAX_KEY_BYTES * 64 {
            return Err(format!("the invitation of '{}' is malformed", i.handle));
        }
    }
    count(
        || "join requests".into(),
        vault.requests.len(),
        MAX_DEPARTURES,
    )?;
    for r in &vault.requests {
        handle(|| "a join request's handle".into(), &r.handle)?;
        timestamp(|| "a join request's time".into(), &r.at)?;
        let texts = [
            Some(&r.invitation),
            Some(&r.key),
            r.signing_key.as_ref(),
            Some(&r.mac),
        ];
        let long = texts.iter().flatten().any(|t| t.len() > MAX_KEY_BYTES);
        if long || r.key.chars().any(char::is_control) {
            return Err(format!("the join request of '{}' is malformed", r.handle));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_bounds() {
        assert!(check_bytes(b"{\"a\": [[[]]]}").is_ok());
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert!(check_bytes(deep.as_bytes()).unwrap_err().contains("nested"));
        // Brackets inside strings do not count, nor do escaped quotes end them.
        let quoted = format!("[\"{}\\\"{}\"]", "[".repeat(100), "{".repeat(100));
        assert!(check_bytes(quoted.as_bytes()).is_ok());
        let long = format!("\"{}\"", "x".repeat(MAX_STRING_BYTES + 1));
        assert!(check_bytes(long.as_bytes())
            .unwrap_err()
            .contains("too long"));
        let big = vec![b' '; MAX_FILE_BYTES + 1];
        assert!(check_bytes(&big).unwrap_err().contains("larger than"));
    }

    #[test]
    fn string_bounds_at_the_edge() {
        // Content and closing quote together: MAX_STRING_BYTES - 1 bytes of content fit.
        let fits = format!("[\"{}\"]", "x".repeat(MAX_STRING_BYTES - 1));
        assert!(check_bytes(fits.as_bytes()).is_ok());
        let over = format!("[\"{}\"]", "x".repeat(MAX_STRING_BYTES));
        assert!(check_bytes(over.as_bytes())
            .unwrap_err()
            .contains("too long"));
        // An escaped quote does not end a long string; escaped backslashes do not escape it.
        let escaped = format!("[\"\\\"{}\"]", "x".repeat(MAX_STRING_BYTES));
        assert!(check_bytes(escaped.as_bytes())
            .unwrap_err()
            .contains("too long"));
        let ended = format!("[\"\\\\\", [{}]]", "[".repeat(MAX_DEPTH));
        assert!(check_bytes(ended.as_bytes())
            .unwrap_err()
            .contains("nested"));
        // Unterminated, or ending in a lone backslash: long is refused, short is left to the parser.
        let open = format!("\n\"{}", "x".repeat(MAX_STRING_BYTES + 1));
        assert!(check_bytes(open.as_bytes())
            .unwrap_err()
            .contains("line 2;"));
        assert!(check_bytes(b"[\"abc\\").is_ok());
        // The line named is where the bound is crossed.
        let deep = format!("{{\n\n{}", "[".repeat(MAX_DEPTH));
        assert!(check_bytes(deep.as_bytes())
            .unwrap_err()
            .contains("(line 3)"));
    }

    #[test]
    fn revisions_stop_at_the_bound_and_never_wrap() {
        assert_eq!(next_revision(7, 9), Some(10));
        assert_eq!(next_revision(MAX_REVISION - 1, 0), Some(MAX_REVISION));
        assert_eq!(next_revision(MAX_REVISION, 0), None);
        assert_eq!(next_revision(0, u64::MAX), None);
        assert!(revision(|| "the policy revision".into(), MAX_REVISION).is_ok());
        assert!(revision(|| "the policy revision".into(), MAX_REVISION + 1)
            .unwrap_err()
            .contains("the policy revision 9007199254740993 is past"));
    }

    #[test]
    fn stanzas_are_counted_up_to_the_mac_line() {
        let text =
            "age-encryption.org/v1\n-> X25519 a\nbody\n-> x-grease\n\n--- mac\n\n-> not a stanza";
        assert_eq!(count_stanzas(text.as_bytes()), 2);
    }
}
