//! Hardening: what a hostile file, a careless argument or a curious child process can do.
//! Each test is the attack, through the real binary (docs/security.md, "Trust: what a hostile
//! push cannot do").

use crate::common;

use std::io::Read;
use std::process::Stdio;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use common::*;
use serde_json::Value;

const PAY_KEY: &str = "Zq8xW3rT5yU7iO9pA1sD3fG5hJ7kL9zX";

/// alice (owner), bob (developer) on shop; an AppSecret, an admin-level WeChat Pay key and a
/// config value. Both have opened the vault once, so both have pinned alice.
fn team(w: &World) -> (Person, Person) {
    let alice = w.owner_with_app();
    let bob = w.person("bob");
    w.join(&alice, &bob, &["developer"]);
    w.ok_stdin(&alice, &["add-secret", "shop", "--stdin"], APPSECRET);
    w.ok_stdin(
        &alice,
        &["add-secret", "shop", "WECHAT_PAY_API_V3_KEY", "--stdin"],
        PAY_KEY,
    );
    w.ok(&alice, &["config", "set", "shop", "GREETING=hello"]);
    w.ok(&bob, &["app", "list"]);
    (alice, bob)
}

fn edit(w: &World, change: impl FnOnce(&mut Value)) {
    let mut vault: Value = serde_json::from_str(&w.vault_text()).unwrap();
    change(&mut vault);
    std::fs::write(
        w.vault_path(),
        serde_json::to_string_pretty(&vault).unwrap() + "\n",
    )
    .unwrap();
}

/// Runs mpvault and waits for it at most `limit`; a command still running then is killed
/// and the test fails (it would have hung). Returns (exit code, stdout, stderr).
fn bounded(w: &World, who: &Person, args: &[&str], limit: Duration) -> (i32, String, String) {
    let mut child = w
        .std_cmd(who)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > limit {
            child.kill().unwrap();
            panic!("mpvault {args:?} was still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut out = String::new();
    let mut err = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (status.code().unwrap_or(-1), out, err)
}

fn one_sentence(err: &str) {
    assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err}");
    assert!(
        err.starts_with("mpvault: ") && err.trim_end().ends_with('.'),
        "not one sentence: {err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

/// Copies the first recipient stanza of a wrapped data key `copies` times.
fn inflate(wrapped: &str, copies: usize) -> String {
    let bytes = B64.decode(wrapped).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    let first = text.find("\n-> ").unwrap() + 1;
    let end = first
        + text[first..]
            .find("\n-> ")
            .or(text[first..].find("\n--- "))
            .unwrap()
        + 1;
    let mut out = bytes[..first].to_vec();
    for _ in 0..copies {
        out.extend_from_slice(&bytes[first..end]);
    }
    out.extend_from_slice(&bytes[first..]);
    B64.encode(out)
}

// ------------------------------------------------------------ 1. bounded work ---

fn inflate_developer_key(w: &World, copies: usize) {
    edit(w, |v| {
        let key = &mut v["apps"]["shop"]["keys"]["developer"]["wrapped"];
        *key = inflate(key.as_str().unwrap(), copies).into();
    });
}

#[test]
fn a_wrapped_key_inflated_to_800_recipients_is_refused_before_age_reads_it() {
    let w = World::new();
    let (_alice, bob) = team(&w);
    inflate_developer_key(&w, 800);
    let before = w.vault_text();
    let (code, _, err) = bounded(
        &w,
        &bob,
        &["get", "shop", "WECHAT_APPSECRET"],
        Duration::from_secs(120),
    );
    assert_eq!(code, exit::CORRUPT, "{err}");
    assert!(err.contains("recipients"), "{err}");
    one_sentence(&err);
    assert_eq!(w.vault_text(), before);
}

/// Recipients are counted for the key a command opens, so an inflated key stops the commands
/// that need it and leaves the rest of the vault usable.
#[test]
fn an_inflated_key_is_refused_where_it_is_opened_and_nowhere_else() {
    let w = World::new();
    let (alice, bob) = team(&w);
    inflate_developer_key(&w, 800);
    let before = w.vault_text();
    w.ok(&alice, &["app", "list"]);
    // The team-level key is not the inflated one.
    assert!(w.ok(&bob, &["export", "shop"]).contains("GREETING=hello"));
    let (code, _, err) = bounded(
        &w,
        &alice,
        &["get", "shop", "WECHAT_APPSECRET"],
        Duration::from_secs(120),
    );
    assert_eq!(code, exit::CORRUPT, "{err}");
    assert!(err.contains("developer data key of app 'shop'"), "{err}");
    assert_eq!(w.vault_text(), before);
}

#[test]
fn a_file_over_the_size_limit_is_refused() {
    let w = World::new();
    let (alice, _) = team(&w);
    let mut text = w.vault_text();
    text.push_str(&" ".repeat(mpvault::vault::limits::MAX_FILE_BYTES));
    std::fs::write(w.vault_path(), &text).unwrap();
    let (code, _, err) = bounded(&w, &alice, &["app", "list"], Duration::from_secs(60));
    assert_eq!(code, exit::CORRUPT, "{err}");
    assert!(err.contains("larger than"), "{err}");
    one_sentence(&err);
}

/// Files of exactly the maximum size, each built to make the reader work as hard as a
/// hostile writer can: every one ends in a clear error.
#[test]
fn hostile_files_of_the_maximum_size_end_in_a_clear_error() {
    let w = World::new();
    let (alice, bob) = team(&w);
    let pristine = w.vault_text();
    let max = mpvault::vault::limits::MAX_FILE_BYTES;
    let room = max - pristine.len() - 64;
    let wrapped = serde_json::from_str::<Value>(&pristine).unwrap()["apps"]["shop"]["keys"]
        ["developer"]["wrapped"]
        .as_str()
        .unwrap()
        .to_string();
    // Bytes of one stanza, and how many copies fit in one JSON string once base64-encoded.
    let decoded = |b64: &str| B64.decode(b64).unwrap().len();
    let stanza = decoded(&inflate(&wrapped, 1)) - decoded(&wrapped);
    let copies =
        (mpvault::vault::limits::MAX_STRING_BYTES / 4 * 3 - decoded(&wrapped)) / stanza - 2;
    let attacks: Vec<(&str, String)> = vec![
        (
            "is too long",
            pristine.replacen('{', &format!("{{\"extra\": \"{}\",", "x".repeat(room)), 1),
        ),
        (
            "nested",
            pristine.replacen(
                '{',
                &format!(
                    "{{\"extra\": {}{},",
                    "[".repeat(room / 2),
                    "]".repeat(room / 2)
                ),
                1,
            ),
        ),
        (
            "recipients",
            // As many stanzas as one JSON string may hold.
            pristine.replacen(&wrapped, &inflate(&wrapped, copies), 1),
        ),
    ];
    for (says, mut text) in attacks {
        assert!(text.len() <= max, "{says}: {} > {max}", text.len());
        text.push_str(&" ".repeat(max - text.len()));
        std::fs::write(w.vault_path(), &text).unwrap();
        for who in [&alice, &bob] {
            let (code, _, err) = bounded(
                &w,
                who,
                &["get", "shop", "WECHAT_APPSECRET"],
                Duration::from_secs(120),
            );
            assert_eq!(code, exit::CORRUPT, "{says}: {err}");
            assert!(err.contains(says), "{says}: {err}");
            one_sentence(&err);
        }
    }
}

/// The bounds hold for writes too: a change that would leave a vault past them is refused,
/// so mpvault never writes a file it then refuses to read.
#[test]
fn a_write_past_the_bounds_is_refused_and_the_vault_stays_readable() {
    let w = World::new();
    let (alice, _) = team(&w);
    let before = w.vault_text();
    let pairs: Vec<String> = (0..=mpvault::vault::limits::MAX_ENTRIES)
        .map(|i| format!("K{i}=v"))
        .collect();
    let mut args = vec!["config", "set", "shop"];
    args.extend(pairs.iter().map(String::as_str));
    let (code, err) = w.fails(&alice, &args);
    assert_eq!(code, exit::USAGE, "{err}");
    assert!(
        err.contains("would leave a vault mpvault refuses to read"),
        "{err}"
    );
    one_sentence(&err);
    assert_eq!(w.vault_text(), before);
    w.ok(&alice, &["app", "list"]);
}

#[test]
fn deep_nesting_is_refused_with_a_clear_error() {
    let w = World::new();
    let (alice, _) = team(&w);
    let text = w.vault_text();
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let text = text.replacen('{', &format!("{{\n  \"deep\": {deep},"), 1);
    std::fs::write(w.vault_path(), text).unwrap();
    let (code, _, err) = bounded(&w, &alice, &["status"], Duration::from_secs(60));
    assert_eq!(code, exit::CORRUPT, "{err}");
    assert!(err.contains("nested"), "{err}");
    one_sentence(&err);
}

// ------------------------------------------------------------ 2. the child's environment ---

#[test]
fn run_does_not_hand_mpvaults_own_variables_to_the_child() {
    let w = World::new();
    let (_alice, bob) = team(&w);
    let key = std::fs::read_to_string(bob.home.join(".config/mpvault/identity.txt")).unwrap();
    // Move bob's identity away so only the variables can open the vault.
    std::fs::rename(
        bob.home.join(".config/mpvault/identity.txt"),
        bob.home.join("elsewhere.txt"),
    )
    .unwrap();
    let out = succeeded(
        w.cmd(&bob)
            .env("MPVAULT_IDENTITY", &key)
            .env("MPVAULT_PASSPHRASE", "correct horse")
            .env("MPVAULT_IDENTITY_FILE", bob.home.join("elsewhere.txt"))
            .env("MPVAULT_VAULT", w.vault_path())
            .env("MPVAULT_WECHAT_API", "http://127.0.0.1:9")
            .args(["run", "shop", "--include-secrets", "--", "env"])
            .output()
            .unwrap(),
    );
    let env = String::from_utf8(out.stdout).unwrap();
    assert!(
        env.contains(&format!("WECHAT_APPSECRET={APPSECRET}")),
        "{env}"
    );
    assert!(!env.contains("MPVAULT_"), "the child saw: {env}");
    assert!(!env.contains("AGE-SECRET-KEY"), "the child saw the key");
    assert!(!env.contains("correct horse"));
}

const STARTUP_NAMES: [&str; 14] = [
    "PATH",
    "LD_PRELOAD",
    "LD_LIBRARY_PATH",
    "DYLD_INSERT_LIBRARIES",
    "BASH_ENV",
    "ENV",
    "NODE_OPTIONS",
    "PYTHONPATH",
    "PYTHONSTARTUP",
    "PERL5OPT",
    "RUBYOPT",
    "GIT_SSH_COMMAND",
    "MPVAULT_IDENTITY",
    "npm_config_node_options",
];

#[test]
fn config_set_refuses_names_that_take_over_how_programs_start() {
    let w = World::new();
    let (alice, _) = team(&w);
    let before = w.vault_text();
    for name in STARTUP_NAMES {
        let (code, err) = w.fails(
            &alice,
            &["config", "set", "shop", &format!("{name}=/tmp/x")],
        );
        assert_eq!(code, exit::USAGE, "{name}: {err}");
        assert!(
            err.contains(name) && err.contains("because"),
            "{name}: {err}"
        );
        one_sentence(&err);
        // With a value given, so that only the name can be what is refused.
        let (code, err) = run_stdin(
            &w,
            &alice,
            &["add-secret", "shop", name, "--stdin"],
            "a-value-of-32-characters-or-so-x",
        );
        assert_eq!(code, exit::USAGE, "{name}: {err}");
        assert!(
            err.contains(name) && err.contains("because"),
            "{name}: {err}"
        );
        assert!(
            !err.contains("a-value-of"),
            "{name}: the value was echoed: {err}"
        );
        one_sentence(&err);
    }
    assert_eq!(w.vault_text(), before);
}

#[test]
fn run_and_export_skip_startup_names_that_a_hostile_file_carries() {
    let w = World::new();
    let (_alice, bob) = team(&w);
    // A hostile writer renames a config value; its ciphertext no longer opens there, so the
    // name must be refused before anything is decrypted.
    edit(&w, |v| {
        let config = v["apps"]["shop"]["config"].as_object_mut().unwrap();
        let greeting = config.remove("GREETING").unwrap();
        config.insert("BASH_ENV".into(), greeting.clone());
        config.insert("LD_PRELOAD".into(), greeting);
    });
    let out = w
        .cmd(&bob)
        .args(["run", "shop", "--", "env"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let env = String::from_utf8_lossy(&out.stdout);
    assert!(
        !env.contains("BASH_ENV=") && !env.contains("LD_PRELOAD="),
        "{env}"
    );
    assert!(env.contains(&format!("WECHAT_APPID={APPID}")));
    assert!(
        err.contains("BASH_ENV") && err.contains("LD_PRELOAD"),
        "{err}"
    );
    let out = w.cmd(&bob).args(["export", "shop"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("BASH_ENV"));
    assert!(err.contains("BASH_ENV") && err.contains("skipped"), "{err}");
}

// ------------------------------------------------------------ 3. output paths ---

#[test]
fn export_never_writes_through_a_symlink_in_any_format() {
    let w = World::new();
    let (_alice, bob) = team(&w);
    let outside = w.path("../victim.txt");
    for format in ["dotenv", "json", "shell", "github"] {
        std::fs::write(&outside, "keep me\n").unwrap();
        let link = w.path(&format!("link-{format}"));
        std::os::unix::fs::symlink(&outside, &link).unwrap();
        for force in [false, true] {
            let mut args = vec![
                "export",
                "shop",
                "--include-secrets",
                "--format",
                format,
                "-o",
                link.to_str().unwrap(),
            ];
            if force {
                args.push("--force");
            }
            let (code, err) = w.fails(&bob, &args);
            assert_eq!(code, exit::USAGE, "{format}: {err}");
            assert!(err.contains("symbolic link"), "{format}: {err}");
            one_sentence(&err);
            assert!(!err.contains(APPSECRET));
            assert_eq!(std::fs::read_to_string(&outside).unwrap(), "keep me\n");
            assert!(link.symlink_metadata().unwrap().file_type().is_symlink());
        }
    }
    // A dangling link is not followed to create its target either.
    let link = w.path("dangling");
    std::os::unix::fs::symlink(w.path("../created-through-link"), &link).unwrap();
    let (code, err) = w.fails(
        &bob,
        &[
            "export",
            "shop",
            "--include-secrets",
            "--format",
            "github",
            "-o",
            "dangling",
        ],
    );
    assert_eq!(code, exit::USAGE, "{err}");
    assert!(!w.path("../created-through-link").exists());
}

#[test]
fn github_export_goes_through_the_git_guard_and_appends_privately() {
    let w = World::new();
    let (_alice, bob) = team(&w);
    w.git(&["init", "-q"]);
    let (code, err) = w.fails(
        &bob,
        &[
            "export",
            "shop",
            "--include-secrets",
            "--format",
            "github",
            "-o",
            "env.txt",
        ],
    );
    assert_eq!(code, exit::USAGE, "{err}");
    assert!(err.contains("not ignored by git"), "{err}");
    assert!(!w.path("env.txt").exists());
    std::fs::write(w.path(".gitignore"), "env.txt\n").unwrap();
    for _ in 0..2 {
        w.ok(
            &bob,
            &[
                "export",
                "shop",
                "--include-secrets",
                "--format",
                "github",
                "-o",
                "env.txt",
            ],
        );
    }
    let text = std::fs::read_to_string(w.path("env.txt")).unwrap();
    assert_eq!(
        text.matches("WECHAT_APPSECRET<<").count(),
        2,
        "appended twice"
    );
    assert_eq!(mode(&w.path("env.txt")), 0o600);
}

// ------------------------------------------------------------ 4. no echo from argv ---

#[test]
fn arguments_meant_as_secrets_are_never_echoed() {
    let w = World::new();
    let (alice, _) = team(&w);
    let before = w.vault_text();
    let value = "9f8e7d6c5b4a39281706f5e4d3c2b1a0";
    let b64 = "dGhpcyBpcyBhIHNlY3JldCB2YWx1ZSBwYXN0ZWQgYnkgbWlzdGFrZQ";
    let pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----";
    let attempts: Vec<Vec<String>> = vec![
        vec![
            "add-secret".into(),
            "shop".into(),
            "WECHAT_APPSECRET".into(),
            value.into(),
        ],
        vec![
            "add-secret".into(),
            "shop".into(),
            format!("WECHAT_APPSECRET={value}"),
        ],
        vec!["add-secret".into(), "shop".into(), value.into()],
        vec!["add-secret".into(), "shop".into(), b64.into()],
        vec!["add-secret".into(), "shop".into(), pem.into()],
        vec!["rotate-secret".into(), "shop".into(), value.into()],
        vec![
            "rotate-secret".into(),
            "shop".into(),
            "WECHAT_APPSECRET".into(),
            value.into(),
        ],
        vec!["rotate-secret".into(), "shop".into(), format!("a{value}")],
        vec!["rotate-secret".into(), "shop".into(), b64.into()],
        vec![
            "rotate-secret".into(),
            "shop".into(),
            "--value".into(),
            value.into(),
        ],
        vec![
            "rotate-secret".into(),
            "shop".into(),
            format!("--value={value}"),
        ],
        vec![
            "config".into(),
            "set".into(),
            "shop".into(),
            "A=1".into(),
            value.into(),
        ],
        vec![
            "config".into(),
            "set".into(),
            "shop".into(),
            "--secret".into(),
            value.into(),
        ],
        vec!["get".into(), "shop".into(), format!("a{value}")],
        vec![
            "get".into(),
            "shop".into(),
            "WECHAT_APPSECRET".into(),
            value.into(),
        ],
        vec!["remove-secret".into(), "shop".into(), format!("a{value}")],
    ];
    for args in attempts {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, err) = w.fails(&alice, &args);
        assert!(
            code == exit::USAGE || code == exit::NOT_FOUND,
            "{args:?}: {code} {err}"
        );
        for needle in [value, b64, "MIIEvQIBADANBg"] {
            assert!(!err.contains(needle), "{args:?} echoed it: {err}");
        }
        one_sentence(&err);
        if args[0] != "get" && args[0] != "remove-secret" {
            assert!(err.contains("--stdin"), "{args:?}: {err}");
        }
    }
    assert_eq!(w.vault_text(), before);
}

// ------------------------------------------------------------ 5. safe display ---

#[test]
fn control_characters_from_the_file_never_reach_the_terminal_raw() {
    let w = World::new();
    let (alice, bob) = team(&w);
    let evil = "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}31m";
    // A team member can store any text as a config value; others display it.
    w.ok(
        &alice,
        &["config", "set", "shop", &format!("BANNER={evil}")],
    );
    for args in [
        &["app", "show", "shop"][..],
        &["app", "show", "shop", "--json"],
        &["status"],
        &["status", "--json"],
        &["history", "shop"],
        &["member", "list"],
    ] {
        let out = w.cmd(&bob).args(args).output().unwrap();
        // `status` exits DUE when something is due (here the verification date and ICP).
        assert!(
            out.status.success() || (args[0] == "status" && out.status.code() == Some(exit::DUE)),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let all = [out.stdout, out.stderr].concat();
        let text = String::from_utf8_lossy(&all);
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}') && !text.contains('\u{9b}'),
            "{args:?} printed a raw control character: {text:?}"
        );
    }
    let out = w.cmd(&bob).args(["app", "show", "shop"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("pwned"));
    // An argument echoed in an error is escaped too.
    let (_, err) = w.fails(&bob, &["get", "shop", &format!("X{evil}")]);
    assert!(!err.contains('\u{1b}') && !err.contains('\u{7}'), "{err:?}");
    one_sentence(&err);
}

#[test]
fn names_from_the_file_are_validated_on_load() {
    type Edit = Box<dyn Fn(&mut Value)>;
    let w = World::new();
    let (_alice, bob) = team(&w);
    let pristine = w.vault_text();
    let edits: Vec<(&str, Edit)> = vec![
        (
            "secret name",
            Box::new(|v| {
                let s = v["apps"]["shop"]["secrets"].as_object_mut().unwrap();
                let x = s.remove("WECHAT_APPSECRET").unwrap();
                s.insert("A\u{1b}[2JB".into(), x);
            }),
        ),
        (
            "config name",
            Box::new(|v| {
                let c = v["apps"]["shop"]["config"].as_object_mut().unwrap();
                let x = c.remove("GREETING").unwrap();
                c.insert("GREETING\nFAKE=1".into(), x);
            }),
        ),
        (
            "set_by",
            Box::new(|v| {
                v["apps"]["shop"]["secrets"]["WECHAT_APPSECRET"]["versions"][0]["set_by"] =
                    "alice\u{1b}[2K\rmallory".into();
            }),
        ),
        (
            "departure",
            Box::new(|v| {
                v["departures"] = serde_json::json!([{
                    "handle": "bob\u{1b}]0;pwned\u{7}", "key": "k", "kind": "removed",
                    "at": "2026-01-01T00:00:00Z", "by": "alice", "revision": 1, "lost": []
                }]);
            }),
        ),
        (
            "timestamp",
            Box::new(|v| {
                v["apps"]["shop"]["secrets"]["WECHAT_APPSECRET"]["versions"][0]["set_at"] =
                    "2026\u{7}".into();
            }),
        ),
    ];
    for (what, edit_it) in edits {
        let mut v: Value = serde_json::from_str(&pristine).unwrap();
        edit_it(&mut v);
        std::fs::write(w.vault_path(), serde_json::to_string_pretty(&v).unwrap()).unwrap();
        let (code, err) = w.fails(&bob, &["history", "shop"]);
        assert_eq!(code, exit::CORRUPT, "{what}: {err}");
        assert!(err.contains(what), "{what}: {err}");
        assert!(
            !err.contains('\u{1b}') && !err.contains('\u{7}'),
            "{what}: {err:?}"
        );
        one_sentence(&err);
    }
}

// ------------------------------------------------------------ 6. member list ---

#[test]
fn member_list_shows_a_non_ascii_key_without_panicking() {
    let w = World::new();
    let vectors = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/format-1");
    let text = std::fs::read_to_string(vectors.join("mpvault.json")).unwrap();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v["members"]["carol"]["key"] = "ключ-ключ-ключ-ключ-ключ-ключ-ключ".into();
    std::fs::write(w.vault_path(), serde_json::to_string_pretty(&v).unwrap()).unwrap();
    let bob = w.stranger("bob");
    let out = w
        .cmd(&bob)
        .arg("--identity")
        .arg(vectors.join("bob.key"))
        .args(["member", "list"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("carol") && table.contains("ключ-ключ"),
        "{table}"
    );
}

// ------------------------------------------------------------ 7. partial readers ---

#[test]
fn a_developer_exports_what_they_may_read_and_is_told_the_rest() {
    let w = World::new();
    let (_alice, bob) = team(&w);
    let out = w
        .cmd(&bob)
        .args(["export", "shop", "--include-secrets", "--format", "json"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["WECHAT_APPSECRET"], APPSECRET);
    assert_eq!(json["GREETING"], "hello");
    assert!(json.get("WECHAT_PAY_API_V3_KEY").is_none());
    assert!(
        err.contains("WECHAT_PAY_API_V3_KEY") && err.contains("admin"),
        "{err}"
    );
    assert!(!err.contains(PAY_KEY));

    let out = w
        .cmd(&bob)
        .args(["run", "shop", "--include-secrets", "--", "env"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let env = String::from_utf8_lossy(&out.stdout);
    assert!(env.contains(&format!("WECHAT_APPSECRET={APPSECRET}")));
    assert!(!env.contains("WECHAT_PAY_API_V3_KEY"));
    assert!(err.contains("WECHAT_PAY_API_V3_KEY"), "{err}");

    for cmd in ["export", "run"] {
        let mut args = vec![
            cmd,
            "shop",
            "--include-secrets",
            "--only",
            "WECHAT_PAY_API_V3_KEY",
        ];
        if cmd == "run" {
            args.extend(["--", "env"]);
        }
        let (code, err) = w.fails(&bob, &args);
        assert_eq!(code, exit::DENIED, "{cmd}: {err}");
        assert!(err.contains("WECHAT_PAY_API_V3_KEY"), "{err}");
        one_sentence(&err);
    }
}

// ------------------------------------------------------------ 8. process hygiene ---

/// mpvault started with core dumps allowed (as on many desktops), through a shell that
/// raises the soft limit and then becomes mpvault.
fn core_dumps_allowed(w: &World, who: &Person) -> std::process::Command {
    let base = w.std_cmd(who);
    let mut sh = std::process::Command::new("sh");
    sh.current_dir(w.project()).env_clear();
    for (k, v) in base.get_envs() {
        sh.env(k, v.unwrap_or_default());
    }
    sh.args(["-c", "ulimit -S -c unlimited && exec \"$0\" \"$@\""])
        .arg(base.get_program());
    sh
}

#[test]
fn core_dumps_are_off_while_a_secret_is_held() {
    use std::io::Write;
    let w = World::new();
    let (alice, _) = team(&w);
    let mut child = core_dumps_allowed(&w, &alice)
        .args(["rotate-secret", "shop", "--stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // rotate-secret has opened the data key and now waits for the new value on stdin:
    // wait until the shell has become mpvault and mpvault sleeps on its read.
    let proc = std::path::PathBuf::from(format!("/proc/{}", child.id()));
    let mut seen = String::new();
    for _ in 0..1000 {
        let comm = std::fs::read_to_string(proc.join("comm")).unwrap_or_default();
        let stat = std::fs::read_to_string(proc.join("stat")).unwrap_or_default();
        let state = stat
            .rsplit(')')
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .next();
        if comm.trim() == "mpvault" && state == Some("S") {
            seen = std::fs::read_to_string(proc.join("limits")).unwrap();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"00112233445566778899aabbccddeeff\n")
        .unwrap();
    assert!(child.wait().unwrap().success());
    let line = seen
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .unwrap_or_default();
    assert_eq!(line.split_whitespace().nth(4), Some("0"), "{seen}");
    // The child of `run` inherits the limit.
    let out = core_dumps_allowed(&w, &alice)
        .args(["run", "shop", "--", "sh", "-c", "ulimit -c"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "0");
}
