//! Snapshots of what people read: `status` at 80 columns for a realistic vault, and every
//! command's `--help`. After changing a command's options, regenerate them with
//!
//!     INSTA_UPDATE=always cargo test --test snapshots
//!
//! and review the diff of `tests/snapshots/` before committing.

mod common;

use clap::CommandFactory;
use common::*;

/// Dates and times change with the day the test runs; they are replaced by placeholders of
/// the same width, so the layout is still what the snapshot shows.
fn redact(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let digit = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_digit);
    let at = |i: usize, c: u8| bytes.get(i) == Some(&c);
    let mut i = 0;
    while i < bytes.len() {
        let date = (0..4).all(|k| digit(i + k))
            && at(i + 4, b'-')
            && digit(i + 5)
            && digit(i + 6)
            && at(i + 7, b'-')
            && digit(i + 8)
            && digit(i + 9);
        let clock = digit(i)
            && digit(i + 1)
            && at(i + 2, b':')
            && digit(i + 3)
            && digit(i + 4)
            && at(i + 5, b':')
            && digit(i + 6)
            && digit(i + 7);
        if date {
            out.extend_from_slice(b"YYYY-MM-DD");
            i += 10;
        } else if clock {
            out.extend_from_slice(b"hh:mm:ss");
            i += 8;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn day(date: time::Date, days: i64) -> String {
    (date + time::Duration::days(days)).to_string()
}

#[test]
fn status_of_a_realistic_vault_at_80_columns() {
    let w = World::new();
    let alice = w.owner_with_app();
    let people: Vec<Person> = ["bob", "carol", "dave"]
        .iter()
        .map(|n| w.person(n))
        .collect();
    for p in &people {
        let key = w.public_line(p);
        w.ok(&alice, &["member", "add", &p.name, "--key", &key]);
    }
    w.ok(
        &alice,
        &[
            "app",
            "add",
            "blog",
            "--appid",
            "wx00000000000000bb",
            "--title",
            "Blog",
        ],
    );
    w.ok(
        &alice,
        &[
            "app",
            "add",
            "mall",
            "--appid",
            "wx00000000000000cc",
            "--title",
            "Mall",
        ],
    );
    for app in ["shop", "blog", "mall"] {
        w.ok_stdin(&alice, &["add-secret", app, "--stdin"], APPSECRET);
    }
    w.ok_stdin(
        &alice,
        &["add-secret", "shop", "WECHAT_PAY_API_V3_KEY", "--stdin"],
        &"a1".repeat(16),
    );
    // Judge 30 days after the secrets were stored.
    let vault: serde_json::Value = serde_json::from_str(&w.vault_text()).unwrap();
    let set_at = vault["apps"]["shop"]["secrets"]["WECHAT_APPSECRET"]["versions"][0]["set_at"]
        .as_str()
        .unwrap()
        .to_string();
    let stored = time::Date::parse(
        &set_at[..10],
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .unwrap();
    let as_of = day(stored, 30);
    let as_of_date = stored + time::Duration::days(30);
    w.ok(
        &alice,
        &["policy", "set", "--max-age", "WECHAT_PAY_API_V3_KEY=20"],
    );
    w.ok(
        &alice,
        &[
            "app",
            "set",
            "shop",
            "--verified-until",
            &day(as_of_date, 20),
            "--icp",
            "粤ICP备12345678号-1X",
        ],
    );
    w.ok(
        &alice,
        &[
            "app",
            "contact",
            "shop",
            "--name",
            "Wang",
            "--wechat",
            "wxid_admin1",
        ],
    );
    w.ok(&alice, &["role", "grant", "bob", "shop", "developer"]);
    w.ok(&alice, &["role", "grant", "carol", "shop", "tester"]);
    w.ok(&alice, &["role", "grant", "carol", "mall", "operator"]);
    w.ok(
        &alice,
        &[
            "app",
            "set",
            "blog",
            "--verified-until",
            &day(as_of_date, -9),
        ],
    );
    w.ok(&alice, &["role", "grant", "dave", "blog", "developer"]);
    w.ok(&alice, &["member", "remove", "dave", "--yes"]);
    w.ok(
        &alice,
        &[
            "app",
            "set",
            "mall",
            "--verified-until",
            &day(as_of_date, 300),
            "--icp",
            "沪ICP备2020000000号-2",
        ],
    );
    w.ok(
        &alice,
        &["app", "contact", "mall", "--phone", "+86 21 5555 0100"],
    );
    w.ok(&alice, &["role", "grant", "bob", "mall", "admin"]);
    let out = w
        .cmd(&alice)
        .args(["status", "--as-of", &as_of])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(8));
    let text = String::from_utf8(out.stdout).unwrap();
    for line in text.lines() {
        assert!(unicode_width::UnicodeWidthStr::width(line) <= 80, "{line}");
    }
    insta::assert_snapshot!("status-80-columns", redact(&text));
}

/// Every command's and subcommand's `--help`, so a change to what users read shows in review.
#[test]
fn every_help_page() {
    fn paths(cmd: &clap::Command, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
        out.push(prefix.clone());
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            let mut path = prefix.clone();
            path.push(sub.get_name().to_string());
            paths(sub, path, out);
        }
    }
    let mut all = Vec::new();
    paths(&mpvault::cli::Cli::command(), Vec::new(), &mut all);
    let w = World::new();
    let nobody = w.stranger("nobody");
    for path in all {
        let out = w.cmd(&nobody).args(&path).arg("--help").output().unwrap();
        assert!(out.status.success(), "{path:?}");
        let name = if path.is_empty() {
            "mpvault".to_string()
        } else {
            format!("mpvault-{}", path.join("-"))
        };
        insta::assert_snapshot!(
            format!("help-{name}"),
            String::from_utf8(out.stdout).unwrap()
        );
    }
}

#[test]
fn redaction_keeps_widths() {
    assert_eq!(
        redact("on 2027-01-18 at 2026-11-29T17:05:09Z."),
        "on YYYY-MM-DD at YYYY-MM-DDThh:mm:ssZ."
    );
}
