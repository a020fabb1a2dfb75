//! Snapshots of what people read: `status` at 80 columns for a realistic vault, the tables,
//! JSON and main errors of the fixed vector vault, and every
//! command's `--help`. After changing a command's options, regenerate them with
//!
//!     INSTA_UPDATE=always cargo test --test cli snapshots::
//!
//! and review the diff of `tests/cli/snapshots/` before committing.

use crate::common;

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

/// alice owns shop, blog and mall, each with an AppSecret (shop also a pay key); bob, carol
/// and dave are members without roles yet.
fn three_apps(w: &World) -> Person {
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
    alice
}

/// The day the secrets were stored, read from the file.
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

/// Verifications, ICP filings, contacts, roles and a departure that give each app another
/// state on `as_of_date`.
fn mixed_health(w: &World, alice: &Person, as_of_date: time::Date) {
    w.ok(
        alice,
        &["policy", "set", "--max-age", "WECHAT_PAY_API_V3_KEY=20"],
    );
    w.ok(
        alice,
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
        alice,
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
    w.ok(alice, &["role", "grant", "bob", "shop", "developer"]);
    w.ok(alice, &["role", "grant", "carol", "shop", "tester"]);
    w.ok(alice, &["role", "grant", "carol", "mall", "operator"]);
    w.ok(
        alice,
        &[
            "app",
            "set",
            "blog",
            "--verified-until",
            &day(as_of_date, -9),
        ],
    );
    w.ok(alice, &["role", "grant", "dave", "blog", "developer"]);
    w.ok(alice, &["member", "remove", "dave", "--yes"]);
    w.ok(
        alice,
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
        alice,
        &["app", "contact", "mall", "--phone", "+86 21 5555 0100"],
    );
    w.ok(alice, &["role", "grant", "bob", "mall", "admin"]);
}

#[test]
fn status_of_a_realistic_vault_at_80_columns() {
    let w = World::new();
    let alice = three_apps(&w);
    // Judge 30 days after the secrets were stored.
    let stored = stored_on(&w);
    let as_of = day(stored, 30);
    let as_of_date = stored + time::Duration::days(30);
    mixed_health(&w, &alice, as_of_date);
    let out = w
        .cmd(&alice)
        .args(["status", "--as-of", &as_of])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(exit::BROKEN));
    let text = String::from_utf8(out.stdout).unwrap();
    for line in text.lines() {
        assert!(unicode_width::UnicodeWidthStr::width(line) <= 80, "{line}");
    }
    insta::assert_snapshot!("status-80-columns", redact(&text));
}

/// Every command's and subcommand's `--help`, so a change to what users read shows in review.
#[test]
fn every_help_page() {
    fn paths(cmd: &clap::Command, prefix: &[String], out: &mut Vec<Vec<String>>) {
        out.push(prefix.to_vec());
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            let mut path = prefix.to_vec();
            path.push(sub.get_name().to_string());
            paths(sub, &path, out);
        }
    }
    let mut all = Vec::new();
    paths(&mpvault::cli::Cli::command(), &[], &mut all);
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

// Tables, JSON and errors, pinned on the fixed format-3 vault of `tests/vectors`: its ids,
// keys, fingerprints and dates never change, so nothing but the temporary folder needs
// redacting. alice owns it; bob is a developer and carol a tester on shop; blog is empty.

fn vectors(format: u32) -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!("tests/vectors/format-{format}"))
}

/// The format-3 vault in a fresh project, read as the vector members.
struct Fixed {
    w: World,
}

impl Fixed {
    fn new() -> Self {
        let w = World::new();
        std::fs::copy(vectors(3).join("mpvault.json"), w.vault_path()).unwrap();
        Fixed { w }
    }

    fn run(&self, who: &str, args: &[&str]) -> std::process::Output {
        let person = self.w.stranger(who);
        self.w
            .cmd(&person)
            .arg("--identity")
            .arg(vectors(3).join(format!("{who}.key")))
            .args(args)
            .output()
            .unwrap()
    }

    /// Standard output of a command that succeeds.
    fn out(&self, who: &str, args: &[&str]) -> String {
        let out = self.run(who, args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.clean(&String::from_utf8(out.stdout).unwrap())
    }

    /// The exit code and standard error of a command that fails.
    fn err(&self, who: &str, args: &[&str]) -> String {
        let out = self.run(who, args);
        assert!(!out.status.success(), "{args:?} should fail");
        format!(
            "exit {}\n{}",
            out.status.code().unwrap_or(-1),
            self.clean(&String::from_utf8(out.stderr).unwrap())
        )
    }

    /// The temporary folder is the one thing that changes from run to run.
    fn clean(&self, text: &str) -> String {
        let root = self.w.project().parent().unwrap().to_path_buf();
        let real = std::fs::canonicalize(&root).unwrap();
        text.replace(&real.display().to_string(), "[TMP]")
            .replace(&root.display().to_string(), "[TMP]")
    }
}

/// Pins both the table and the `--json` of a read command.
fn both(f: &Fixed, who: &str, name: &str, args: &[&str]) {
    insta::assert_snapshot!(format!("{name}-table"), f.out(who, args));
    let mut json = args.to_vec();
    json.push("--json");
    let text = f.out(who, &json);
    serde_json::from_str::<serde_json::Value>(&text).expect("--json prints JSON");
    insta::assert_snapshot!(format!("{name}-json"), text);
}

#[test]
fn read_commands_tables_and_json() {
    let f = Fixed::new();
    both(&f, "alice", "app-list", &["app", "list"]);
    // carol (tester) sees the team level: the title, contacts and config, no secret value.
    both(&f, "carol", "app-show", &["app", "show", "shop"]);
    both(&f, "alice", "member-list", &["member", "list"]);
    both(&f, "alice", "roster", &["roster", "shop"]);
    both(&f, "alice", "history", &["history", "shop"]);
    both(
        &f,
        "alice",
        "history-one",
        &["history", "shop", "WECHAT_APPSECRET"],
    );
    both(&f, "alice", "policy", &["policy"]);
    both(&f, "alice", "trust", &["trust"]);
    insta::assert_snapshot!("identity-show", f.out("bob", &["identity", "show"]));
}

#[test]
fn status_plain_and_json() {
    let f = Fixed::new();
    for (name, args) in [
        ("status-overview", vec!["status", "--as-of", "2027-02-01"]),
        (
            "status-app",
            vec!["status", "shop", "--as-of", "2027-02-01"],
        ),
        (
            "status-json",
            vec!["status", "--as-of", "2027-02-01", "--json"],
        ),
    ] {
        let out = f.run("alice", &args);
        let text = format!(
            "exit {}\n{}",
            out.status.code().unwrap_or(-1),
            f.clean(&String::from_utf8(out.stdout).unwrap())
        );
        insta::assert_snapshot!(name, text);
    }
}

/// A history of three commits with fixed authors and dates: the format-2 vault, its adoption
/// as format 3, then a hand edit that makes carol an owner without a signature.
#[test]
fn audit_log_and_json() {
    let f = Fixed::new();
    let git = |args: &[&str]| {
        let status = git_command(&f.w.project(), &f.w.project(), "Alice")
            .args(args)
            .env("GIT_AUTHOR_EMAIL", "alice@example.com")
            .env("GIT_COMMITTER_EMAIL", "alice@example.com")
            .env("GIT_AUTHOR_DATE", "2026-11-28T03:00:00Z")
            .env("GIT_COMMITTER_DATE", "2026-11-28T03:00:00Z")
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    };
    git(&["init", "-q"]);
    let commit = |format: u32, message: &str| {
        std::fs::copy(vectors(format).join("mpvault.json"), f.w.vault_path()).unwrap();
        git(&["add", "mpvault.json"]);
        git(&["commit", "-q", "-m", message]);
    };
    commit(2, "vault with shop and blog");
    commit(3, "adopt format 3");
    edit(&f.w, |v| v["members"]["carol"]["owner"] = true.into());
    git(&["commit", "-q", "-am", "make carol an owner"]);
    for (name, json) in [("audit-log", false), ("audit-json", true)] {
        let mut args = vec!["audit"];
        if json {
            args.push("--json");
        }
        let out = f.run("alice", &args);
        let text = format!(
            "exit {}\n{}\n--- stderr\n{}",
            out.status.code().unwrap_or(-1),
            f.clean(&String::from_utf8(out.stdout).unwrap()),
            f.clean(&String::from_utf8(out.stderr).unwrap())
        );
        insta::assert_snapshot!(name, text);
    }
}

/// The main refusals: a snapshot name, who runs it, and the arguments.
const MAIN_ERRORS: &[(&str, &str, &[&str])] = &[
    ("unknown-app", "alice", &["app", "show", "shpo"]),
    (
        "unknown-member",
        "alice",
        &["role", "grant", "bobb", "shop", "developer"],
    ),
    (
        "bad-appid",
        "alice",
        &["app", "add", "news", "--appid", "wx12345"],
    ),
    (
        "bad-role",
        "alice",
        &["role", "grant", "bob", "shop", "devloper"],
    ),
    (
        "bad-level",
        "alice",
        &[
            "add-secret",
            "shop",
            "NEW_KEY",
            "--access",
            "everyone",
            "--stdin",
        ],
    ),
    (
        "bad-date",
        "alice",
        &["app", "set", "shop", "--verified-until", "2027-02-30"],
    ),
    ("bad-as-of", "alice", &["status", "--as-of", "tomorrow"]),
    (
        "bad-mode",
        "alice",
        &["config", "set", "shop", "A=1", "--mode", "local"],
    ),
    (
        "bad-max-age",
        "alice",
        &["policy", "set", "--max-age", "WECHAT_APPSECRET=forever"],
    ),
    (
        "secret-as-name",
        "alice",
        &[
            "add-secret",
            "shop",
            "0123456789abcdef0123456789abcdef",
            "--stdin",
        ],
    ),
    (
        "secret-in-argv",
        "alice",
        &[
            "add-secret",
            "shop",
            "--value",
            "0123456789abcdef0123456789abcdef",
        ],
    ),
    (
        "secret-as-config",
        "alice",
        &["config", "set", "shop", "WECHAT_PAY_SECRET=abc"],
    ),
    (
        "not-an-owner",
        "bob",
        &["app", "add", "news", "--appid", "wx00000000000000ee"],
    ),
    (
        "level-not-readable",
        "bob",
        &["get", "shop", "WECHAT_PAY_API_V3_KEY"],
    ),
    (
        "unknown-secret",
        "alice",
        &["get", "shop", "WECHAT_APPSECRT"],
    ),
    ("not-a-terminal", "alice", &["app", "remove", "blog"]),
];

/// The main refusals: what is wrong and what to do, on one line, with the exit code.
#[test]
fn main_errors() {
    let f = Fixed::new();
    // Pinned first, so the notes of a first look at the vault are not part of each error.
    f.out("alice", &["app", "list"]);
    f.out("bob", &["app", "list"]);
    for &(name, who, args) in MAIN_ERRORS {
        let before = f.w.vault_text();
        insta::assert_snapshot!(format!("error-{name}"), f.err(who, args));
        assert_eq!(f.w.vault_text(), before, "{args:?} changed the vault");
    }
}

#[test]
fn unsigned_vault_is_refused() {
    let f = Fixed::new();
    f.out("alice", &["app", "list"]);
    edit(&f.w, |v| {
        v.as_object_mut().unwrap().remove("signature");
    });
    insta::assert_snapshot!("error-unsigned-vault", f.err("alice", &["app", "list"]));
    let f = Fixed::new();
    f.out("bob", &["app", "list"]);
    edit(&f.w, |v| v["members"]["carol"]["owner"] = true.into());
    insta::assert_snapshot!("error-forged-roster", f.err("bob", &["app", "list"]));
}
