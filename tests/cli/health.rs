//! `status` and `policy`: every flag with its exit code, the 80-column table, colour only on a
//! terminal, and health rules that only an owner can change.

use crate::common;

use common::*;
use unicode_width::UnicodeWidthStr;

/// A fixed day to judge by, so verification dates are exact.
const TODAY: &str = "2030-01-01";

/// An app with nothing due as of TODAY: verified for a year, ICP and a contact recorded, no
/// secrets (whose age depends on when the test runs).
fn healthy(w: &World) -> Person {
    let alice = w.owner_with_app();
    make_compliant(w, &alice, "2030-12-31");
    alice
}

/// Runs `status` as of TODAY; returns (exit code, stdout).
fn status(w: &World, who: &Person, extra: &[&str]) -> (i32, String) {
    let out = w
        .cmd(who)
        .args(["status", "--as-of", TODAY])
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

fn json_status(w: &World, who: &Person) -> (i32, serde_json::Value) {
    let (code, out) = status(w, who, &["--json"]);
    (code, serde_json::from_str(&out).unwrap())
}

fn problems(report: &serde_json::Value) -> Vec<String> {
    report["apps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["problems"].as_array().unwrap().clone())
        .map(|p| {
            format!(
                "{}: {}",
                p["severity"].as_str().unwrap(),
                p["what"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn a_healthy_vault_exits_0() {
    let w = World::new();
    let alice = healthy(&w);
    let (code, out) = status(&w, &alice, &[]);
    assert_eq!(code, exit::SUCCESS, "{out}");
    assert!(out.starts_with("All 1 app(s) are healthy."), "{out}");
    let (code, report) = json_status(&w, &alice);
    assert_eq!(code, exit::SUCCESS);
    assert_eq!(report["state"], "ok");
    assert_eq!(report["apps"][0]["verification_days_left"], 364);
    assert_eq!(report["apps"][0]["verification"], "ok");
}

#[test]
fn verification_twenty_days_out_is_due_and_exits_7() {
    let w = World::new();
    let alice = healthy(&w);
    w.ok(
        &alice,
        &["app", "set", "shop", "--verified-until", "2030-01-21"],
    );
    let (code, out) = status(&w, &alice, &[]);
    assert_eq!(code, exit::DUE, "{out}");
    assert!(out.contains("expires on 2030-01-21, in 20 days"), "{out}");
    assert!(
        out.contains("20d left") || out.contains("20 days left"),
        "{out}"
    );
    // Outside a narrower window it is not flagged.
    w.ok(&alice, &["policy", "set", "--verification-window", "10"]);
    assert_eq!(status(&w, &alice, &[]).0, 0);
}

#[test]
fn a_past_verification_is_broken_and_exits_8() {
    let w = World::new();
    let alice = healthy(&w);
    w.ok(
        &alice,
        &["app", "set", "shop", "--verified-until", "2029-12-23"],
    );
    let (code, report) = json_status(&w, &alice);
    assert_eq!(code, exit::BROKEN);
    assert_eq!(report["apps"][0]["state"], "broken");
    assert_eq!(
        problems(&report),
        ["broken: the verification (认证) expired on 2029-12-23, 9 days ago"]
    );
    let (_, out) = status(&w, &alice, &[]);
    assert!(out.contains("broken  shop: the verification"), "{out}");
}

#[test]
fn a_missing_icp_number_is_due_unless_the_policy_says_otherwise() {
    let w = World::new();
    let alice = w.owner_with_app();
    w.ok(
        &alice,
        &["app", "set", "shop", "--verified-until", "2030-12-31"],
    );
    w.ok(
        &alice,
        &["app", "contact", "shop", "--phone", "+86 138 0013 8000"],
    );
    let (code, report) = json_status(&w, &alice);
    assert_eq!(code, exit::DUE);
    assert_eq!(
        problems(&report),
        ["due: no ICP filing (备案) number is recorded"]
    );
    assert_eq!(report["apps"][0]["icp"], "missing");
    w.ok(&alice, &["policy", "set", "--icp-required", "false"]);
    assert_eq!(status(&w, &alice, &[]).0, 0);
}

#[test]
fn a_missing_verification_date_and_contact_are_due() {
    let w = World::new();
    let alice = w.owner_with_app();
    w.ok(
        &alice,
        &["app", "set", "shop", "--icp", "京ICP备00000000号"],
    );
    let (code, report) = json_status(&w, &alice);
    assert_eq!(code, exit::DUE);
    let found = problems(&report);
    assert!(
        found.contains(&"due: no verification (认证) expiry is recorded".to_string()),
        "{found:?}"
    );
    assert!(
        found.contains(&"due: no administrator contact is recorded".to_string()),
        "{found:?}"
    );
}

#[test]
fn an_appsecret_past_its_maximum_age_is_due() {
    let w = World::new();
    let alice = healthy(&w);
    w.ok_stdin(&alice, &["add-secret", "shop", "--stdin"], APPSECRET);
    // Judged 200 days after the day it was stored (read from the file, so a midnight between
    // storing and judging changes nothing), the AppSecret is past the default 180 days.
    let later = (stored_on(&w) + time::Duration::days(200)).to_string();
    w.ok(
        &alice,
        &["app", "set", "shop", "--verified-until", "2099-01-01"],
    );
    let out = w
        .cmd(&alice)
        .args(["status", "--as-of", &later, "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(exit::DUE));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let found = problems(&report);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("due: WECHAT_APPSECRET is 19"),
        "{found:?}"
    );
    assert!(
        found[0].ends_with("days old (the limit is 180)"),
        "{found:?}"
    );
    // A longer limit clears it; the rule is the vault's, not this machine's.
    w.ok(
        &alice,
        &["policy", "set", "--max-age", "WECHAT_APPSECRET=365"],
    );
    let out = w
        .cmd(&alice)
        .args(["status", "--as-of", &later])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn a_departure_makes_a_rotation_due_until_it_is_rotated() {
    let w = World::new();
    let alice = healthy(&w);
    w.ok_stdin(&alice, &["add-secret", "shop", "--stdin"], APPSECRET);
    w.ok(
        &alice,
        &["app", "set", "shop", "--verified-until", "2099-01-01"],
    );
    let bob = w.person("bob");
    w.join(&alice, &bob, &["developer"]);
    w.ok(&alice, &["member", "remove", "bob", "--yes"]);
    // The day the AppSecret was stored, from the file: the clock is not read again.
    let now = stored_on(&w).to_string();
    let out = w
        .cmd(&alice)
        .args(["status", "--as-of", &now, "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(exit::DUE));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let found = problems(&report);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("due: WECHAT_APPSECRET must be rotated: bob could read it"),
        "{found:?}"
    );
    // Timestamps have whole seconds, and a value set in the second someone left is due.
    next_second();
    w.ok_stdin(
        &alice,
        &["rotate-secret", "shop", "--stdin"],
        "fedcba9876543210fedcba9876543210",
    );
    let out = w
        .cmd(&alice)
        .args(["status", "--as-of", &now])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(exit::SUCCESS));
}

#[test]
fn a_member_without_a_key_is_named() {
    // A format-1 file whose developer key of shop is not wrapped to bob, a developer there.
    let w = World::new();
    let vectors = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/format-1");
    let mut vault: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(vectors.join("mpvault.json")).unwrap())
            .unwrap();
    let readers = vault["apps"]["shop"]["keys"]["developer"]["readers"]
        .as_array_mut()
        .unwrap();
    readers.retain(|r| r != "bob");
    std::fs::write(
        w.vault_path(),
        serde_json::to_string_pretty(&vault).unwrap(),
    )
    .unwrap();
    let nobody = w.stranger("nobody");
    let out = w.cmd(&nobody).args(["status", "--json"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(exit::DUE),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let found = problems(&report);
    assert!(
        found.contains(&"due: bob has no key to the developer level".to_string()),
        "{found:?}"
    );
    assert_eq!(
        report["vault_problems"][0]["what"],
        "the vault is in format 1, which is read-only until an owner adopts it"
    );
    // Issue 20: which facts are recorded shows without a key, so a reader without one judges
    // the same as the owner: this vault records no verification expiry at all.
    assert_eq!(report["apps"][0]["verification"], "missing");
}

#[test]
fn the_table_fits_80_columns_and_never_splits_an_appid() {
    let w = World::new();
    let alice = healthy(&w);
    for (name, appid) in [
        ("mall-flagship", "wx00000000000000aa"),
        ("blog", "wx00000000000000bb"),
    ] {
        w.ok(&alice, &["app", "add", name, "--appid", appid]);
    }
    let (code, out) = status(&w, &alice, &[]);
    assert_eq!(code, exit::DUE);
    for line in out.lines() {
        assert!(line.width() <= 80, "{} columns: {line}", line.width());
    }
    for appid in [APPID, "wx00000000000000aa", "wx00000000000000bb"] {
        assert!(out.contains(appid), "{appid} missing or split:\n{out}");
    }
    // Problems first: the summary and the problem lines come before the table.
    let table_at = out.find("APPID").unwrap();
    assert!(out.find("due     blog").unwrap() < table_at, "{out}");
    // Rows with problems first.
    let rows: Vec<&str> = out[table_at..].lines().skip(1).take(3).collect();
    assert!(rows[2].starts_with("shop "), "{rows:?}");
    // With room, the full dates and the ICP number are shown.
    let wide = w
        .cmd(&alice)
        .args(["status", "--as-of", TODAY])
        .env("COLUMNS", "200")
        .output()
        .unwrap();
    let wide = String::from_utf8(wide.stdout).unwrap();
    assert!(wide.contains("2030-12-31 (364 days left)"), "{wide}");
    assert!(wide.contains("沪ICP备2020000000号-1X"), "{wide}");
}

#[test]
fn colour_only_on_a_terminal_and_never_with_no_color() {
    let w = World::new();
    let alice = healthy(&w);
    w.ok(
        &alice,
        &["app", "set", "shop", "--verified-until", "2029-12-01"],
    );
    let (_, piped) = status(&w, &alice, &[]);
    assert!(!piped.contains('\x1b'), "colour in a pipe: {piped:?}");
    let out = w.at_terminal(&alice, &format!("status --as-of {TODAY}"), "", &[]);
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(screen.contains("\x1b[31mbroken"), "{screen:?}");
    let out = w.at_terminal(
        &alice,
        &format!("status --as-of {TODAY}"),
        "",
        &[("NO_COLOR", "1")],
    );
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(
        screen.contains("broken") && !screen.contains('\x1b'),
        "{screen:?}"
    );
}

#[test]
fn status_of_one_app_and_of_an_unknown_one() {
    let w = World::new();
    let alice = healthy(&w);
    let (code, out) = status(&w, &alice, &["shop"]);
    assert_eq!(code, exit::SUCCESS);
    assert!(
        out.contains("ICP filing    沪ICP备2020000000号-1X"),
        "{out}"
    );
    assert!(out.contains("Owners        alice"), "{out}");
    let (code, err) = w.fails(&alice, &["status", "shp"]);
    assert_eq!(code, exit::NOT_FOUND);
    assert!(err.contains("did you mean 'shop'?"), "{err}");
    let (code, err) = w.fails(&alice, &["status", "--as-of", "next week"]);
    assert_eq!(code, exit::USAGE);
    assert!(err.contains("is not a date"), "{err}");
}

#[test]
fn only_owners_change_the_policy_and_a_forged_change_is_refused() {
    let w = World::new();
    let alice = healthy(&w);
    let bob = w.person("bob");
    w.join(&alice, &bob, &["developer"]);
    let (code, err) = w.fails(
        &bob,
        &["policy", "set", "--max-age", "WECHAT_APPSECRET=off"],
    );
    assert_eq!(code, exit::DENIED, "{err}");
    assert!(
        err.contains("only a vault owner can change the health rules"),
        "{err}"
    );
    // bob edits the file instead: the rules are signed with the roster.
    let mut vault: serde_json::Value = serde_json::from_str(&w.vault_text()).unwrap();
    vault["rules"] =
        serde_json::json!({"max_age_days": {"WECHAT_APPSECRET": null}, "icp_required": false});
    std::fs::write(
        w.vault_path(),
        serde_json::to_string_pretty(&vault).unwrap(),
    )
    .unwrap();
    let (code, err) = w.fails(&bob, &["status"]);
    assert_eq!(code, exit::CORRUPT, "{err}");
    assert!(
        err.contains("the health rules changed but the change is not signed by an owner"),
        "{err}"
    );
}

#[test]
fn policy_shows_defaults_and_changes() {
    let w = World::new();
    let alice = w.owner_with_app();
    let shown = w.ok(&alice, &["policy"]);
    assert!(
        shown.contains("WECHAT_APPSECRET         180 days (default)"),
        "{shown}"
    );
    assert!(
        shown.contains("flagged 90 days before it expires (default)"),
        "{shown}"
    );
    let before = w.vault_text();
    assert!(
        !before.contains("\"rules\""),
        "default rules are not written"
    );
    let out = w
        .cmd(&alice)
        .args([
            "policy",
            "set",
            "--max-age",
            "WECHAT_PAY_API_V3_KEY=90",
            "--verification-window",
            "60",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let note = String::from_utf8(out.stderr).unwrap();
    assert!(
        note.contains("Changed the health rules: WECHAT_PAY_API_V3_KEY at most 90 days old, verification flagged 60 days ahead."),
        "{note}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&w.ok(&alice, &["policy", "--json"])).unwrap();
    assert_eq!(json["max_age_days"]["WECHAT_PAY_API_V3_KEY"], 90);
    assert_eq!(json["max_age_days"]["WECHAT_APPSECRET"], 180);
    assert_eq!(json["verification_window_days"], 60);
    for (bad, says) in [
        (
            &["policy", "set", "--max-age", "WECHAT_APPSECRET"][..],
            "is not NAME=DAYS",
        ),
        (
            &["policy", "set", "--max-age", "WECHAT_APPSECRET=0"],
            "is not NAME=DAYS",
        ),
        (&["policy", "set"], "nothing to change"),
    ] {
        let saved = w.vault_text();
        let (code, err) = w.fails(&alice, bad);
        assert_eq!(code, exit::USAGE, "{bad:?}: {err}");
        assert!(err.contains(says), "{bad:?}: {err}");
        assert_eq!(w.vault_text(), saved);
    }
    w.ok(&alice, &["policy", "reset"]);
    assert!(!w.vault_text().contains("\"rules\""));
}

#[test]
fn an_owners_signed_rule_change_is_accepted_by_the_others() {
    let w = World::new();
    let alice = healthy(&w);
    let bob = w.person("bob");
    w.join(&alice, &bob, &["developer"]);
    w.ok(&bob, &["app", "list"]);
    w.ok(
        &alice,
        &[
            "policy",
            "set",
            "--icp-required",
            "false",
            "--max-age",
            "WECHAT_APPSECRET=30",
        ],
    );
    let shown: serde_json::Value =
        serde_json::from_str(&w.ok(&bob, &["policy", "--json"])).unwrap();
    assert_eq!(shown["max_age_days"]["WECHAT_APPSECRET"], 30);
    assert_eq!(shown["icp_required"], false);
}

#[test]
fn impossible_rules_in_the_file_are_refused_without_a_panic() {
    // A format-1 (unsigned) file is read without a signature, so its rules are checked as they are.
    let vectors = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/format-1");
    let original: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(vectors.join("mpvault.json")).unwrap())
            .unwrap();
    for (rules, says) in [
        (
            serde_json::json!({"verification_window_days": u32::MAX}),
            "impossible verification window",
        ),
        (
            serde_json::json!({"max_age_days": {"WECHAT_APPSECRET": u32::MAX}}),
            "impossible maximum age",
        ),
        (
            serde_json::json!({"max_age_days": {"A\u{1b}[31mB": 1}}),
            "malformed secret",
        ),
        (serde_json::json!({"max_age_days": {"X": -1}}), "malformed"),
    ] {
        let w = World::new();
        let mut vault = original.clone();
        vault["rules"] = rules;
        std::fs::write(
            w.vault_path(),
            serde_json::to_string_pretty(&vault).unwrap(),
        )
        .unwrap();
        let nobody = w.stranger("nobody");
        let (code, err) = w.fails(&nobody, &["status"]);
        assert_eq!(code, exit::CORRUPT, "{err}");
        assert!(err.contains(says), "{err}");
        assert!(!err.contains('\x1b'), "{err:?}");
    }
}

#[test]
fn a_damaged_value_is_broken_and_named() {
    let w = World::new();
    let alice = healthy(&w);
    w.ok(
        &alice,
        &["config", "set", "shop", "API_BASE=https://api.example.com"],
    );
    // A line merge gone wrong: the title's ciphertext lands on the config value (the ICP
    // number, which this test moved before issue 20, is public now).
    let mut vault: serde_json::Value = serde_json::from_str(&w.vault_text()).unwrap();
    vault["apps"]["shop"]["config"]["API_BASE"] = vault["apps"]["shop"]["info"]["title"].clone();
    std::fs::write(
        w.vault_path(),
        serde_json::to_string_pretty(&vault).unwrap(),
    )
    .unwrap();
    let (code, report) = json_status(&w, &alice);
    assert_eq!(code, exit::BROKEN);
    assert_eq!(
        problems(&report),
        ["broken: the value at config/API_BASE of 'shop' does not carry a valid signature of 'alice', its stated writer"]
    );
}

/// The day shop's newest AppSecret was stored, read from the file.
fn stored_on(w: &World) -> time::Date {
    let vault: serde_json::Value = serde_json::from_str(&w.vault_text()).unwrap();
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
