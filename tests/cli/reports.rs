//! The weekly review without a script: `status --within DAYS`, default age limits for the
//! upload key and WeChat Pay keys, an app's own verification window (a signed rule), a JSON
//! shape of plain words, and markdown for chat (issue 25, item 8).

use crate::common;

use common::{edit, exit, refused_as, World, APPSECRET, PEM};
use serde_json::Value;

const PAY_V3: &str = "Abcdefghijklmnopqrstuvwxyz012345";

/// The day shop's AppSecret was stored, read from the file (so a midnight between storing and
/// judging changes nothing).
fn stored_on(w: &World) -> time::Date {
    let vault: Value = serde_json::from_str(&w.vault_text()).unwrap();
    let set_at = vault["apps"]["shop"]["secrets"]["WECHAT_APPSECRET"]["versions"][0]["set_at"]
        .as_str()
        .unwrap()
        .to_string();
    time::Date::parse(
        &set_at[..10],
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .unwrap()
}

fn day(date: time::Date, plus: i64) -> String {
    (date + time::Duration::days(plus)).to_string()
}

/// alice's shop with an AppSecret, an upload key and a Pay key, its ICP number and contact
/// recorded; its verification expires `expires_after` days after the secrets were stored.
fn shop(w: &World, expires_after: i64) -> (common::Person, time::Date) {
    let alice = w.owner_with_app();
    w.ok_stdin(&alice, &["add-secret", "shop", "--stdin"], APPSECRET);
    w.ok_stdin(
        &alice,
        &["add-secret", "shop", "WECHAT_UPLOAD_KEY", "--stdin"],
        PEM,
    );
    w.ok_stdin(
        &alice,
        &["add-secret", "shop", "WECHAT_PAY_API_V3_KEY", "--stdin"],
        PAY_V3,
    );
    let stored = stored_on(w);
    w.ok(
        &alice,
        &[
            "app",
            "set",
            "shop",
            "--icp",
            "沪ICP备2020000000号-1X",
            "--verified-until",
            &day(stored, expires_after),
        ],
    );
    w.ok(
        &alice,
        &["app", "contact", "shop", "--wechat", "wxid_admin1"],
    );
    (alice, stored)
}

fn status_json(w: &World, who: &common::Person, args: &[&str]) -> (i32, Value) {
    let out = w
        .cmd(who)
        .arg("status")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        serde_json::from_slice(&out.stdout).unwrap(),
    )
}

fn problems(report: &Value) -> Vec<String> {
    report["apps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["problems"].as_array().unwrap().clone())
        .map(|p| p["what"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn within_60_shows_what_falls_due_in_60_days_and_not_the_rest_of_the_window() {
    let w = World::new();
    // As of the 151st day after storing (150 whole days after): the AppSecret (limit 180)
    // falls due in 31 days; the verification expires in 80 days, inside the default 90-day
    // window, not inside 60.
    let (alice, stored) = shop(&w, 231);
    let as_of = day(stored, 151);
    let (code, plain) = status_json(&w, &alice, &["--as-of", &as_of]);
    assert_eq!(code, exit::DUE);
    assert_eq!(
        problems(&plain),
        ["the verification (认证) expires on ".to_string() + &day(stored, 231) + ", in 80 days"]
    );
    let (code, report) = status_json(&w, &alice, &["--as-of", &as_of, "--within", "60"]);
    assert_eq!(code, exit::DUE);
    assert_eq!(
        problems(&report),
        ["WECHAT_APPSECRET is 150 days old and reaches its limit of 180 in 31 days"]
    );
    let shop = &report["apps"][0];
    assert_eq!(shop["verification"], "ok");
    assert_eq!(shop["verification_window_days"], 60);
    // Within 20 days nothing falls due.
    let (code, _) = status_json(&w, &alice, &["--as-of", &as_of, "--within", "20"]);
    assert_eq!(code, 0);
}

#[test]
fn within_keeps_what_is_already_due() {
    let w = World::new();
    let (alice, stored) = shop(&w, 3000);
    let bob = w.person("bob");
    w.join(&alice, &bob, &["developer"]);
    w.ok(&alice, &["member", "remove", "bob", "--yes"]);
    let (code, report) = status_json(&w, &alice, &["--as-of", &day(stored, 1), "--within", "0"]);
    assert_eq!(code, exit::DUE);
    let found = problems(&report);
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("WECHAT_APPSECRET must be rotated: bob")),
        "{found:?}"
    );
}

#[test]
fn the_upload_key_and_pay_keys_have_a_default_age_limit_of_a_year() {
    let w = World::new();
    let (alice, stored) = shop(&w, 3000);
    w.ok(
        &alice,
        &["policy", "set", "--max-age", "WECHAT_APPSECRET=off"],
    );
    let (code, report) = status_json(&w, &alice, &["--as-of", &day(stored, 401)]);
    assert_eq!(code, exit::DUE);
    let mut found = problems(&report);
    found.sort();
    assert_eq!(
        found,
        [
            "WECHAT_PAY_API_V3_KEY is 400 days old (the limit is 365)",
            "WECHAT_UPLOAD_KEY is 400 days old (the limit is 365)",
        ]
    );
    // An owner can lift a default like any rule.
    w.ok(
        &alice,
        &["policy", "set", "--max-age", "WECHAT_UPLOAD_KEY=off"],
    );
    let (_, report) = status_json(&w, &alice, &["--as-of", &day(stored, 401)]);
    assert_eq!(
        problems(&report),
        ["WECHAT_PAY_API_V3_KEY is 400 days old (the limit is 365)"]
    );
}

#[test]
fn an_apps_own_verification_window_overrides_the_vaults() {
    let w = World::new();
    let (alice, stored) = shop(&w, 60);
    let as_of = day(stored, 0);
    let (code, _) = status_json(&w, &alice, &["--as-of", &as_of]);
    assert_eq!(code, exit::DUE, "60 days out is inside the default 90");
    w.ok(&alice, &["policy", "set", "--app-window", "shop=30"]);
    let (code, report) = status_json(&w, &alice, &["--as-of", &as_of]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["apps"][0]["verification_window_days"], 30);
    let policy = w.ok(&alice, &["policy"]);
    assert!(policy.contains("for shop: 30 days before"), "{policy}");
    // The window goes with the app when it is renamed.
    w.ok(&alice, &["app", "rename", "shop", "store", "--yes"]);
    let (code, _) = status_json(&w, &alice, &["--as-of", &as_of]);
    assert_eq!(code, 0);
    w.ok(&alice, &["policy", "set", "--app-window", "store=default"]);
    let (code, _) = status_json(&w, &alice, &["--as-of", &as_of]);
    assert_eq!(code, exit::DUE);
}

#[test]
fn only_an_owner_sets_an_apps_window() {
    let w = World::new();
    let (alice, _) = shop(&w, 60);
    let bob = w.person("bob");
    w.join(&alice, &bob, &["admin"]);
    refused_as(
        &w,
        &bob,
        &["policy", "set", "--app-window", "shop=1"],
        exit::DENIED,
        "change the health rules",
    );
}

/// An attacker with push access shrinks shop's window so an expiry goes unflagged: the rules
/// are signed with the policy, so the file is refused like a forged roster.
#[test]
fn a_forged_app_window_is_refused() {
    let w = World::new();
    let (alice, stored) = shop(&w, 60);
    edit(&w, |v| {
        v["rules"]["app_verification_window_days"] = serde_json::json!({"shop": 0});
    });
    let (code, err) = w.fails(&alice, &["status", "--as-of", &day(stored, 0)]);
    assert_eq!(code, exit::CORRUPT, "{err}");
    assert!(err.contains("the health rules changed"), "{err}");
}

#[test]
fn the_json_shape_is_plain_words() {
    let w = World::new();
    let (alice, stored) = shop(&w, 300);
    let (_, report) = status_json(&w, &alice, &["--as-of", &day(stored, 0)]);
    let shop = &report["apps"][0];
    assert_eq!(shop["admin_contact"], "recorded");
    assert_eq!(shop["icp"], "recorded");
    assert_eq!(shop["icp_number"], "沪ICP备2020000000号-1X");
    assert_eq!(shop["verification"], "ok");
    assert_eq!(shop["verification_days_left"], 300);
    w.ok(&alice, &["app", "contact", "shop", "--wechat", ""]);
    let (_, report) = status_json(&w, &alice, &["--as-of", &day(stored, 0)]);
    assert_eq!(report["apps"][0]["admin_contact"], "missing");
    // Which contact fields are set shows without a key: a runner who cannot read them judges
    // the same.
    let carol = w.person("carol");
    w.join(&alice, &carol, &[]);
    let (_, report) = status_json(&w, &carol, &["--as-of", &day(stored, 0)]);
    assert_eq!(report["apps"][0]["admin_contact"], "missing");
}

#[test]
fn markdown_status_pastes_into_chat() {
    let w = World::new();
    let (alice, stored) = shop(&w, 60);
    let out = w
        .cmd(&alice)
        .args(["status", "--format", "markdown", "--as-of", &day(stored, 0)])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(exit::DUE));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains(['│', '─', '┌', '╞']), "{text}");
    assert!(
        text.contains("- due **shop**: the verification (认证) expires"),
        "{text}"
    );
    assert!(
        text.contains("- **shop** `wx0123456789abcdef` due:"),
        "{text}"
    );
}
