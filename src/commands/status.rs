//! `status [APP]`: every app's health, problems first, within the terminal's width; exits
//! non-zero when anything is due or broken so CI can gate on it.

use std::fmt::Write as _;
use std::io::IsTerminal;

use serde::Serialize;
use time::OffsetDateTime;

use super::{Context, Outcome};
use crate::cli::{ReportFormat, StatusArgs};
use crate::error::Result;
use crate::health::{self, handoff, AppHealth, Finding, Known, Severity};
use crate::output;
use crate::table::{self, Cell, Color, Column};
use crate::vault::Scope;
use crate::wechat::Role;

pub fn run(ctx: &Context, args: StatusArgs) -> Result<Outcome> {
    let (worst, json) = report(ctx, args)?;
    if let Some(json) = json {
        output::json(&json)?;
    }
    Ok(Outcome::Health(worst))
}

/// What `status` found in one vault.
struct Judged {
    general: Vec<Finding>,
    apps: Vec<AppHealth>,
    pending: Vec<String>,
    handoff: Option<handoff::Handoff>,
}

/// Judges one vault and prints the text forms; the JSON forms are returned unprinted, so that
/// `status` across several vaults can put them in one document. Returns the worst state too.
pub fn report(ctx: &Context, args: StatusArgs) -> Result<(Severity, Option<serde_json::Value>)> {
    let format = if args.json {
        ReportFormat::Json
    } else {
        args.format.unwrap_or(ReportFormat::Text)
    };
    let app = args.app.clone();
    let Judged {
        general,
        apps,
        pending,
        handoff,
    } = judge(ctx, args)?;
    let worst = general
        .iter()
        .map(|f| f.severity)
        .chain(apps.iter().map(|a| a.state))
        .max()
        .unwrap_or(Severity::Ok);
    let damaged = apps
        .iter()
        .flat_map(|a| &a.problems)
        .any(|p| p.severity == Severity::Broken && p.what.starts_with("the value at"));
    let mut json = None;
    if let Some(handoff) = handoff {
        let intro = "These Mini Programs need changes in the console, because people who could read their secrets no longer work on them (以下小程序需要在后台完成操作，因为能读取其密钥的人员已不再负责):";
        match format {
            ReportFormat::Json => json = Some(output::to_json(&handoff)?),
            _ => print_handoff(&handoff, intro, format)?,
        }
    } else if format == ReportFormat::Json {
        json = Some(output::to_json(&Report {
            apps: &apps,
            state: worst,
            vault_problems: &general,
            pending: &pending,
        })?);
    } else {
        let style = Style::detect();
        let text = match (app, format) {
            (_, ReportFormat::Markdown) => markdown(&general, apps),
            (Some(_), _) => detail(&general, &apps, &style),
            (None, _) => overview(&general, apps, &style, || locked(ctx)),
        };
        output::write(text.as_bytes())?;
        for line in &pending {
            output::note(&format!("pending: {line}"));
        }
    }
    if damaged {
        // Values that do not open are most often a line merge without mpvault's driver.
        output::note(&format!("{}.", crate::git::way_back(&ctx.vault_path()?)));
    }
    Ok((worst, json))
}

fn judge(
    ctx: &Context,
    StatusArgs {
        app,
        client,
        due,
        as_of,
        readable_only,
        within,
        ..
    }: StatusArgs,
) -> Result<Judged> {
    let app = app.as_deref();
    let judging = health::Judging {
        now: as_of.map_or_else(OffsetDateTime::now_utc, |day| day.midnight().assume_utc()),
        within,
        readable_only,
    };
    ctx.read_without_asking(&Scope::All, |vault, mut keyring| {
        if let Some(app) = app {
            vault.app(app)?;
        }
        let of_client = client
            .as_deref()
            .map(|c| vault.client_apps(c))
            .transpose()?;
        let shown = |name: &str| {
            app.is_none_or(|want| want == name)
                && of_client.as_ref().is_none_or(|set| set.contains(name))
        };
        let apps: Vec<AppHealth> = vault
            .apps
            .iter()
            .filter(|(name, _)| shown(name))
            .map(|(name, a)| health::app_health(vault, keyring.as_mut(), name, a, judging))
            .collect();
        let handoff = due.then(|| {
            let dues: Vec<_> = crate::vault::offboarding::rotations_due(vault)
                .into_iter()
                .filter(|d| shown(&d.app))
                .collect();
            let leavers = handoff::leavers_from_dues(vault, &dues);
            handoff::build(vault, keyring.as_mut(), &dues, &leavers)
        });
        Ok(Judged {
            general: health::vault_findings(vault),
            apps,
            pending: health::pending(vault, &super::now()),
            handoff,
        })
    })
}

/// A hand-off in the format asked for (`status --due`, `member remove --format`).
pub fn print_handoff(handoff: &handoff::Handoff, intro: &str, format: ReportFormat) -> Result<()> {
    match format {
        ReportFormat::Json => output::json(handoff),
        ReportFormat::Text => {
            output::write(handoff::render(handoff, intro, handoff::Format::Text).as_bytes())
        }
        ReportFormat::Markdown => {
            output::write(handoff::render(handoff, intro, handoff::Format::Markdown).as_bytes())
        }
    }
}

/// `status --format markdown`: the problems and one line per app, with no table or
/// box-drawing, so it pastes into WeCom and DingTalk as it is.
fn markdown(general: &[Finding], mut apps: Vec<AppHealth>) -> String {
    apps.sort_by(|a, b| b.state.cmp(&a.state).then_with(|| a.app.cmp(&b.app)));
    let mut out = String::from("## mpvault status\n\n");
    let mut problems: Vec<(Option<&str>, &Finding)> = general.iter().map(|f| (None, f)).collect();
    for a in &apps {
        problems.extend(a.problems.iter().map(|f| (Some(a.app.as_str()), f)));
    }
    problems.sort_by_key(|p| std::cmp::Reverse(p.1.severity));
    if problems.is_empty() {
        let _ = writeln!(out, "All {} app(s) are healthy.\n", apps.len());
    } else {
        let _ = writeln!(out, "**{} problem(s), worst first**\n", problems.len());
        for (app, f) in &problems {
            let place = app.map(|a| format!("**{a}**: ")).unwrap_or_default();
            let _ = writeln!(
                out,
                "- {} {place}{}; {}.",
                f.severity.as_str(),
                f.what,
                f.hint
            );
        }
        out.push('\n');
    }
    for a in &apps {
        let _ = writeln!(
            out,
            "- **{}** `{}` {}: AppSecret {}, verified {}, ICP {}",
            a.app,
            a.appid,
            a.state.as_str(),
            days(a.appsecret_age_days).full,
            verified(a).full,
            icp(a).short,
        );
    }
    crate::display::escape_lines(&out).into_owned()
}

/// `status --json`: the worst state, then the findings about the vault and each app.
#[derive(Serialize)]
struct Report<'h> {
    apps: &'h [AppHealth],
    state: Severity,
    vault_problems: &'h [Finding],
    /// Open invitations and join requests: onboarding in progress, never a problem.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pending: &'h [String],
}

/// How to print: the width to fit and whether to colour.
struct Style {
    width: usize,
    color: bool,
}

impl Style {
    fn detect() -> Self {
        let terminal = std::io::stdout().is_terminal();
        let from_env = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse::<usize>().ok())
            .filter(|w| *w >= 20);
        let width = if terminal {
            comfy_table::Table::new()
                .width()
                .map(usize::from)
                .filter(|w| *w >= 20)
        } else {
            None
        };
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Style {
            width: width.or(from_env).unwrap_or(80),
            color: terminal && !no_color,
        }
    }

    fn paint(&self, severity: Severity) -> Option<Color> {
        match severity {
            Severity::Ok => Some(Color::Green),
            Severity::Due => Some(Color::Yellow),
            Severity::Broken => Some(Color::Red),
        }
        .filter(|_| self.color)
    }

    fn tag(&self, severity: Severity) -> String {
        let word = format!("{:<6}", severity.as_str());
        match self.paint(severity) {
            Some(c) => c.paint(&word),
            None => word,
        }
    }
}

/// Whether this user's identity is protected and neither unlocked here nor held by the agent,
/// so nothing at the team level was read without asking.
fn locked(ctx: &Context) -> bool {
    ctx.identity().is_ok_and(|i| !i.opens_without_asking())
}

/// The problems, worst first, then one row per app. `locked` tells why a `?` shows.
fn overview(
    general: &[Finding],
    mut apps: Vec<AppHealth>,
    style: &Style,
    locked: impl FnOnce() -> bool,
) -> String {
    apps.sort_by(|a, b| b.state.cmp(&a.state).then_with(|| a.app.cmp(&b.app)));
    let mut problems: Vec<(Option<&str>, &Finding)> = general.iter().map(|f| (None, f)).collect();
    for a in &apps {
        problems.extend(a.problems.iter().map(|f| (Some(a.app.as_str()), f)));
    }
    problems.sort_by_key(|p| std::cmp::Reverse(p.1.severity));
    let mut out = String::new();
    if problems.is_empty() {
        let _ = writeln!(out, "All {} app(s) are healthy.", apps.len());
    } else {
        let _ = writeln!(out, "{} problem(s), worst first:", problems.len());
        for (app, finding) in &problems {
            out.push_str(&problem_line(*app, finding, style));
        }
    }
    out.push_str(&waived(&apps, style));
    if apps.is_empty() {
        out.push_str("No apps yet: add one with `mpvault app add NAME --appid wx…`.\n");
        return out;
    }
    out.push('\n');
    let (rendered, layout) = table::render(&columns(&apps, style), style.width, style.color);
    out.push_str(&rendered);
    if layout.abbreviated.contains(&"PEOPLE") {
        out.push_str(&table::wrap(
            "PEOPLE: o owner, a admin, op operator, d developer, da data-analyst, ta transactions-analyst, t tester",
            style.width,
            8,
        ));
        out.push('\n');
    }
    if !layout.dropped.is_empty() {
        out.push_str(&table::wrap(
            "More in `mpvault status APP` and `mpvault status --json`.",
            style.width,
            0,
        ));
        out.push('\n');
    }
    if apps
        .iter()
        .any(|a| matches!(a.verification, Known::Unknown))
    {
        let legend = if locked() {
            "? = your identity is locked, so that app's team-level values were not read; `mpvault unlock` opens it for this session."
        } else {
            "? = your identity cannot read that app's team-level values."
        };
        out.push_str(&table::wrap(legend, style.width, 0));
        out.push('\n');
    }
    out
}

/// Rotations owners waived, apart from the problems: accepted, so never a reason to fail.
fn waived(apps: &[AppHealth], style: &Style) -> String {
    let lines: Vec<String> = apps
        .iter()
        .flat_map(|a| a.rotations_waived.iter().map(move |w| (a, w)))
        .map(|(a, w)| {
            let text = format!("{}: {}", a.app, w.line());
            format!(
                "  waived  {}\n",
                table::wrap(&text, style.width.max(30), 10)
            )
        })
        .collect();
    if lines.is_empty() {
        return String::new();
    }
    format!(
        "{} rotation(s) waived by an owner (not due):\n{}",
        lines.len(),
        lines.concat()
    )
}

fn problem_line(app: Option<&str>, finding: &Finding, style: &Style) -> String {
    let place = app.map(|a| format!("{a}: ")).unwrap_or_default();
    let text = format!("{place}{}; {}.", finding.what, finding.hint);
    let body = table::wrap(&text, style.width.max(30), 10);
    format!("  {}  {body}\n", style.tag(finding.severity))
}

fn columns(apps: &[AppHealth], style: &Style) -> Vec<Column> {
    let col = |header, short_header, shorten_rank, drop_rank, cells: Vec<Cell>| Column {
        header,
        short_header,
        cells,
        shorten_rank,
        drop_rank,
    };
    let cells = |f: &dyn Fn(&AppHealth) -> Cell| apps.iter().map(f).collect::<Vec<_>>();
    vec![
        col("APP", "APP", 9, None, cells(&|a| Cell::same(&a.app))),
        col("APPID", "APPID", 9, None, cells(&|a| Cell::same(&a.appid))),
        col(
            "STATE",
            "STATE",
            9,
            None,
            cells(&|a| Cell::same(a.state.as_str()).colored(style.paint(a.state))),
        ),
        col(
            "APPSECRET",
            "SECRET",
            4,
            Some(4),
            cells(&|a| days(a.appsecret_age_days)),
        ),
        col(
            "OLDEST",
            "OLDEST",
            4,
            Some(1),
            cells(&|a| days(a.oldest_secret_days)),
        ),
        col("VERIFIED (认证)", "VERIFIED", 1, Some(5), cells(&verified)),
        col("ICP (备案)", "ICP", 2, Some(3), cells(&icp)),
        col("PEOPLE", "PEOPLE", 3, Some(2), cells(&people)),
    ]
}

fn days(age: Option<i64>) -> Cell {
    match age {
        Some(d) => Cell::new(format!("{d} days"), format!("{d}d")),
        None => Cell::same("—"),
    }
}

fn verified(a: &AppHealth) -> Cell {
    match &a.verification {
        Known::Set(v) if v.days_left < 0 => Cell::new(format!("{} (expired)", v.until), "expired"),
        Known::Set(v) => Cell::new(
            format!("{} ({} days left)", v.until, v.days_left),
            format!("{}d left", v.days_left),
        ),
        Known::Missing => Cell::same("missing"),
        Known::Unknown => Cell::same("?"),
    }
}

fn icp(a: &AppHealth) -> Cell {
    match &a.icp {
        Known::Set(number) => Cell::new(crate::display::escape(number), "ok"),
        Known::Missing => Cell::same("missing"),
        Known::Unknown => Cell::same("?"),
    }
}

fn people(a: &AppHealth) -> Cell {
    let abbrev = |r: Role| match r {
        Role::Admin => "a",
        Role::Operator => "op",
        Role::Developer => "d",
        Role::DataAnalyst => "da",
        Role::TransactionsAnalyst => "ta",
        Role::Tester => "t",
    };
    let owners = a.people.owners.len();
    let mut full = vec![format!("owners {owners}")];
    let mut short = vec![format!("o{owners}")];
    for (role, count) in &a.people.roles {
        full.push(format!("{role} {count}"));
        short.push(format!("{}{count}", abbrev(*role)));
    }
    Cell::new(full.join(", "), short.join(" "))
}

/// One app in detail, then its problems.
fn detail(general: &[Finding], apps: &[AppHealth], style: &Style) -> String {
    let Some(a) = apps.first() else {
        return String::new();
    };
    let mut out = format!("{}  {}\n", a.app, a.appid);
    for (label, value) in detail_rows(a) {
        let _ = writeln!(
            out,
            "  {label:<14}{}",
            table::wrap(&value, style.width.max(30), 16)
        );
    }
    let problems: Vec<&Finding> = general.iter().chain(&a.problems).collect();
    if !problems.is_empty() {
        out.push_str("Problems:\n");
        for f in problems {
            out.push_str(&problem_line(None, f, style));
        }
    }
    out.push_str(&waived_of_one(a, style));
    out
}

/// The labelled lines of one app's detail: the AppSecret first, then the other secrets.
fn detail_rows(a: &AppHealth) -> Vec<(&'static str, String)> {
    let mut rows: Vec<(&str, String)> = Vec::new();
    rows.push(("State", a.state.as_str().to_string()));
    let (appsecret, others): (Vec<_>, Vec<_>) = a
        .secrets
        .iter()
        .partition(|s| s.name == crate::wechat::APPSECRET);
    rows.push((
        "AppSecret",
        match appsecret.first() {
            Some(s) => format!("{} days old{}", s.age_days.unwrap_or_default(), limit(s)),
            None => "none stored".into(),
        },
    ));
    for s in others {
        rows.push((
            "Secret",
            format!(
                "{} ({}), {} days old{}",
                s.name,
                s.access,
                s.age_days.unwrap_or_default(),
                limit(s)
            ),
        ));
    }
    rows.push(("Verification", verified(a).full));
    rows.push(("ICP filing", icp(a).full));
    rows.push((
        "Owners",
        if a.people.owners.is_empty() {
            "—".into()
        } else {
            a.people.owners.join(", ")
        },
    ));
    rows.push(("Roles", people(a).full));
    rows.push(("Admin contact", admin_contact(a).into()));
    rows
}

/// A secret's age limit, when it has one.
fn limit(s: &health::SecretAge) -> String {
    s.max_age_days
        .map(|m| format!(" (limit {m})"))
        .unwrap_or_default()
}

fn admin_contact(a: &AppHealth) -> &'static str {
    match a.admin_contact {
        Known::Set(true) => "recorded",
        Known::Set(false) | Known::Missing => "missing",
        Known::Unknown => "?",
    }
}

fn waived_of_one(a: &AppHealth, style: &Style) -> String {
    let mut out = String::new();
    if !a.rotations_waived.is_empty() {
        out.push_str("Waived (not due):\n");
        for w in &a.rotations_waived {
            let _ = writeln!(out, "  {}", table::wrap(&w.line(), style.width.max(30), 2));
        }
    }
    out
}
