//! Issue 25, "Done means": an agency's month, replayed through the binary. 30 clients (32
//! apps), 8 people and CI: a staff move across 5 clients in two commands with a waiver, a
//! departure with per-client hand-offs, a contract end with its access history, an admin
//! change, a CI service member held to two clients with `--strict`, and the weekly report.

use crate::common;

use common::{exit, Person, World, APPSECRET};
use serde_json::Value;

const STAFF: [&str; 7] = ["zhao", "qian", "sun", "li", "zhou", "wu", "zheng"];

/// Client `c01` … `c30`; c01 and c02 run two apps each (`-shop`, `-mall`), the rest one.
fn apps_of(client: usize) -> Vec<String> {
    let base = format!("c{client:02}");
    if client <= 2 {
        vec![format!("{base}-shop"), format!("{base}-mall")]
    } else {
        vec![format!("{base}-shop")]
    }
}

fn appid(n: usize) -> String {
    format!("wx{n:016x}")
}

struct Agency {
    w: World,
    lead: Person,
    staff: Vec<Person>,
}

impl Agency {
    fn person(&self, name: &str) -> &Person {
        self.staff.iter().find(|p| p.name == name).unwrap()
    }

    fn apps(&self, clients: std::ops::RangeInclusive<usize>) -> String {
        clients.flat_map(apps_of).collect::<Vec<_>>().join(",")
    }

    fn status_json(&self, who: &Person, extra: &[&str]) -> (i32, Value) {
        let out = self
            .w
            .cmd(who)
            .args(["status", "--json"])
            .args(extra)
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            serde_json::from_slice(&out.stdout).unwrap(),
        )
    }
}

/// The lead sets up 30 clients: each app with its client, AppSecret and 管理员; every person a
/// developer on a few clients (bulk grants, one command each).
fn agency() -> Agency {
    let w = World::new();
    let lead = w.person("lead");
    w.ok(&lead, &["init", "--owner", "lead"]);
    let verified_until =
        (time::OffsetDateTime::now_utc().date() + time::Duration::days(300)).to_string();
    let mut n = 0;
    for client in 1..=30 {
        for app in apps_of(client) {
            n += 1;
            w.ok(&lead, &["app", "add", &app, "--appid", &appid(n)]);
            w.ok(
                &lead,
                &[
                    "app",
                    "set",
                    &app,
                    "--client",
                    &format!("c{client:02}"),
                    "--verified-until",
                    &verified_until,
                    "--icp",
                    &format!("沪ICP备{n:08}号"),
                ],
            );
            w.ok_stdin(&lead, &["add-secret", &app, "--stdin"], APPSECRET);
            w.ok(
                &lead,
                &[
                    "app",
                    "contact",
                    &app,
                    "--name",
                    &format!("管理员{client:02}"),
                    "--wechat",
                    &format!("admin_c{client:02}"),
                    "--email",
                    &format!("it@c{client:02}.example"),
                ],
            );
        }
    }
    let mut staff = Vec::new();
    for name in STAFF {
        let p = w.person(name);
        w.ok(&lead, &["member", "add", name, "--key", &w.public_line(&p)]);
        staff.push(p);
    }
    let a = Agency { w, lead, staff };
    // zhao: clients 1–5; sun: 11–13; the others a few clients each.
    for (name, clients) in [
        ("zhao", 1..=5),
        ("qian", 6..=10),
        ("sun", 11..=13),
        ("li", 14..=18),
        ("zhou", 19..=22),
        ("wu", 23..=26),
        ("zheng", 27..=30),
    ] {
        let apps = a.apps(clients);
        a.w.ok(
            &a.lead,
            &["role", "grant", name, "developer", "--apps", &apps, "--yes"],
        );
    }
    for p in &a.staff {
        a.w.ok(p, &["app", "list"]);
    }
    a
}

#[test]
fn an_agency_month() {
    let a = agency();
    a.w.git_with_vault();
    assert_eq!(a.status_json(&a.lead, &[]).0, 0, "a healthy start");
    staff_move_with_a_waiver(&a);
    a_departure_with_handoffs(&a);
    an_admin_change(&a);
    ci_reads_two_clients_strictly(&a);
    a_contract_end(&a);
    the_weekly_review(&a);
}

/// Staff move: zhao leaves clients 1–5 (seven apps) for 6–8, and still works here, so the
/// lead accepts the risk: two commands, no console reset.
fn staff_move_with_a_waiver(a: &Agency) {
    let (w, lead) = (&a.w, &a.lead);
    let moved = w.ok(
        lead,
        &[
            "role",
            "revoke",
            "zhao",
            "developer",
            "--apps",
            &a.apps(1..=5),
            "--keep-secrets",
            "--reason",
            "moved to clients 6-8, still on staff",
            "--yes",
        ],
    );
    w.ok(
        lead,
        &[
            "role",
            "grant",
            "zhao",
            "developer",
            "--apps",
            &a.apps(6..=8),
            "--yes",
        ],
    );
    assert!(!moved.contains(APPSECRET));
    let (code, report) = a.status_json(lead, &[]);
    assert_eq!(code, 0, "a waived rotation is not due: {report}");
    let mut waived: Vec<&str> = report["apps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|app| {
            app["rotations_waived"]
                .as_array()
                .is_some_and(|w| !w.is_empty())
        })
        .map(|app| app["app"].as_str().unwrap())
        .collect();
    waived.sort_unstable();
    let mut moved_off: Vec<String> = (1..=5).flat_map(apps_of).collect();
    moved_off.sort_unstable();
    assert_eq!(waived, moved_off);
    assert_eq!(
        w.ok(a.person("zhao"), &["get", "c07-shop", "WECHAT_APPSECRET"]),
        APPSECRET
    );
    let (code, _) = w.fails(a.person("zhao"), &["get", "c01-shop", "WECHAT_APPSECRET"]);
    assert_eq!(code, exit::DENIED);
    w.git(&["commit", "-qam", "zhao moves to clients 6-8"]);
}

/// A departure: sun leaves. One hand-off per client, ready to send, in markdown; the same
/// later as JSON from `status --due`.
fn a_departure_with_handoffs(a: &Agency) {
    let (w, lead) = (&a.w, &a.lead);
    let handoff = w.ok(
        lead,
        &["member", "remove", "sun", "--yes", "--format", "markdown"],
    );
    for client in 11..=13 {
        let app = format!("c{client}-shop");
        let block = &handoff[handoff
            .find(&format!("## Client c{client}"))
            .expect(&handoff)..];
        assert!(block.contains(&format!("### {app}")), "{handoff}");
        assert!(block.contains(&appid(client + 2)), "{handoff}");
        assert!(block.contains(&format!("管理员{client}")), "{handoff}");
        assert!(block.contains("成员管理") && block.contains("开发管理 → 开发设置"));
    }
    assert!(!handoff.contains("## Client c14"), "{handoff}");
    assert!(!handoff.contains(APPSECRET), "{handoff}");
    let (code, report) = a.status_json(lead, &[]);
    assert_eq!(code, exit::DUE, "sun's AppSecrets are due: {report}");
    let due = w
        .cmd(lead)
        .args(["status", "--due", "--format", "json"])
        .output()
        .unwrap();
    let due: Value = serde_json::from_slice(&due.stdout).unwrap();
    let clients: Vec<&str> = due["clients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["client"].as_str().unwrap())
        .collect();
    assert_eq!(clients, ["c11", "c12", "c13"], "{due}");
    assert_eq!(due["clients"][0]["apps"][0]["admin"]["wechat"], "admin_c11");
    w.git(&["commit", "-qam", "sun leaves"]);
}

/// An admin change at c14: the new 管理员's details replace the old ones, none kept.
fn an_admin_change(a: &Agency) {
    let (w, lead) = (&a.w, &a.lead);
    w.ok(
        lead,
        &[
            "app",
            "contact",
            "c14-shop",
            "--replace",
            "--name",
            "张新",
            "--phone",
            "13900000000",
        ],
    );
    let shown = w.ok(a.person("li"), &["app", "show", "c14-shop", "--json"]);
    let shown: Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(shown["contact"]["name"], "张新");
    assert_eq!(shown["contact"]["phone"], "13900000000");
    assert!(shown["contact"]["wechat"].is_null(), "{shown}");
    assert!(shown["contact"]["email"].is_null(), "{shown}");
    w.git(&["commit", "-qam", "c14 has a new admin"]);
}

/// CI: a service member that reads clients 1 and 2 only, with --strict builds.
fn ci_reads_two_clients_strictly(a: &Agency) {
    let (w, lead) = (&a.w, &a.lead);
    let ci = w.person("ci");
    w.ok(
        lead,
        &[
            "member",
            "add",
            "ci",
            "--key",
            &w.public_line(&ci),
            "--service",
            "--client",
            "c01",
            "--client",
            "c02",
        ],
    );
    w.git(&["commit", "-qam", "ci reads c01 and c02"]);
    let env = w.ok(
        &ci,
        &["export", "c02-mall", "--include-secrets", "--strict"],
    );
    assert!(env.contains(APPSECRET), "CI builds c02");
    let (code, err) = w.fails(
        &ci,
        &["export", "c03-shop", "--include-secrets", "--strict"],
    );
    assert_eq!(code, exit::DENIED, "{err}");
    let roster = w.ok(lead, &["roster", "c01-shop"]);
    let (people, services) = roster.split_once("Service members").expect(&roster);
    assert!(!people.contains("ci"), "{roster}");
    assert!(services.contains("ci"), "{roster}");
    let (code, err) = w.fails(&ci, &["config", "set", "c01-shop", "X=1"]);
    assert_eq!(code, exit::DENIED, "{err}");
}

/// The contract with client 30 ends: the app goes, its access history stays.
fn a_contract_end(a: &Agency) {
    let (w, lead) = (&a.w, &a.lead);
    let removed = w
        .cmd(lead)
        .args(["app", "remove", "c30-shop", "--yes"])
        .output()
        .unwrap();
    assert!(removed.status.success());
    let said = String::from_utf8(removed.stderr).unwrap();
    assert!(said.contains("WECHAT_APPSECRET"), "{said}");
    assert!(said.contains("verify"), "{said}");
    w.git(&["commit", "-qam", "contract with c30 ends"]);
    let history = w.ok(lead, &["audit", "--app", "c30-shop", "--json"]);
    let history: Value = serde_json::from_str(&history).unwrap();
    assert_eq!(history["removed"]["appid"], appid(32));
    let readers: Vec<&str> = history["readers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["handle"].as_str().unwrap())
        .collect();
    assert!(
        readers.contains(&"zheng") && readers.contains(&"lead"),
        "{history}"
    );
    assert!(!w.ok(lead, &["app", "list"]).contains("c30-shop"));
}

/// The weekly review: sun's rotations are still due; markdown pastes into chat.
fn the_weekly_review(a: &Agency) {
    let (w, lead) = (&a.w, &a.lead);
    let out = w
        .cmd(lead)
        .args(["status", "--within", "60", "--format", "markdown"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(exit::DUE));
    let report = String::from_utf8(out.stdout).unwrap();
    for client in 11..=13 {
        assert!(report.contains(&format!("c{client}-shop")), "{report}");
    }
    assert!(!report.contains('│') && !report.contains('─'), "{report}");
    // The waived ones are reported apart, not as due.
    let (_, json) = a.status_json(lead, &["--within", "60"]);
    let mut due_apps: Vec<&str> = json["apps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|app| {
            app["rotations_due"]
                .as_array()
                .is_some_and(|d| !d.is_empty())
        })
        .map(|app| app["app"].as_str().unwrap())
        .collect();
    due_apps.sort_unstable();
    assert_eq!(due_apps, ["c11-shop", "c12-shop", "c13-shop"]);
}
