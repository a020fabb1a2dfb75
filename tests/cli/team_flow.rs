//! User stories, end to end through the built binary.

use crate::common;

use common::*;
use predicates::prelude::*;

#[test]
fn owner_stores_and_reads_the_appsecret() {
    let w = World::new();
    let alice = w.owner_with_app();
    w.ok_stdin(
        &alice,
        &["add-secret", "shop", "--stdin"],
        &format!("{APPSECRET}\n"),
    );
    assert_eq!(
        w.ok(&alice, &["get", "shop", "WECHAT_APPSECRET"]),
        APPSECRET
    );
    assert!(
        !w.vault_text().contains(APPSECRET),
        "the vault file holds the secret in the clear"
    );
}

#[test]
fn a_developer_reads_the_appsecret_and_a_tester_reads_no_secret_but_exports_public_values() {
    let w = World::new();
    let alice = w.owner_with_app();
    let bob = w.person("bob");
    let carol = w.person("carol");
    w.join(&alice, &bob, &["developer"]);
    w.join(&alice, &carol, &["体验者"]);
    w.ok_stdin(&alice, &["add-secret", "shop", "--stdin"], APPSECRET);
    w.ok(
        &alice,
        &["config", "set", "shop", "API_BASE=https://api.example.com"],
    );

    assert_eq!(w.ok(&bob, &["get", "shop", "WECHAT_APPSECRET"]), APPSECRET);

    let (code, err) = w.fails(&carol, &["get", "shop", "WECHAT_APPSECRET"]);
    assert_eq!(code, exit::DENIED);
    assert!(
        err.contains("carol cannot read developer-level values of 'shop'"),
        "{err}"
    );
    assert!(!err.contains(APPSECRET));

    let env = w.ok(&carol, &["export", "shop", "--format", "shell"]);
    assert!(
        env.contains(&format!("export WECHAT_APPID='{APPID}'")),
        "{env}"
    );
    assert!(
        env.contains("export API_BASE='https://api.example.com'"),
        "{env}"
    );
    assert!(!env.contains("WECHAT_APPSECRET"));
    // A partial reader exports what they may read; the rest is named on stderr.
    let out = w
        .cmd(&carol)
        .args(["export", "shop", "--include-secrets"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("WECHAT_APPSECRET"));
    assert!(err.contains("WECHAT_APPSECRET (developer)"), "{err}");
    assert!(!err.contains(APPSECRET));

    let roster = w.ok(&carol, &["roster", "shop", "--json"]);
    let roster: serde_json::Value = serde_json::from_str(&roster).unwrap();
    let carol_row = roster
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["handle"] == "carol")
        .unwrap();
    assert_eq!(carol_row["roles"], serde_json::json!(["tester"]));
    assert_eq!(carol_row["reads"], serde_json::json!(["team"]));
}

#[test]
fn a_pem_upload_key_round_trips_byte_for_byte() {
    let w = World::new();
    let alice = w.owner_with_app();
    w.ok_stdin(
        &alice,
        &["add-secret", "shop", "WECHAT_UPLOAD_KEY", "--stdin"],
        PEM,
    );
    let out = w
        .cmd(&alice)
        .args(["get", "shop", "WECHAT_UPLOAD_KEY"])
        .output()
        .unwrap();
    assert_eq!(out.stdout, PEM.as_bytes());
}

#[test]
fn rotation_keeps_a_bounded_history_shown_as_metadata_only() {
    let w = World::new();
    let alice = w.owner_with_app();
    let values: Vec<String> = (0..8).map(|i| format!("{i:x}").repeat(32)).collect();
    w.ok_stdin(&alice, &["add-secret", "shop", "--stdin"], &values[0]);
    for v in &values[1..] {
        w.ok_stdin(&alice, &["rotate-secret", "shop", "--stdin"], v);
    }
    assert_eq!(
        w.ok(&alice, &["get", "shop", "WECHAT_APPSECRET"]),
        values[7]
    );
    assert_eq!(
        w.ok(
            &alice,
            &["get", "shop", "WECHAT_APPSECRET", "--previous", "1"]
        ),
        values[6]
    );
    assert_eq!(
        w.ok(
            &alice,
            &["get", "shop", "WECHAT_APPSECRET", "--previous", "5"]
        ),
        values[2]
    );
    let (code, _) = w.fails(
        &alice,
        &["get", "shop", "WECHAT_APPSECRET", "--previous", "6"],
    );
    assert_eq!(code, exit::NOT_FOUND);

    let history = w.ok(&alice, &["history", "shop", "--json"]);
    let rows: serde_json::Value = serde_json::from_str(&history).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 6);
    assert_eq!(rows[0]["set_by"], "alice");
    let table = w.ok(&alice, &["history", "shop"]);
    for v in &values {
        assert!(!history.contains(v.as_str()) && !table.contains(v.as_str()));
        assert!(!w.vault_text().contains(v.as_str()));
    }
}

#[test]
fn generate_makes_pay_keys_but_never_the_appsecret() {
    let w = World::new();
    let alice = w.owner_with_app();
    w.ok_stdin(
        &alice,
        &["add-secret", "shop", "WECHAT_PAY_API_V3_KEY", "--stdin"],
        &"A".repeat(32),
    );
    w.ok(
        &alice,
        &[
            "rotate-secret",
            "shop",
            "WECHAT_PAY_API_V3_KEY",
            "--generate",
        ],
    );
    let key = w.ok(&alice, &["get", "shop", "WECHAT_PAY_API_V3_KEY"]);
    assert_eq!(key.len(), 32);
    assert!(key.bytes().all(|b| b.is_ascii_alphanumeric()) && key != "A".repeat(32));

    w.ok_stdin(&alice, &["add-secret", "shop", "--stdin"], APPSECRET);
    let (_, err) = w.fails(&alice, &["rotate-secret", "shop", "--generate"]);
    assert!(err.contains("only WeChat issues"), "{err}");
    assert_eq!(
        w.ok(&alice, &["get", "shop", "WECHAT_APPSECRET"]),
        APPSECRET
    );
}

#[test]
fn pay_secrets_are_admin_level_by_default() {
    let w = World::new();
    let alice = w.owner_with_app();
    let bob = w.person("bob");
    w.join(&alice, &bob, &["developer"]);
    w.ok_stdin(
        &alice,
        &["add-secret", "shop", "WECHAT_PAY_API_V3_KEY", "--stdin"],
        &"B".repeat(32),
    );
    let (code, _) = w.fails(&bob, &["get", "shop", "WECHAT_PAY_API_V3_KEY"]);
    assert_eq!(code, exit::DENIED);
    w.ok(&alice, &["role", "grant", "bob", "shop", "管理员"]);
    assert_eq!(
        w.ok(&bob, &["get", "shop", "WECHAT_PAY_API_V3_KEY"]),
        "B".repeat(32)
    );
}

#[test]
fn a_developer_adds_and_rotates_secrets_without_an_owner() {
    let w = World::new();
    let alice = w.owner_with_app();
    let bob = w.person("bob");
    w.join(&alice, &bob, &["developer"]);
    w.ok_stdin(&bob, &["add-secret", "shop", "--stdin"], APPSECRET);
    w.ok_stdin(&bob, &["rotate-secret", "shop", "--stdin"], &"f".repeat(32));
    assert_eq!(
        w.ok(&alice, &["get", "shop", "WECHAT_APPSECRET"]),
        "f".repeat(32)
    );
    let (code, err) = w.fails(
        &bob,
        &["member", "add", "eve", "--key", &w.public_line(&bob)],
    );
    assert_eq!(code, exit::DENIED);
    assert!(err.contains("only a vault owner"), "{err}");
}

#[test]
fn revoking_a_role_takes_away_what_it_read() {
    let w = World::new();
    let alice = w.owner_with_app();
    let bob = w.person("bob");
    w.join(&alice, &bob, &["developer", "tester"]);
    w.ok_stdin(&alice, &["add-secret", "shop", "--stdin"], APPSECRET);
    let dev_key = commitment(&w, "shop", "developer");
    let out = w
        .cmd(&alice)
        .args(["role", "revoke", "bob", "shop", "developer"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("shop: WECHAT_APPSECRET"));
    assert_ne!(
        commitment(&w, "shop", "developer"),
        dev_key,
        "the developer key was kept"
    );
    refused_as(
        &w,
        &bob,
        &["get", "shop", "WECHAT_APPSECRET"],
        exit::DENIED,
        "bob cannot read developer-level values of 'shop'",
    );
    next_second();
    w.ok_stdin(
        &alice,
        &["rotate-secret", "shop", "--stdin"],
        &"e".repeat(32),
    );
    assert_unreadable_by(&w, &bob, "shop", "WECHAT_APPSECRET");
    w.ok(&bob, &["export", "shop"]);
}

#[test]
fn unchanged_values_keep_their_ciphertext() {
    let w = World::new();
    let alice = w.owner_with_app();
    w.ok_stdin(&alice, &["add-secret", "shop", "--stdin"], APPSECRET);
    w.ok(&alice, &["config", "set", "shop", "A=1", "B=2"]);
    let before = w.vault_text();
    w.ok(&alice, &["config", "set", "shop", "A=1", "B=3"]);
    let after = w.vault_text();
    let changed: Vec<_> = before
        .lines()
        .zip(after.lines())
        .filter(|(a, b)| a != b)
        .collect();
    // B's ciphertext and its writer's signature change (and its time, if a second passed).
    assert!(
        (2..=3).contains(&changed.len())
            && changed
                .iter()
                .all(|(a, _)| ["\"value\"", "\"sig\"", "\"set_at\""]
                    .iter()
                    .any(|k| a.trim_start().starts_with(k))),
        "only B's lines change: {changed:?}"
    );
    let config = |t: &str| {
        serde_json::from_str::<serde_json::Value>(t).unwrap()["apps"]["shop"]["config"].clone()
    };
    assert_eq!(config(&before)["A"], config(&after)["A"]);
    assert_ne!(config(&before)["B"], config(&after)["B"]);
    let bob = w.person("bob");
    let before = w.vault_text();
    w.join(&alice, &bob, &[]);
    let after = w.vault_text();
    let secret_line = |t: &str| {
        t.lines()
            .filter(|l| l.contains("\"value\""))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(secret_line(&before), secret_line(&after));
}

#[test]
fn export_writes_a_private_file_and_never_overwrites_it_silently() {
    let w = World::new();
    let alice = w.owner_with_app();
    w.ok_stdin(&alice, &["add-secret", "shop", "--stdin"], APPSECRET);
    w.ok(
        &alice,
        &["export", "shop", "--include-secrets", "-o", ".env"],
    );
    let env = w.path(".env");
    assert_eq!(mode(&env), 0o600);
    assert!(std::fs::read_to_string(&env).unwrap().contains(APPSECRET));
    std::fs::write(&env, "KEEP=1\n").unwrap();
    let (code, err) = w.fails(&alice, &["export", "shop", "-o", ".env"]);
    assert_eq!(code, exit::EXISTS);
    assert!(err.contains("--force"), "{err}");
    assert_eq!(std::fs::read_to_string(&env).unwrap(), "KEEP=1\n");
    w.ok(&alice, &["export", "shop", "-o", ".env", "--force"]);
    assert_eq!(mode(&env), 0o600);
    assert!(!std::fs::read_to_string(&env).unwrap().contains(APPSECRET));
}

#[test]
fn run_injects_values_and_passes_the_exit_code_through() {
    let w = World::new();
    let alice = w.owner_with_app();
    w.ok_stdin(&alice, &["add-secret", "shop", "--stdin"], APPSECRET);
    let out = w.ok(
        &alice,
        &[
            "run",
            "shop",
            "--include-secrets",
            "--",
            "sh",
            "-c",
            "printf '%s %s' \"$WECHAT_APPID\" \"$WECHAT_APPSECRET\"",
        ],
    );
    assert_eq!(out, format!("{APPID} {APPSECRET}"));
    let out = w.ok(
        &alice,
        &[
            "run",
            "shop",
            "--",
            "sh",
            "-c",
            "printf '%s' \"${WECHAT_APPSECRET-unset}\"",
        ],
    );
    assert_eq!(out, "unset");
    w.cmd(&alice)
        .args(["run", "shop", "--", "sh", "-c", "exit 7"])
        .assert()
        .code(7);
    let out = w.ok(
        &alice,
        &[
            "run",
            "shop",
            "--preset",
            "taro",
            "--",
            "sh",
            "-c",
            "printf '%s' \"$TARO_APP_ID\"",
        ],
    );
    assert_eq!(out, APPID);
}

#[test]
fn only_limits_an_export() {
    let w = World::new();
    let alice = w.owner_with_app();
    w.ok(&alice, &["config", "set", "shop", "A=1", "B=2"]);
    let out = w.ok(
        &alice,
        &["export", "shop", "--format", "shell", "--only", "B"],
    );
    assert_eq!(out, "export B='2'\n");
    let (code, err) = w.fails(&alice, &["export", "shop", "--only", "C"]);
    assert_eq!(code, exit::NOT_FOUND);
    assert!(err.contains("nothing exported as C"), "{err}");
}

#[test]
fn contacts_are_encrypted_and_compliance_dates_public() {
    let w = World::new();
    let alice = w.owner_with_app();
    w.ok(
        &alice,
        &[
            "app",
            "contact",
            "shop",
            "--name",
            "王小明",
            "--wechat",
            "wxid_admin1",
            "--email",
            "admin@example.com",
            "--phone",
            "+86 138 0013 8000",
        ],
    );
    w.ok(
        &alice,
        &[
            "app",
            "set",
            "shop",
            "--verified-until",
            "2027-03-31",
            "--icp",
            "粤ICP备12345678号-1X",
        ],
    );
    let text = w.vault_text();
    // The phone as typed: three digits alone turn up in base64 ciphertext now and then.
    for plain in [
        "王小明",
        "wxid_admin1",
        "admin@example.com",
        "138 0013 8000",
    ] {
        assert!(!text.contains(plain), "{plain} is visible in the vault");
    }
    // Issue 20: the verification expiry and ICP number are public facts (WeChat shows both),
    // signed with the policy rather than encrypted.
    for public in ["2027-03-31", "粤ICP"] {
        assert!(text.contains(public), "{public} is not public");
    }
    let show: serde_json::Value =
        serde_json::from_str(&w.ok(&alice, &["app", "show", "shop", "--json"])).unwrap();
    assert_eq!(show["contact"]["name"], "王小明");
    assert_eq!(show["info"]["verified_until"], "2027-03-31");
    // `status` exits DUE here (nothing else is recorded); its report still carries the date.
    let out = w.cmd(&alice).args(["status", "--json"]).output().unwrap();
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["apps"][0]["verified_until"], "2027-03-31");
}

#[test]
fn json_metadata_never_carries_secrets() {
    let w = World::new();
    let alice = w.owner_with_app();
    w.ok_stdin(&alice, &["add-secret", "shop", "--stdin"], APPSECRET);
    w.ok_stdin(
        &alice,
        &["add-secret", "shop", "WECHAT_UPLOAD_KEY", "--stdin"],
        PEM,
    );
    for args in [
        &["app", "list", "--json"][..],
        &["app", "show", "shop", "--json"],
        &["status", "--json"],
        &["history", "shop", "--json"],
        &["member", "list", "--json"],
        &["roster", "shop", "--json"],
        &["status"],
        &["app", "show", "shop"],
    ] {
        // `status` exits non-zero for what is due; what it prints matters here.
        let out = w.cmd(&alice).args(args).output().unwrap();
        assert!(
            out.status.code().is_some_and(|c| c == 0 || c == 7),
            "{args:?}"
        );
        let out = String::from_utf8(out.stdout).unwrap();
        assert!(
            !out.contains(APPSECRET) && !out.contains("MIIE"),
            "{args:?} shows a secret"
        );
    }
}

#[test]
fn the_vault_is_found_by_walking_up_or_named() {
    let w = World::new();
    let alice = w.owner_with_app();
    let deep = w.path("packages/miniprogram/src");
    std::fs::create_dir_all(&deep).unwrap();
    w.cmd(&alice)
        .current_dir(&deep)
        .args(["app", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("shop"));
    let elsewhere = tempfile::tempdir().unwrap();
    w.cmd(&alice)
        .current_dir(elsewhere.path())
        .args(["app", "list"])
        .assert()
        .code(exit::NOT_FOUND);
    w.cmd(&alice)
        .current_dir(elsewhere.path())
        .args(["--vault"])
        .arg(w.vault_path())
        .args(["app", "list"])
        .assert()
        .success();
    w.cmd(&alice)
        .current_dir(elsewhere.path())
        .env("MPVAULT_VAULT", w.vault_path())
        .args(["app", "list"])
        .assert()
        .success();
}

#[test]
fn ci_reads_the_identity_from_the_environment() {
    let w = World::new();
    let alice = w.owner_with_app();
    w.ok_stdin(&alice, &["add-secret", "shop", "--stdin"], APPSECRET);
    let key = std::fs::read_to_string(alice.home.join(".config/mpvault/identity.txt")).unwrap();
    let ci = w.stranger("ci");
    w.cmd(&ci)
        .env("MPVAULT_IDENTITY", &key)
        .args(["get", "shop", "WECHAT_APPSECRET"])
        .assert()
        .success()
        .stdout(APPSECRET);
    let file = w.path("../ci-key.txt");
    std::fs::write(&file, &key).unwrap();
    w.cmd(&ci)
        .env("MPVAULT_IDENTITY_FILE", &file)
        .args(["get", "shop", "WECHAT_APPSECRET"])
        .assert()
        .success()
        .stdout(APPSECRET);
    w.cmd(&ci)
        .arg("--identity")
        .arg(&file)
        .args(["get", "shop", "WECHAT_APPSECRET"])
        .assert()
        .success()
        .stdout(APPSECRET);
}

#[test]
fn identity_files_are_private_and_not_overwritten() {
    let w = World::new();
    let alice = w.person("alice");
    let path = alice.home.join(".config/mpvault/identity.txt");
    assert_eq!(mode(&path), 0o600);
    let before = std::fs::read(&path).unwrap();
    let (code, err) = w.fails(&alice, &["identity", "new"]);
    assert_eq!(code, exit::EXISTS);
    assert!(err.contains("--force"));
    assert_eq!(std::fs::read(&path).unwrap(), before);
    w.ok(&alice, &["identity", "new", "--force"]);
    assert_ne!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn a_passphrase_protects_an_identity() {
    let w = World::new();
    let alice = w.stranger("alice");
    let public = w
        .cmd(&alice)
        .env("MPVAULT_PASSPHRASE", "correct horse")
        .args(["identity", "new", "--passphrase"])
        .output()
        .unwrap();
    assert!(public.status.success());
    let public = String::from_utf8(public.stdout).unwrap();
    let text = std::fs::read_to_string(alice.home.join(".config/mpvault/identity.txt")).unwrap();
    assert!(!text.contains("AGE-SECRET-KEY"));
    assert_eq!(w.ok(&alice, &["identity", "show"]), public);
    w.cmd(&alice)
        .env("MPVAULT_PASSPHRASE", "correct horse")
        .args(["init"])
        .assert()
        .success();
    let (code, err) = {
        let out = w
            .cmd(&alice)
            .env("MPVAULT_PASSPHRASE", "wrong")
            .args(["app", "add", "shop", "--appid", APPID])
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    assert_eq!(code, exit::DENIED);
    assert!(err.contains("passphrase"), "{err}");
}

#[test]
fn ssh_keys_work_as_member_keys_and_identities() {
    let w = World::new();
    let alice = w.owner_with_app();
    w.ok_stdin(&alice, &["add-secret", "shop", "--stdin"], APPSECRET);
    let dave = w.stranger("dave");
    let key = ssh_key(&dave);
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    w.ok(&alice, &["member", "add", "dave", "--key", public.trim()]);
    w.ok(&alice, &["role", "grant", "dave", "shop", "developer"]);
    w.cmd(&dave)
        .arg("--identity")
        .arg(&key)
        .args(["get", "shop", "WECHAT_APPSECRET"])
        .assert()
        .success()
        .stdout(APPSECRET);
    // Every value carries its writer's signature, which an SSH key cannot make here.
    let before = w.vault_text();
    let out = w
        .cmd(&dave)
        .arg("--identity")
        .arg(&key)
        .args(["rotate-secret", "shop", "--stdin"])
        .write_stdin("e".repeat(32))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(exit::DENIED));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot sign values"));
    assert_eq!(w.vault_text(), before);
}

#[test]
fn concurrent_writers_never_lose_an_update() {
    let w = World::new();
    let alice = w.owner_with_app();
    let children: Vec<_> = (0..8)
        .map(|i| {
            let mut cmd = w.std_cmd(&alice);
            cmd.args(["config", "set", "shop", &format!("KEY_{i}={i}")])
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let out = w.ok(&alice, &["export", "shop", "--format", "shell"]);
    for i in 0..8 {
        assert!(
            out.contains(&format!("export KEY_{i}='{i}'")),
            "KEY_{i} was lost:\n{out}"
        );
    }
}

#[test]
fn the_vault_reveals_structure_but_no_values_without_a_key() {
    let w = World::new();
    let alice = w.owner_with_app();
    w.ok_stdin(&alice, &["add-secret", "shop", "--stdin"], APPSECRET);
    let outsider = w.stranger("outsider");
    let list = w.ok(&outsider, &["app", "list", "--json"]);
    let list: serde_json::Value = serde_json::from_str(&list).unwrap();
    assert_eq!(list[0]["appid"], APPID);
    assert_eq!(list[0]["title"], serde_json::Value::Null);
    assert_eq!(list[0]["secrets"], serde_json::json!(["WECHAT_APPSECRET"]));
    w.ok(&outsider, &["history", "shop"]);
    let (code, _) = w.fails(&outsider, &["get", "shop", "WECHAT_APPSECRET"]);
    assert_eq!(code, exit::NOT_FOUND, "no identity at all");
    // Someone with a key of their own who is no member: refused for that, and their key
    // opens nothing in the file.
    let eve = w.person("eve");
    w.ok(&eve, &["app", "list"]);
    refused_as(
        &w,
        &eve,
        &["get", "shop", "WECHAT_APPSECRET"],
        exit::DENIED,
        "is not a member of this vault",
    );
    assert_unreadable_by(&w, &eve, "shop", "WECHAT_APPSECRET");
}

#[test]
fn completions_and_man_page() {
    let w = World::new();
    let p = w.stranger("p");
    assert!(w.ok(&p, &["completions", "bash"]).contains("mpvault"));
    assert!(w.ok(&p, &["man"]).contains(".TH"));
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let w = World::new();
    let alice = w.owner_with_app();
    // Twice a pipe's buffer, so the reader really does close it mid-write (and within the
    // 128 KiB a vault keeps per value).
    w.ok_stdin(
        &alice,
        &["add-secret", "shop", "BIG_BLOB", "--stdin"],
        &"x".repeat(128 << 10),
    );
    let mpvault = w.std_cmd(&alice);
    let out = succeeded(
        std::process::Command::new("bash")
            .arg("-c")
            .arg("set -o pipefail; \"$MPVAULT_BIN\" get shop BIG_BLOB | head -c 10 >/dev/null")
            .current_dir(w.project())
            .envs(mpvault.get_envs().filter_map(|(k, v)| Some((k, v?))))
            .env("MPVAULT_BIN", mpvault.get_program())
            .output()
            .unwrap(),
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_secret_typed_at_the_hidden_prompt_is_stored_and_not_echoed() {
    let w = World::new();
    let alice = w.owner_with_app();
    let out = w.at_terminal(&alice, "add-secret shop", &format!("{APPSECRET}\\n"), &[]);
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{screen}");
    assert!(
        screen.contains("WECHAT_APPSECRET for shop (input hidden)"),
        "{screen}"
    );
    assert!(
        !screen.contains(APPSECRET),
        "the prompt echoed the secret: {screen}"
    );
    assert_eq!(
        w.ok(&alice, &["get", "shop", "WECHAT_APPSECRET"]),
        APPSECRET
    );
}

#[test]
fn contact_prompts_for_what_is_omitted() {
    let w = World::new();
    let alice = w.owner_with_app();
    let out = w.at_terminal(
        &alice,
        "app contact shop --name Wang",
        "wxid_admin1\\n\\n+86 138 0013 8000\\n",
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let show: serde_json::Value =
        serde_json::from_str(&w.ok(&alice, &["app", "show", "shop", "--json"])).unwrap();
    assert_eq!(show["contact"]["name"], "Wang");
    assert_eq!(show["contact"]["wechat"], "wxid_admin1");
    assert_eq!(
        show["contact"]["email"],
        serde_json::Value::Null,
        "Enter leaves it unset"
    );
    assert_eq!(show["contact"]["phone"], "+86 138 0013 8000");
}

/// A protected identity is opened once per command, however often the command reads the vault.
#[test]
fn a_protected_identity_asks_for_its_passphrase_once() {
    let w = World::new();
    let alice = w.stranger("alice");
    for args in [
        &["identity", "new", "--passphrase"][..],
        &["init"],
        &["app", "add", "shop", "--appid", APPID],
    ] {
        w.cmd(&alice)
            .env("MPVAULT_PASSPHRASE", "correct horse")
            .args(args)
            .assert()
            .success();
    }
    let out = w.at_terminal(
        &alice,
        "add-secret shop",
        &format!("correct horse\\n{APPSECRET}\\n"),
        &[],
    );
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{screen}");
    assert_eq!(screen.matches("assphrase").count(), 1, "{screen}");
    let got = w
        .cmd(&alice)
        .env("MPVAULT_PASSPHRASE", "correct horse")
        .args(["get", "shop", "WECHAT_APPSECRET"])
        .output()
        .unwrap();
    assert_eq!(got.stdout, APPSECRET.as_bytes());
}
