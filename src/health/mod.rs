//! Health of each app: secrets' age against the vault's rules, rotations due, the yearly
//! verification (认证), the ICP filing (备案), the roster and the administrator's contacts.
//!
//! This module only finds things; `commands::status` shows them. Every finding says what is
//! wrong and what to do, and has a severity that decides `status`'s exit code.

pub mod handoff;
/// The table renderer's old path, which `commands::status` still names.
pub use crate::table;

use std::collections::BTreeMap;

use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

use crate::error::{exit, Error};
use crate::vault::{access, App, Field, Keyring, Rules, Vault};
use crate::wechat::{self, Level, Role};

/// How bad a finding is. Ordered: the worst is the greatest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Ok,
    /// Needs doing soon: a rotation, a verification within its window, a missing record.
    Due,
    /// Already wrong: an expired verification, a damaged value, a key given to the wrong person.
    Broken,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Ok => "ok",
            Severity::Due => "due",
            Severity::Broken => "broken",
        }
    }

    /// `status` exits with this, so CI can gate on it.
    pub fn exit_code(self) -> i32 {
        match self {
            Severity::Ok => 0,
            Severity::Due => exit::DUE,
            Severity::Broken => exit::BROKEN,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub what: String,
    pub hint: String,
}

impl Finding {
    fn due(what: impl Into<String>, hint: impl Into<String>) -> Self {
        Finding {
            severity: Severity::Due,
            what: what.into(),
            hint: hint.into(),
        }
    }
    fn broken(what: impl Into<String>, hint: impl Into<String>) -> Self {
        Finding {
            severity: Severity::Broken,
            what: what.into(),
            hint: hint.into(),
        }
    }
}

/// A value the reader may or may not be able to decrypt. `status --json` shows it as a word
/// (see `Recorded` and `VerificationState`), the value in a field of its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Known<T> {
    /// The reader cannot read this app's team level (no identity, or not on its roster).
    Unknown,
    Missing,
    Set(T),
}

#[derive(Clone, Debug, Serialize)]
pub struct SecretAge {
    pub name: String,
    pub access: Level,
    pub set_at: String,
    pub age_days: Option<i64>,
    pub max_age_days: Option<u32>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Verification {
    pub until: String,
    pub days_left: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct People {
    /// Vault owners read every app whether or not they hold a console role on it.
    pub owners: Vec<String>,
    /// Console roles on this app and how many hold each.
    pub roles: BTreeMap<Role, usize>,
}

/// Whether a fact is recorded, in `status --json`: one word, never an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Recorded {
    Recorded,
    Missing,
    /// This reader cannot read it (no key to the app's team level).
    Unknown,
}

/// The yearly verification in `status --json`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VerificationState {
    Ok,
    /// Within the warning window.
    Due,
    Expired,
    Missing,
    Unknown,
}

#[derive(Clone, Debug, Serialize)]
pub struct AppHealth {
    pub app: String,
    pub appid: String,
    /// The client the app is run for, when one is recorded.
    pub client: Option<String>,
    pub state: Severity,
    pub secrets: Vec<SecretAge>,
    pub appsecret_age_days: Option<i64>,
    pub oldest_secret_days: Option<i64>,
    /// The recorded expiry, for scripts that want just the date.
    pub verified_until: Option<String>,
    #[serde(skip)]
    pub verification: Known<Verification>,
    #[serde(rename = "verification")]
    pub verification_state: VerificationState,
    pub verification_days_left: Option<i64>,
    /// The warning window this app is judged by (its own, or the vault's).
    pub verification_window_days: u32,
    #[serde(skip)]
    pub icp: Known<String>,
    #[serde(rename = "icp")]
    pub icp_state: Recorded,
    pub icp_number: Option<String>,
    #[serde(skip)]
    pub admin_contact: Known<bool>,
    #[serde(rename = "admin_contact")]
    pub admin_contact_state: Recorded,
    pub people: People,
    pub rotations_due: Vec<RotationDue>,
    /// Rotations an owner waived: shown apart, never a problem.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rotations_waived: Vec<RotationWaived>,
    pub problems: Vec<Finding>,
}

#[derive(Clone, Debug, Serialize)]
pub struct RotationDue {
    pub name: String,
    pub reason: String,
}

/// A secret that would be due but for an owner's signed waiver.
#[derive(Clone, Debug, Serialize)]
pub struct RotationWaived {
    pub name: String,
    /// Who could read it and lost access.
    pub departed: Vec<String>,
    pub waivers: Vec<WaiverShown>,
}

#[derive(Clone, Debug, Serialize)]
pub struct WaiverShown {
    pub by: String,
    pub at: String,
    pub revision: u64,
    pub reason: String,
}

impl RotationWaived {
    /// One line: what, after whom, by whom, when and why.
    pub fn line(&self) -> String {
        let why: Vec<String> = self
            .waivers
            .iter()
            .map(|w| {
                format!(
                    "by {} at {} (revision {}): {}",
                    w.by, w.at, w.revision, w.reason
                )
            })
            .collect();
        crate::display::escape(&format!(
            "{} kept after {} lost access; waived {}",
            self.name,
            self.departed.join(", "),
            why.join("; ")
        ))
        .into_owned()
    }
}

/// Findings about the whole vault rather than one app.
pub fn vault_findings(vault: &Vault) -> Vec<Finding> {
    let mut out = Vec::new();
    if vault.format < crate::vault::WRITABLE {
        out.push(Finding::due(
            format!(
                "the vault is in format {}, which is read-only until an owner adopts it",
                vault.format
            ),
            "an owner reviews and signs it with `mpvault sign`",
        ));
    }
    out
}

/// Invitations still open and join requests waiting for an owner, one line each. They are
/// not problems: onboarding is everyday work.
pub fn pending(vault: &Vault, now: &str) -> Vec<String> {
    let mut out = Vec::new();
    for inv in vault.invitations.iter().filter(|i| !i.used) {
        let asked = vault.requests.iter().any(|r| r.invitation == inv.id);
        if asked {
            out.push(format!(
                "'{}' asks to join (invited by {}): an owner checks it with `mpvault member approve {}`",
                inv.handle, inv.by, inv.handle
            ));
        } else if crate::vault::invite::expired(inv, now) {
            out.push(format!(
                "the invitation for '{}' expired at {} unanswered",
                inv.handle, inv.expires
            ));
        } else {
            out.push(format!(
                "'{}' is invited by {} until {}, and has not asked to join yet",
                inv.handle, inv.by, inv.expires
            ));
        }
    }
    let open: Vec<&str> = vault
        .invitations
        .iter()
        .filter(|i| !i.used)
        .map(|i| i.id.as_str())
        .collect();
    for r in vault
        .requests
        .iter()
        .filter(|r| !open.contains(&r.invitation.as_str()))
    {
        out.push(format!(
            "a join request for '{}' answers no open invitation; it grants nothing",
            r.handle
        ));
    }
    out.into_iter()
        .map(|l| crate::display::escape(&l).into_owned())
        .collect()
}

/// How `status` judges: as of when, how far ahead, and whether to judge what it cannot read.
#[derive(Clone, Copy, Debug)]
pub struct Judging {
    pub now: OffsetDateTime,
    /// `--within DAYS`: what falls due within DAYS, replacing the verification window.
    pub within: Option<u32>,
    pub readable_only: bool,
}

/// Examines one app as of `judging.now`. `keyring` reads the team level when the reader may.
pub fn app_health(
    vault: &Vault,
    keyring: Option<&mut Keyring>,
    name: &str,
    app: &App,
    judging: Judging,
) -> AppHealth {
    let Judging {
        now,
        within,
        readable_only,
    } = judging;
    let rules = &vault.rules;
    let mut problems = Vec::new();
    let secrets = secret_ages(app, rules, now);
    for s in &secrets {
        problems.extend(age_finding(name, s, within));
    }
    let rotations_due = rotations_due(vault, name);
    for due in &rotations_due {
        problems.push(Finding::due(
            format!("{} must be rotated: {}", due.name, due.reason),
            rotate_hint(name, &due.name),
        ));
    }
    let mut reader = Reader::new(vault, keyring, name, &mut problems);
    let verification = reader.info("verified_until");
    let icp = reader.info("icp");
    let admin_contact = reader.has_contact();
    reader.check_integrity();
    if !readable_only {
        unjudged(&verification, &icp, &mut problems);
    }
    let window = within.unwrap_or_else(|| rules.verification_window_for(name));
    let verification = verification_state(name, verification, window, now.date(), &mut problems);
    problems.extend(missing_records(name, &icp, &admin_contact, rules));
    problems.extend(key_gaps(vault, name, app));
    problems.sort_by_key(|p| std::cmp::Reverse(p.severity));
    let ages = |pick: &dyn Fn(&SecretAge) -> bool| {
        secrets
            .iter()
            .filter(|s| pick(s))
            .filter_map(|s| s.age_days)
            .max()
    };
    AppHealth {
        app: name.to_string(),
        appid: app.appid.clone(),
        client: app.public.get("client").cloned(),
        verification_state: verification_word(&verification, window),
        verification_days_left: match &verification {
            Known::Set(v) => Some(v.days_left),
            _ => None,
        },
        verification_window_days: window,
        icp_state: recorded(&icp, |_| true),
        icp_number: match &icp {
            Known::Set(number) => Some(number.clone()),
            _ => None,
        },
        admin_contact_state: recorded(&admin_contact, |set| *set),
        state: problems
            .iter()
            .map(|p| p.severity)
            .max()
            .unwrap_or(Severity::Ok),
        appsecret_age_days: ages(&|s| s.name == wechat::APPSECRET),
        oldest_secret_days: ages(&|_| true),
        verified_until: match &verification {
            Known::Set(v) => Some(v.until.clone()),
            _ => None,
        },
        secrets,
        verification,
        icp,
        admin_contact,
        people: people(vault, app),
        rotations_due,
        rotations_waived: rotations_waived(vault, name),
        problems,
    }
}

/// An ICP number the rules require, and a way to reach the administrator, that are not recorded.
fn missing_records(
    name: &str,
    icp: &Known<String>,
    admin_contact: &Known<bool>,
    rules: &Rules,
) -> Vec<Finding> {
    let mut out = Vec::new();
    if *icp == Known::Missing && rules.icp_required() {
        out.push(Finding::due(
            "no ICP filing (备案) number is recorded",
            format!("file it under 账户设置 → ICP filing in the console, then `mpvault app set {name} --icp NUMBER`"),
        ));
    }
    if *admin_contact == Known::Set(false) {
        out.push(Finding::due(
            "no administrator contact is recorded",
            format!("`mpvault app contact {name}` asks for the 管理员's name, WeChat ID, email and phone"),
        ));
    }
    out
}

fn recorded<T>(known: &Known<T>, set: impl Fn(&T) -> bool) -> Recorded {
    match known {
        Known::Set(value) if set(value) => Recorded::Recorded,
        Known::Set(_) | Known::Missing => Recorded::Missing,
        Known::Unknown => Recorded::Unknown,
    }
}

fn verification_word(known: &Known<Verification>, window: u32) -> VerificationState {
    match known {
        Known::Set(v) if v.days_left < 0 => VerificationState::Expired,
        Known::Set(v) if v.days_left <= i64::from(window) => VerificationState::Due,
        Known::Set(_) => VerificationState::Ok,
        Known::Missing => VerificationState::Missing,
        Known::Unknown => VerificationState::Unknown,
    }
}

/// A fact an earlier vault keeps encrypted, which this runner cannot open: `status` would judge
/// the app differently for different readers, so it says so.
fn unjudged(verification: &Known<String>, icp: &Known<String>, problems: &mut Vec<Finding>) {
    for (fact, known) in [
        ("verification (认证) expiry", verification),
        ("ICP number", icp),
    ] {
        if *known == Known::Unknown {
            problems.push(Finding::due(
                format!("its {fact} is encrypted, so it cannot be judged without a team-level key"),
                "an owner runs `mpvault sign` to make it public, or pass --readable-only to judge only what you can read",
            ));
        }
    }
}

/// Secrets someone who lost access could read. The one place "rotation due" comes from, so
/// that how it is computed can change without touching `status`.
pub fn rotations_due(vault: &Vault, app: &str) -> Vec<RotationDue> {
    crate::vault::offboarding::rotations_due(vault)
        .into_iter()
        .filter(|d| d.app == app)
        .map(|d| RotationDue {
            name: d.secret,
            reason: d.reason,
        })
        .collect()
}

/// Secrets whose rotation an owner waived, with who, when and why.
pub fn rotations_waived(vault: &Vault, app: &str) -> Vec<RotationWaived> {
    crate::vault::offboarding::rotations_waived(vault)
        .into_iter()
        .filter(|w| w.app == app)
        .map(|w| RotationWaived {
            name: w.secret,
            departed: w.departed.iter().map(ToString::to_string).collect(),
            waivers: w
                .waivers
                .iter()
                .map(|x| WaiverShown {
                    by: x.by.clone(),
                    at: x.at.clone(),
                    revision: x.revision,
                    reason: x.reason.clone(),
                })
                .collect(),
        })
        .collect()
}

fn rotate_hint(app: &str, secret: &str) -> String {
    if secret == wechat::APPSECRET {
        format!("reset it in the console (开发管理 → 开发设置), then `mpvault rotate-secret {app} --verify`")
    } else {
        format!("replace it where it was issued, then `mpvault rotate-secret {app} {secret}`")
    }
}

fn secret_ages(app: &App, rules: &Rules, now: OffsetDateTime) -> Vec<SecretAge> {
    app.secrets
        .iter()
        .map(|(name, s)| {
            let set_at = s
                .versions
                .first()
                .map(|v| v.set_at.clone())
                .unwrap_or_default();
            SecretAge {
                name: name.clone(),
                access: s.access,
                age_days: age_days(&set_at, now),
                set_at,
                max_age_days: rules.max_age(name),
            }
        })
        .collect()
}

/// Whole days since an RFC 3339 time; a time in the future counts as 0.
pub fn age_days(set_at: &str, now: OffsetDateTime) -> Option<i64> {
    OffsetDateTime::parse(set_at, &Rfc3339)
        .ok()
        .map(|t| (now - t).whole_days().max(0))
}

/// A secret over its age limit, or (with `--within`) one that reaches it within that many days.
fn age_finding(app: &str, s: &SecretAge, within: Option<u32>) -> Option<Finding> {
    let (age, max) = (s.age_days?, i64::from(s.max_age_days?));
    if age > max {
        return Some(Finding::due(
            format!("{} is {age} days old (the limit is {max})", s.name),
            rotate_hint(app, &s.name),
        ));
    }
    // Over the limit from the day its age is max + 1.
    let falls_due_in = max + 1 - age;
    (falls_due_in <= i64::from(within?)).then(|| {
        Finding::due(
            format!(
                "{} is {age} days old and reaches its limit of {max} in {falls_due_in} days",
                s.name
            ),
            rotate_hint(app, &s.name),
        )
    })
}

fn verification_state(
    app: &str,
    recorded: Known<String>,
    window: u32,
    today: Date,
    problems: &mut Vec<Finding>,
) -> Known<Verification> {
    let until = match recorded {
        Known::Set(text) => text,
        Known::Missing => {
            problems.push(Finding::due(
                "no verification (认证) expiry is recorded",
                format!("find it under 账户设置 → 微信认证, then `mpvault app set {app} --verified-until YYYY-MM-DD`"),
            ));
            return Known::Missing;
        }
        Known::Unknown => return Known::Unknown,
    };
    let Ok(date) = crate::date::parse_date(&until) else {
        problems.push(Finding::broken(
            "the recorded verification expiry is not a date",
            format!("`mpvault app set {app} --verified-until YYYY-MM-DD`"),
        ));
        return Known::Missing;
    };
    let until = date.to_string();
    let days_left = (date - today).whole_days();
    let renew = format!("renew it under 账户设置 → 微信认证 (CN¥300), then `mpvault app set {app} --verified-until NEW-DATE`");
    if days_left < 0 {
        problems.push(Finding::broken(
            format!(
                "the verification (认证) expired on {until}, {} days ago",
                -days_left
            ),
            renew,
        ));
    } else if days_left <= i64::from(window) {
        problems.push(Finding::due(
            format!("the verification (认证) expires on {until}, in {days_left} days"),
            renew,
        ));
    }
    Known::Set(Verification { until, days_left })
}

fn people(vault: &Vault, app: &App) -> People {
    let mut roles = BTreeMap::new();
    for held in app.roster.values() {
        for role in held {
            *roles.entry(*role).or_insert(0) += 1;
        }
    }
    People {
        owners: vault.owners().map(str::to_string).collect(),
        roles,
    }
}

/// Members entitled to a level whose data key is not wrapped to them, and the reverse.
fn key_gaps(vault: &Vault, name: &str, app: &App) -> Vec<Finding> {
    let mut out = Vec::new();
    for (level, key) in &app.data_keys {
        let entitled = access::readers(vault, name, *level);
        for handle in entitled.iter().filter(|h| !key.readers.contains(h)) {
            out.push(Finding::due(
                format!("{handle} has no key to the {level} level"),
                format!("an owner runs `mpvault rekey {name}`"),
            ));
        }
        for handle in key.readers.iter().filter(|h| !entitled.contains(*h)) {
            out.push(Finding::broken(
                format!("{handle} holds the {level} key without a role that reaches it"),
                format!(
                    "an owner runs `mpvault rekey {name}`, then rotates what {handle} could read"
                ),
            ));
        }
    }
    out
}

/// Reads team-level values for the health check, turning a damaged value into a finding.
struct Reader<'r, 'k, 'v> {
    vault: &'v Vault,
    keyring: Option<&'r mut Keyring<'k>>,
    app: &'v str,
    problems: &'r mut Vec<Finding>,
}

impl<'r, 'k, 'v> Reader<'r, 'k, 'v> {
    fn new(
        vault: &'v Vault,
        keyring: Option<&'r mut Keyring<'k>>,
        app: &'v str,
        problems: &'r mut Vec<Finding>,
    ) -> Self {
        let keyring = keyring.filter(|k| k.can_read(vault, app, Level::Team));
        Reader {
            vault,
            keyring,
            app,
            problems,
        }
    }

    fn read(&mut self, field: &Field) -> Known<String> {
        let Some(keyring) = self.keyring.as_deref_mut() else {
            return Known::Unknown;
        };
        match keyring.read(self.vault, self.app, field, 0) {
            Ok(Some(v)) if !v.trim().is_empty() => Known::Set(v.to_string()),
            Ok(_) => Known::Missing,
            Err(e) => {
                self.problems.extend(damaged(&e));
                Known::Unknown
            }
        }
    }

    /// A public fact (format 5) as the file shows it, else the encrypted one an earlier
    /// vault kept, which only a team-level reader can judge.
    fn info(&mut self, field: &str) -> Known<String> {
        let public = self
            .vault
            .app(self.app)
            .ok()
            .and_then(|a| a.public.get(field));
        if let Some(value) = public {
            return Known::Set(value.clone());
        }
        let stored = self
            .vault
            .app(self.app)
            .is_ok_and(|a| a.info.contains_key(field));
        if !stored {
            return Known::Missing;
        }
        self.read(&Field::Info(field.to_string()))
    }

    /// Whether any way to reach the administrator is recorded.
    fn has_contact(&mut self) -> Known<bool> {
        // Which contact fields are set shows without a key: a runner without one judges that.
        if self.keyring.is_none() {
            let app = self.vault.app(self.app).ok();
            let set = app.is_some_and(|a| {
                ["wechat", "phone", "email"]
                    .iter()
                    .any(|f| a.contact.contains_key(*f))
            });
            return Known::Set(set);
        }
        let mut any = Known::Set(false);
        for field in ["wechat", "phone", "email"] {
            match self.read(&Field::Contact(field.to_string())) {
                Known::Set(_) => any = Known::Set(true),
                Known::Unknown => return Known::Unknown,
                Known::Missing => {}
            }
        }
        any
    }

    /// Opens every other value this reader may read, so a damaged one is named here rather
    /// than in the middle of a build.
    fn check_integrity(&mut self) {
        let Some(keyring) = self.keyring.as_deref_mut() else {
            return;
        };
        let Ok(app) = self.vault.app(self.app) else {
            return;
        };
        let fields: Vec<Field> = app
            .info
            .keys()
            .filter(|k| !matches!(k.as_str(), "verified_until" | "icp"))
            .map(|k| Field::Info(k.clone()))
            .chain(
                app.contact
                    .keys()
                    .filter(|k| k.as_str() == "name")
                    .map(|k| Field::Contact(k.clone())),
            )
            .chain(app.config.keys().map(|k| Field::Config(k.clone())))
            .chain(app.build.keys().map(|k| Field::Build(k.clone())))
            .collect();
        let mut checks: Vec<(Field, usize)> = fields.into_iter().map(|f| (f, 0)).collect();
        // Every version: a line merge can break a secret's history as well as its current value.
        for (name, secret) in &app.secrets {
            if keyring.can_read(self.vault, self.app, secret.access) {
                checks.extend((0..secret.versions.len()).map(|v| (Field::Secret(name.clone()), v)));
            }
        }
        for (field, version) in checks {
            if let Err(e) = keyring.read(self.vault, self.app, &field, version) {
                self.problems.extend(damaged(&e));
            }
        }
    }
}

/// A value that does not open is broken; a key that is not ours is a gap `key_gaps` names.
fn damaged(error: &Error) -> Option<Finding> {
    matches!(error, Error::Corrupt { .. }).then(|| {
        Finding::broken(
            error.to_string(),
            error
                .hint()
                .unwrap_or_else(|| "restore mpvault.json from git".into()),
        )
    })
}
