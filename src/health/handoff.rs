//! Hand-offs: what each client's 管理员 must do in the WeChat consoles after someone lost
//! access, one block per client, ready to send. Only the administrator of a Mini Program can
//! reset its AppSecret and upload key or change its 成员管理, and only the merchant's
//! administrator its WeChat Pay keys, so an agency asks the client for every one of these.
//!
//! This module decides what to ask and renders it (text, markdown for WeCom or DingTalk, JSON);
//! the command prints it. Nothing here is a secret: secret names, never values.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::display::escape;
use crate::vault::offboarding::Due;
use crate::vault::{Field, Keyring, Vault};
use crate::wechat::{self, Level, Role};

/// Every block, clients by name, the apps with no client last.
#[derive(Debug, Serialize)]
pub struct Handoff {
    pub clients: Vec<ClientBlock>,
}

#[derive(Debug, Serialize)]
pub struct ClientBlock {
    /// `None`: the apps that have no client recorded.
    pub client: Option<String>,
    pub apps: Vec<AppHandoff>,
}

#[derive(Debug, Serialize)]
pub struct AppHandoff {
    pub app: String,
    pub appid: String,
    /// Whether the 管理员's contacts are known to this reader.
    pub admin_contact: ContactState,
    /// The 管理员's contacts, when this reader can read them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin: Option<Admin>,
    pub steps: Vec<Step>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ContactState {
    Recorded,
    Missing,
    /// Contacts are team-level values this reader has no key to.
    Unreadable,
}

#[derive(Debug, Default, Serialize)]
pub struct Admin {
    pub name: Option<String>,
    pub wechat: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// Take the person out of 成员管理 first, so they cannot read what is reset next.
    TeamMember,
    Appsecret,
    UploadKey,
    PayKeys,
    OtherSecrets,
}

#[derive(Debug, Serialize)]
pub struct Step {
    pub kind: StepKind,
    /// The vault's names of the secrets this step replaces.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<String>,
    /// The person to take out of (or narrow in) 成员管理.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub person: Option<String>,
    /// Their console roles on this app, when the vault knows them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<Role>,
    pub zh: String,
    pub en: String,
}

/// Someone whose console access on an app must change.
#[derive(Clone, Debug)]
pub struct Leaver {
    pub handle: String,
    /// The console roles they held on the app (what to take away in 成员管理); empty when
    /// the vault no longer knows them.
    pub roles: Vec<Role>,
    /// The roles they keep (a revoked role, not a departure): empty for someone who left.
    pub keeps: Vec<Role>,
}

/// The hand-off for `dues` (secrets to reset) and `leavers` (by app), for the apps in
/// `vault`. `keyring` reads the 管理员's contacts where this reader may; where it cannot, the
/// block says so and the hand-off is still made.
pub fn build(
    vault: &Vault,
    mut keyring: Option<&mut Keyring>,
    dues: &[Due],
    leavers: &BTreeMap<String, Vec<Leaver>>,
) -> Handoff {
    let mut by_app: BTreeMap<&str, Vec<&Due>> = BTreeMap::new();
    for due in dues {
        by_app.entry(due.app.as_str()).or_default().push(due);
    }
    for app in leavers.keys() {
        by_app.entry(app.as_str()).or_default();
    }
    let mut clients: BTreeMap<Option<String>, Vec<AppHandoff>> = BTreeMap::new();
    for (name, app_dues) in by_app {
        let Ok(app) = vault.app(name) else { continue };
        let mut steps = Vec::new();
        for leaver in leavers.get(name).into_iter().flatten() {
            steps.push(team_member_step(leaver));
        }
        steps.extend(secret_steps(&app_dues));
        if steps.is_empty() {
            continue;
        }
        let (admin_contact, admin) = contacts(vault, keyring.as_deref_mut(), name);
        clients
            .entry(app.public.get("client").cloned())
            .or_default()
            .push(AppHandoff {
                app: name.to_string(),
                appid: app.appid.clone(),
                admin_contact,
                admin,
                steps,
            });
    }
    let mut clients: Vec<ClientBlock> = clients
        .into_iter()
        .map(|(client, apps)| ClientBlock { client, apps })
        .collect();
    // `None` sorts first in a map; the apps with no client go last.
    clients.sort_by_key(|c| c.client.is_none());
    Handoff { clients }
}

/// Who lost access on which app according to the departures behind `dues`. What they keep is
/// the roster as it is now, whatever the departure was: someone removed holds nothing and
/// leaves 成员管理, someone who lost one role (or left and was added back) keeps the rest.
pub fn leavers_from_dues(vault: &Vault, dues: &[Due]) -> BTreeMap<String, Vec<Leaver>> {
    let mut out: BTreeMap<String, Vec<Leaver>> = BTreeMap::new();
    for due in dues {
        let Some(handle) = &due.departed else {
            continue;
        };
        let entry = out.entry(due.app.clone()).or_default();
        if entry.iter().any(|l| &l.handle == handle) {
            continue;
        }
        let keeps = vault
            .apps
            .get(&due.app)
            .and_then(|a| a.roster.get(handle))
            .cloned()
            .unwrap_or_default();
        entry.push(Leaver {
            handle: handle.clone(),
            roles: Vec::new(),
            keeps,
        });
    }
    out
}

fn team_member_step(leaver: &Leaver) -> Step {
    let who = escape(&leaver.handle).into_owned();
    let roles = |roles: &[Role], zh: bool| {
        roles
            .iter()
            .map(|r| if zh { r.chinese() } else { r.as_str() })
            .collect::<Vec<_>>()
            .join(if zh { "、" } else { ", " })
    };
    let (zh, en) = if !leaver.keeps.is_empty() {
        (
            format!(
                "在「成员管理」中只保留 {who} 的以下角色：{}。",
                roles(&leaver.keeps, true)
            ),
            format!(
                "In 成员管理 (Team Management), leave {who} only these roles: {}.",
                roles(&leaver.keeps, false)
            ),
        )
    } else if !leaver.roles.is_empty() {
        (
            format!(
                "在「成员管理」中移除 {who}（{}）。",
                roles(&leaver.roles, true)
            ),
            format!(
                "Remove {who} ({}) from 成员管理 (Team Management).",
                roles(&leaver.roles, false)
            ),
        )
    } else {
        (
            format!("在「成员管理」中移除 {who} 的所有角色（如仍在列）。"),
            format!(
                "Remove {who} from 成员管理 (Team Management), every role they still hold there."
            ),
        )
    };
    Step {
        kind: StepKind::TeamMember,
        secrets: Vec::new(),
        person: Some(leaver.handle.clone()),
        roles: if leaver.keeps.is_empty() {
            leaver.roles.clone()
        } else {
            leaver.keeps.clone()
        },
        zh,
        en,
    }
}

fn kind_of(secret: &str) -> StepKind {
    match secret {
        wechat::APPSECRET => StepKind::Appsecret,
        "WECHAT_UPLOAD_KEY" => StepKind::UploadKey,
        s if s.starts_with("WECHAT_PAY_") => StepKind::PayKeys,
        _ => StepKind::OtherSecrets,
    }
}

/// One step per kind of secret that is due, in the order they are best done.
fn secret_steps(dues: &[&Due]) -> Vec<Step> {
    let mut kinds: BTreeMap<StepKind, Vec<String>> = BTreeMap::new();
    for due in dues {
        let names = kinds.entry(kind_of(&due.secret)).or_default();
        if !names.contains(&due.secret) {
            names.push(due.secret.clone());
        }
    }
    kinds
        .into_iter()
        .map(|(kind, secrets)| {
            let (zh, en) = secret_words(kind, &secrets);
            Step {
                kind,
                secrets,
                person: None,
                roles: Vec::new(),
                zh,
                en,
            }
        })
        .collect()
}

fn secret_words(kind: StepKind, secrets: &[String]) -> (String, String) {
    let names = secrets.join(", ");
    match kind {
        StepKind::Appsecret => (
            "在「开发管理 → 开发设置」中重置 AppSecret（小程序密钥）。".into(),
            "Reset the AppSecret under 开发管理 → 开发设置 (Development Settings).".into(),
        ),
        StepKind::UploadKey => (
            "在「开发管理 → 开发设置 → 小程序代码上传」中重新生成代码上传密钥。".into(),
            "Regenerate the code upload key under 开发管理 → 开发设置 → 小程序代码上传.".into(),
        ),
        StepKind::PayKeys => {
            let zh: Vec<&str> = secrets.iter().map(|s| pay_key_zh(s)).collect();
            (
                format!(
                    "登录微信支付商户平台（商户平台）→ 账户中心 → API安全，重置：{}。",
                    zh.join("、")
                ),
                format!(
                    "Reset the WeChat Pay keys ({names}) on 商户平台 (WeChat Pay merchant platform) → 账户中心 → API安全."
                ),
            )
        }
        StepKind::OtherSecrets | StepKind::TeamMember => (
            format!("在签发处更换：{names}。"),
            format!("Replace {names} where it was issued."),
        ),
    }
}

fn pay_key_zh(secret: &str) -> &str {
    match secret {
        "WECHAT_PAY_API_V3_KEY" => "APIv3密钥",
        "WECHAT_PAY_API_V2_KEY" => "APIv2密钥",
        "WECHAT_PAY_PRIVATE_KEY" => "商户API证书（apiclient_key.pem）",
        other => other,
    }
}

/// The 管理员's contacts as this reader may read them. A value that does not open counts as
/// unreadable: a hand-off is never refused for it.
fn contacts(
    vault: &Vault,
    keyring: Option<&mut Keyring>,
    app: &str,
) -> (ContactState, Option<Admin>) {
    let Some(keyring) = keyring.filter(|k| k.can_read(vault, app, Level::Team)) else {
        return (ContactState::Unreadable, None);
    };
    let mut admin = Admin::default();
    for (field, slot) in [
        ("name", &mut admin.name),
        ("wechat", &mut admin.wechat),
        ("email", &mut admin.email),
        ("phone", &mut admin.phone),
    ] {
        match keyring.read(vault, app, &Field::Contact(field.into()), 0) {
            Ok(value) => {
                *slot = value
                    .map(|v| v.to_string())
                    .filter(|v| !v.trim().is_empty());
            }
            Err(_) => return (ContactState::Unreadable, None),
        }
    }
    let reachable = admin.wechat.is_some() || admin.email.is_some() || admin.phone.is_some();
    let state = if reachable || admin.name.is_some() {
        ContactState::Recorded
    } else {
        ContactState::Missing
    };
    (
        state,
        Some(admin).filter(|_| state == ContactState::Recorded),
    )
}

/// How a hand-off is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Markdown,
}

/// The hand-off as text or markdown (no box-drawing: it pastes into WeCom and DingTalk).
/// `intro` says why, in one line.
pub fn render(handoff: &Handoff, intro: &str, format: Format) -> String {
    let md = format == Format::Markdown;
    let mut out = String::new();
    if handoff.clients.is_empty() {
        let _ = writeln!(out, "Nothing to hand off: no console change is due.");
        return out;
    }
    let _ = writeln!(out, "{}\n", escape(intro));
    for block in &handoff.clients {
        let title = match &block.client {
            Some(c) => format!("Client {c}（客户）"),
            None => "Apps with no client recorded（未记录客户）".to_string(),
        };
        if md {
            let _ = writeln!(out, "## {title}\n");
        } else {
            let _ = writeln!(out, "== {title} ==\n");
        }
        for app in &block.apps {
            render_app(&mut out, app, md);
        }
    }
    out
}

fn render_app(out: &mut String, app: &AppHandoff, md: bool) {
    let name = escape(&app.app);
    if md {
        let _ = writeln!(out, "### {name} (AppID `{}`)\n", app.appid);
    } else {
        let _ = writeln!(out, "{name} (AppID {})", app.appid);
    }
    let indent = if md { "" } else { "  " };
    let _ = writeln!(
        out,
        "{indent}管理员 / Administrator: {}",
        admin_line(app, md)
    );
    if md {
        out.push('\n');
    }
    for (n, step) in app.steps.iter().enumerate() {
        let n = n + 1;
        if md {
            let _ = writeln!(out, "{n}. {}  \n   {}", step.zh, step.en);
        } else {
            let _ = writeln!(out, "  {n}. {}\n     {}", step.zh, step.en);
        }
    }
    out.push('\n');
}

fn admin_line(app: &AppHandoff, md: bool) -> String {
    // Contacts are free text any team member wrote: in markdown they are escaped, so a name
    // cannot become a link or a heading in a message the client trusts.
    let shown = |v: &str| {
        let v = escape(v);
        if md {
            markdown_escape(&v)
        } else {
            v.into_owned()
        }
    };
    match (&app.admin_contact, &app.admin) {
        (ContactState::Recorded, Some(a)) => {
            let mut parts = vec![a.name.as_deref().map_or_else(|| "(no name)".into(), shown)];
            for (label, value) in [("WeChat", &a.wechat), ("email", &a.email), ("phone", &a.phone)] {
                if let Some(v) = value {
                    parts.push(format!("{label} {}", shown(v)));
                }
            }
            parts.join(", ")
        }
        (ContactState::Unreadable, _) => {
            "contacts not readable with your identity (they are team-level values); ask someone on the app's roster".into()
        }
        _ => format!(
            "no contact recorded; `mpvault app contact {}` records one",
            escape(&app.app)
        ),
    }
}

/// Text with the characters that make markdown links, HTML, emphasis or code
/// backslash-escaped (the contact is mid-line, so line-start markers need nothing).
fn markdown_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\`*[]<>".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
