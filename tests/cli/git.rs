//! The vault in a team's git workflow, with real git: clones of one origin, each person with
//! their own HOME (identity, trust memory, git config), merging through mpvault's driver.

use crate::common;

use common::repo::*;
use common::*;
use serde_json::Value;

const TOKEN: &str = "tok-0123456789";
const OTHER_SECRET: &str = "fedcba9876543210fedcba9876543210";
const LATER_SECRET: &str = "00112233445566778899aabbccddeeff";

#[test]
fn independent_edits_on_two_clones_merge_and_keep_their_ciphertexts() {
    let t = Team::new(&[]);
    let alice = t.clone_of("alice");
    let bob = t.join("bob", true);
    alice.mp(&["config", "set", "shop", "API_BASE=https://api.example.com"]);
    alice.commit("config");
    alice.git(&["push", "-q"]);
    let config_cipher = sealed_value(&alice.json(), &["config", "API_BASE"]).to_string();
    bob.mp_in(&["add-secret", "shop", "API_TOKEN", "--stdin"], Some(TOKEN));
    bob.commit("token");
    let token_cipher =
        sealed_value(&bob.json(), &["secrets", "API_TOKEN", "versions", "0"]).to_string();
    let secret_cipher = sealed_value(
        &bob.json(),
        &["secrets", "WECHAT_APPSECRET", "versions", "0"],
    )
    .to_string();
    bob.git(&["pull", "-q", "--no-rebase", "--no-edit"]);
    no_markers(&bob);
    let merged = bob.json();
    assert_eq!(
        sealed_value(&merged, &["config", "API_BASE"]),
        config_cipher
    );
    assert_eq!(
        sealed_value(&merged, &["secrets", "API_TOKEN", "versions", "0"]),
        token_cipher
    );
    assert_eq!(
        sealed_value(&merged, &["secrets", "WECHAT_APPSECRET", "versions", "0"]),
        secret_cipher
    );
    assert_eq!(bob.get("API_TOKEN"), TOKEN);
    assert_eq!(bob.get("API_BASE"), "https://api.example.com");
    bob.git(&["push", "-q"]);
    alice.git(&["pull", "-q", "--no-rebase", "--no-edit"]);
    assert_eq!(alice.get("API_TOKEN"), TOKEN);
    assert_eq!(alice.get("WECHAT_APPSECRET"), APPSECRET);
}

#[test]
fn a_rekey_on_one_side_and_a_new_secret_on_the_other_merge_into_a_vault_both_read() {
    let t = Team::new(&[]);
    let alice = t.clone_of("alice");
    let bob = t.join("bob", true);
    alice.mp(&["rekey", "shop"]);
    alice.commit("rekey");
    alice.git(&["push", "-q"]);
    bob.mp_in(&["add-secret", "shop", "API_TOKEN", "--stdin"], Some(TOKEN));
    bob.commit("token");
    let out = bob.git_output(&["pull", "--no-rebase", "--no-edit"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("re-sealed 1 value"), "{said}");
    no_markers(&bob);
    let merged = bob.json();
    let alices: Value = serde_json::from_str(&alice.vault()).unwrap();
    assert_eq!(
        merged["apps"]["shop"]["keys"], alices["apps"]["shop"]["keys"],
        "the merge keeps alice's new data keys"
    );
    assert_eq!(bob.get("API_TOKEN"), TOKEN);
    bob.git(&["push", "-q"]);
    alice.git(&["pull", "-q", "--no-rebase", "--no-edit"]);
    assert_eq!(alice.get("API_TOKEN"), TOKEN);
    assert_eq!(alice.get("WECHAT_APPSECRET"), APPSECRET);
    let history = alice.mp(&["history", "shop", "API_TOKEN", "--json"]);
    assert!(
        history.contains("\"bob\""),
        "bob stays its writer: {history}"
    );
}

#[test]
fn two_rotations_keep_the_later_as_current_and_the_earlier_in_history() {
    let t = Team::new(&[]);
    let alice = t.clone_of("alice");
    let bob = t.join("bob", true);
    alice.mp_in(&["rotate-secret", "shop", "--stdin"], Some(OTHER_SECRET));
    alice.commit("alice rotates");
    next_second();
    bob.mp_in(&["rotate-secret", "shop", "--stdin"], Some(LATER_SECRET));
    bob.commit("bob rotates later");
    bob.git(&["push", "-q"]);
    // alice merges with her earlier rotation as "ours": the later one still wins.
    alice.git(&["pull", "-q", "--no-rebase", "--no-edit"]);
    no_markers(&alice);
    assert_eq!(alice.get("WECHAT_APPSECRET"), LATER_SECRET);
    assert_eq!(
        alice.mp(&["get", "shop", "WECHAT_APPSECRET", "--previous", "1"]),
        OTHER_SECRET
    );
    assert_eq!(
        alice.mp(&["get", "shop", "WECHAT_APPSECRET", "--previous", "2"]),
        APPSECRET
    );
    alice.git(&["push", "-q"]);
    bob.git(&["pull", "-q", "--no-rebase", "--no-edit"]);
    assert_eq!(bob.get("WECHAT_APPSECRET"), LATER_SECRET);
    let versions: Vec<u64> = bob.json()["apps"]["shop"]["secrets"]["WECHAT_APPSECRET"]["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_u64().unwrap())
        .collect();
    assert_eq!(versions, [2, 2, 1]);
}

#[test]
fn a_later_rotation_numbered_lower_is_renumbered_by_a_reader_who_merges() {
    let t = Team::new(&[]);
    let alice = t.clone_of("alice");
    let bob = t.join("bob", true);
    alice.mp_in(&["rotate-secret", "shop", "--stdin"], Some(OTHER_SECRET));
    alice.mp_in(
        &["rotate-secret", "shop", "--stdin"],
        Some("abababababababababababababababab"),
    );
    alice.commit("alice rotates twice");
    next_second();
    bob.mp_in(&["rotate-secret", "shop", "--stdin"], Some(LATER_SECRET));
    bob.commit("bob rotates later, once");
    bob.git(&["push", "-q"]);
    alice.git(&["pull", "-q", "--no-rebase", "--no-edit"]);
    assert_eq!(alice.get("WECHAT_APPSECRET"), LATER_SECRET);
    let current = &alice.json()["apps"]["shop"]["secrets"]["WECHAT_APPSECRET"]["versions"][0];
    assert_eq!(current["version"], 4);
    assert_eq!(current["set_by"], "bob");
    assert_eq!(current["sealed_by"], "alice");
    alice.git(&["push", "-q"]);
    bob.git(&["pull", "-q", "--no-rebase", "--no-edit"]);
    assert_eq!(bob.get("WECHAT_APPSECRET"), LATER_SECRET);
}

#[test]
fn two_owners_roster_changes_merge_signed_and_a_member_who_pulls_is_not_refused() {
    let t = Team::new(&[("dave", &[], true)]);
    let alice = t.clone_of("alice");
    let dave = t.join("dave", true);
    let carol = t.join("carol", true);
    let erin = t.w.person("erin");
    let erin_key = t.w.public_line(&erin);
    alice.mp(&["member", "add", "erin", "--key", &erin_key]);
    alice.commit("erin joins");
    alice.git(&["push", "-q"]);
    dave.mp(&["role", "grant", "carol", "shop", "developer"]);
    dave.commit("carol develops");
    let out = dave.git_output(&["pull", "--no-rebase", "--no-edit"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    no_markers(&dave);
    let merged = dave.json();
    assert_eq!(merged["signature"]["signer"], "dave");
    let revisions = (
        alice.json()["revision"].as_u64().unwrap(),
        merged["revision"].as_u64().unwrap(),
    );
    assert!(revisions.1 > revisions.0, "{revisions:?}");
    assert!(merged["members"]["erin"].is_object());
    dave.git(&["push", "-q"]);
    carol.git(&["pull", "-q", "--no-rebase", "--no-edit"]);
    assert_eq!(carol.get("WECHAT_APPSECRET"), APPSECRET);
    alice.git(&["pull", "-q", "--no-rebase", "--no-edit"]);
    alice.mp_in(&["add-secret", "shop", "API_TOKEN", "--stdin"], Some(TOKEN));
    assert_eq!(carol.get("WECHAT_APPSECRET"), APPSECRET);
}

/// Trust 3, point 4: a non-owner's merge of two sides' roster changes no longer leaves an
/// unsigned vault that stops every build until an owner signs; it stops as a conflict, OURS
/// untouched, and an owner's merge of the same branches is signed.
#[test]
fn a_non_owners_merge_of_roster_changes_stops_and_an_owner_finishes_it() {
    let t = Team::new(&[("dave", &[], true)]);
    let alice = t.clone_of("alice");
    let dave = t.join("dave", true);
    let bob = t.join("bob", true);
    dave.git(&["checkout", "-q", "-b", "roles"]);
    dave.mp(&["role", "grant", "carol", "shop", "developer"]);
    dave.commit("carol develops");
    dave.git(&["push", "-q", "-u", "origin", "roles"]);
    let erin = t.w.person("erin");
    alice.mp(&["member", "add", "erin", "--key", &t.w.public_line(&erin)]);
    alice.commit("erin joins");
    alice.git(&["push", "-q"]);
    bob.git(&["pull", "-q", "--no-rebase", "--no-edit"]);
    let before = bob.vault();
    let out = bob.git_output(&["merge", "--no-edit", "origin/roles"]);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("ask an owner (alice, dave) to merge these branches"),
        "{said}"
    );
    assert!(said.contains("member 'erin' was added"), "{said}");
    assert_eq!(bob.vault(), before);
    no_markers(&bob);
    assert_eq!(bob.get("WECHAT_APPSECRET"), APPSECRET);
    bob.git(&["merge", "--abort"]);
    alice.git(&["fetch", "-q"]);
    alice.git(&["merge", "-q", "--no-edit", "origin/roles"]);
    assert_eq!(alice.json()["signature"]["signer"], "alice");
    alice.git(&["push", "-q"]);
    bob.git(&["pull", "-q", "--no-rebase", "--no-edit"]);
    assert_eq!(bob.get("WECHAT_APPSECRET"), APPSECRET);
    let audit = bob.mp(&["audit"]);
    assert!(!audit.contains("UNAUTHORIZED"), "{audit}");
}

#[test]
fn a_real_conflict_names_the_path_and_leaves_no_markers() {
    let t = Team::new(&[]);
    let alice = t.clone_of("alice");
    let bob = t.join("bob", true);
    alice.mp(&["config", "set", "shop", "API_BASE=https://a.example.com"]);
    alice.commit("a");
    alice.git(&["push", "-q"]);
    bob.mp(&["config", "set", "shop", "API_BASE=https://b.example.com"]);
    bob.commit("b");
    let before = bob.vault();
    let out = bob.git_output(&["pull", "--no-rebase", "--no-edit"]);
    assert!(!out.status.success());
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("apps/shop/config/API_BASE"), "{said}");
    assert_eq!(bob.vault(), before, "our side is left as it was");
    no_markers(&bob);
    bob.git(&["checkout", "--theirs", "mpvault.json"]);
    bob.mp(&["config", "set", "shop", "API_BASE=https://b.example.com"]);
    bob.commit("keep b");
    assert_eq!(bob.get("API_BASE"), "https://b.example.com");
}

#[test]
fn an_app_removed_on_one_side_and_changed_on_the_other_conflicts() {
    let t = Team::new(&[]);
    let alice = t.clone_of("alice");
    let bob = t.join("bob", true);
    alice.mp(&["app", "remove", "shop", "--yes"]);
    alice.commit("no more shop");
    alice.git(&["push", "-q"]);
    bob.mp_in(&["add-secret", "shop", "API_TOKEN", "--stdin"], Some(TOKEN));
    bob.commit("token");
    let before = bob.vault();
    let out = bob.git_output(&["pull", "--no-rebase", "--no-edit"]);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("apps/shop: removed on one side and changed on the other"),
        "{said}"
    );
    assert_eq!(bob.vault(), before);
}

#[test]
fn git_log_shows_names_and_metadata_without_an_identity_and_without_base64() {
    let t = Team::new(&[]);
    let alice = t.clone_of("alice");
    alice.mp_in(&["rotate-secret", "shop", "--stdin"], Some(OTHER_SECRET));
    alice.mp(&["role", "grant", "carol", "shop", "developer"]);
    alice.commit("rotate, carol develops");
    alice.git(&["push", "-q"]);
    let people = [t.w.stranger("reviewer")];
    let reviewer = Clone {
        w: &t.w,
        who: &people[0],
        dir: t.w.project().parent().unwrap().join("clone-reviewer"),
    };
    let parent = reviewer.dir.parent().unwrap().to_path_buf();
    let out = git_cmd(&t.w, reviewer.who, &parent)
        .args(["clone", "-q", t.origin.to_str().unwrap()])
        .arg(&reviewer.dir)
        .output()
        .unwrap();
    assert!(out.status.success());
    reviewer.mp(&["git", "setup"]);
    let log = reviewer.git(&["log", "-p", "mpvault.json"]);
    for expected in [
        "+  role carol: developer, tester",
        "secret WECHAT_APPSECRET (developer):",
        "+    v2 set by alice at",
        "members:",
        "alice (owner): age key",
        "level developer: readers alice, bob, carol",
    ] {
        assert!(log.contains(expected), "expected {expected:?} in:\n{log}");
    }
    assert!(!log.contains(APPSECRET) && !log.contains(OTHER_SECRET));
    // Ciphertexts, wrapped keys and signatures are base64: long runs mixing cases and digits.
    let diff: String = log
        .lines()
        .filter(|l| !l.starts_with("commit ") && !l.starts_with("index "))
        .collect::<Vec<_>>()
        .join("\n");
    let long_base64 = diff
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '+' || c == '/' || c == '='))
        .find(|w| {
            w.len() >= 20
                && w.chars().any(|c| c.is_ascii_uppercase())
                && w.chars().any(|c| c.is_ascii_lowercase())
        });
    assert_eq!(long_base64, None, "{log}");
}

#[test]
fn the_pre_commit_guard_catches_a_staged_env_file() {
    let t = Team::new(&[]);
    let bob = t.join("bob", true);
    bob.mp(&["git", "setup", "--hook"]);
    bob.mp(&["git", "setup", "--hook"]);
    bob.mp(&["git", "setup", "--check", "--hook"]);
    let attributes = std::fs::read_to_string(bob.dir.join(".gitattributes")).unwrap();
    assert_eq!(
        attributes, "mpvault.json diff=mpvault merge=mpvault\n",
        "setup is idempotent"
    );
    assert_eq!(
        bob.git(&["status", "--porcelain"]),
        "",
        "setup changed nothing committed"
    );
    std::fs::write(
        bob.dir.join(".env"),
        format!("WECHAT_APPID={APPID}\nWECHAT_APPSECRET={APPSECRET}\n"),
    )
    .unwrap();
    std::fs::write(bob.dir.join(format!("private.{APPID}.key")), PEM).unwrap();
    std::fs::write(
        bob.dir.join(".env.example"),
        "WECHAT_APPID=\nAPI_BASE=https://x\n",
    )
    .unwrap();
    bob.git(&["add", "-A"]);
    let out = bob.git_output(&["commit", "-q", "-m", "oops"]);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains(".env: sets WECHAT_APPSECRET"), "{said}");
    assert!(said.contains(&format!("private.{APPID}.key")), "{said}");
    assert!(!said.contains(".env.example"), "{said}");
    assert!(!said.contains(APPSECRET), "{said}");
    bob.git(&[
        "restore",
        "--staged",
        ".env",
        &format!("private.{APPID}.key"),
    ]);
    bob.git(&["commit", "-q", "-m", "only the example"]);
}

/// Identity files staged by mistake: bob's own mpvault identity, a passphrase-protected one,
/// and an SSH private key (whose `.pub` is public and passes). Each is named, no key text is
/// shown, and the commit goes through once they are unstaged.
#[test]
fn the_pre_commit_guard_catches_staged_identity_files() {
    let t = Team::new(&[]);
    let bob = t.join("bob", true);
    bob.mp(&["git", "setup", "--hook"]);
    let identity = std::fs::read_to_string(identity_file(bob.who)).unwrap();
    std::fs::write(bob.dir.join("bob-identity.txt"), &identity).unwrap();
    std::fs::write(
        bob.dir.join("identity.age"),
        "-----BEGIN AGE ENCRYPTED FILE-----\nYWdlLWVuY3J5cHRpb24ub3JnL3YxCg==\n-----END AGE ENCRYPTED FILE-----\n",
    )
    .unwrap();
    let key = ssh_key(bob.who);
    std::fs::copy(&key, bob.dir.join("deploy_key")).unwrap();
    std::fs::copy(key.with_extension("pub"), bob.dir.join("deploy_key.pub")).unwrap();
    bob.git(&["add", "-A"]);
    let out = bob.git_output(&["commit", "-q", "-m", "oops"]);
    assert!(!out.status.success(), "the commit went through");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("bob-identity.txt: an mpvault (age) identity"),
        "{said}"
    );
    assert!(
        said.contains("identity.age: an mpvault (age) identity"),
        "{said}"
    );
    assert!(
        said.contains("deploy_key: an SSH private key (an identity)"),
        "{said}"
    );
    assert!(!said.contains("deploy_key.pub"), "{said}");
    assert!(!said.contains("AGE-SECRET-KEY-1"), "{said}");
    assert!(!said.contains("PRIVATE KEY-----"), "{said}");
    assert_eq!(bob.git(&["rev-list", "--count", "HEAD"]).trim(), "1");
    bob.git(&[
        "restore",
        "--staged",
        "bob-identity.txt",
        "identity.age",
        "deploy_key",
    ]);
    bob.git(&["commit", "-q", "-m", "only the public key"]);
}

/// On a case-insensitive file system (macOS, Windows) dotenv loaders open `.ENV.production` as
/// `.env.production`, and an upload key may be saved as `private.…KEY`: the guard compares
/// names without case.
#[test]
fn the_pre_commit_guard_ignores_the_case_of_file_names() {
    let t = Team::new(&[]);
    let bob = t.join("bob", true);
    bob.mp(&["git", "setup", "--hook"]);
    std::fs::write(
        bob.dir.join(".ENV.production"),
        format!("WECHAT_APPSECRET={APPSECRET}\n"),
    )
    .unwrap();
    std::fs::write(bob.dir.join(format!("Private.{APPID}.KEY")), PEM).unwrap();
    bob.git(&["add", "-A"]);
    let out = bob.git_output(&["commit", "-q", "-m", "oops"]);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains(".ENV.production: sets WECHAT_APPSECRET"),
        "{said}"
    );
    assert!(
        said.contains(&format!("Private.{APPID}.KEY: a miniprogram-ci upload key")),
        "{said}"
    );
    assert!(!said.contains(APPSECRET), "{said}");
}

#[test]
fn without_the_driver_status_names_what_a_line_merge_broke() {
    let t = Team::new(&[]);
    let alice = t.clone_of("alice");
    alice.mp(&["app", "add", "mall", "--appid", "wx00000000000000aa"]);
    alice.mp(&["role", "grant", "bob", "mall", "developer"]);
    alice.commit("mall");
    alice.git(&["push", "-q"]);
    let bob = t.join("bob", false);
    let (code, err) = bob.mp_fails(&["git", "setup", "--check"]);
    assert_eq!(code, exit::FAILURE, "{err}");
    let reminder = String::from_utf8_lossy(&bob.run(&["app", "list"], None).stderr).to_string();
    assert!(reminder.contains("run `mpvault git setup`"), "{reminder}");
    alice.mp(&["rekey", "mall"]);
    alice.commit("rekey mall");
    alice.git(&["push", "-q"]);
    bob.mp_in(&["add-secret", "mall", "API_TOKEN", "--stdin"], Some(TOKEN));
    bob.commit("token");
    let out = bob.git_output(&["pull", "--no-rebase", "--no-edit"]);
    assert!(
        out.status.success(),
        "git merged the lines: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = bob.run(&["status"], None);
    let (text, err) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(exit::BROKEN), "broken: {text}{err}");
    assert!(
        text.contains("broken  mall: the value at secrets/API_TOKEN of 'mall'"),
        "{text}"
    );
    assert!(
        err.contains("git checkout <commit> -- mpvault.json"),
        "{err}"
    );
}

#[test]
fn without_the_driver_a_conflicted_vault_gets_advice_that_works_during_the_merge() {
    let t = Team::new(&[]);
    let alice = t.clone_of("alice");
    let bob = t.join("bob", false);
    alice.mp(&["config", "set", "shop", "API_BASE=https://a.example.com"]);
    alice.commit("a");
    alice.git(&["push", "-q"]);
    bob.mp(&["config", "set", "shop", "API_BASE=https://b.example.com"]);
    bob.commit("b");
    let out = bob.git_output(&["pull", "--no-rebase", "--no-edit"]);
    assert!(!out.status.success());
    assert!(bob.vault().contains("<<<<<<<"));
    let (code, err) = bob.mp_fails(&["status"]);
    assert_eq!(code, exit::CORRUPT, "{err}");
    assert!(err.contains("`git merge --abort`"), "{err}");
    assert!(
        err.contains("`git checkout --theirs mpvault.json` and redo your change"),
        "{err}"
    );
    bob.git(&["checkout", "--theirs", "mpvault.json"]);
    bob.mp(&["config", "set", "shop", "API_BASE=https://b.example.com"]);
    bob.commit("redo b on top of a");
    assert_eq!(bob.get("API_BASE"), "https://b.example.com");
}

#[test]
fn audit_verifies_every_commit_and_flags_a_hand_edited_one() {
    let t = Team::new(&[]);
    let alice = t.clone_of("alice");
    let bob = t.join("bob", true);
    alice.mp(&["rekey", "shop"]);
    alice.commit("rekey");
    alice.git(&["push", "-q"]);
    bob.mp_in(&["add-secret", "shop", "API_TOKEN", "--stdin"], Some(TOKEN));
    bob.commit("token");
    bob.git(&["pull", "-q", "--no-rebase", "--no-edit"]);
    // bob makes himself an app admin by hand.
    let mut v = bob.json();
    v["apps"]["shop"]["roster"]["bob"] = serde_json::json!(["admin", "developer"]);
    std::fs::write(
        bob.dir.join("mpvault.json"),
        serde_json::to_string_pretty(&v).unwrap() + "\n",
    )
    .unwrap();
    bob.commit("tidy the roster");
    let forged = bob.git(&["rev-parse", "HEAD"]).trim().to_string();
    bob.git(&["push", "-q"]);
    alice.git(&["pull", "-q", "--no-rebase", "--no-edit"]);
    let out = alice.run(&["audit"], None);
    assert_eq!(out.status.code(), Some(exit::CORRUPT));
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        report.contains(&format!(
            "UNAUTHORIZED {forged}: its policy signature does not verify"
        )),
        "{report}"
    );
    let flagged: Vec<&str> = report
        .lines()
        .filter(|l| l.contains("UNAUTHORIZED"))
        .collect();
    assert!(
        flagged.iter().all(|l| l.contains(&forged)),
        "only the hand edit is flagged:\n{report}"
    );
    assert!(
        report.contains("secret API_TOKEN of shop: version 1 set by bob"),
        "{report}"
    );
    assert!(
        report.contains("the developer data key of shop was replaced"),
        "{report}"
    );
    assert!(
        report.contains("bob's role on shop changed to admin, developer"),
        "{report}"
    );
    assert!(!report.contains(TOKEN) && !report.contains(APPSECRET));
    let out = alice.run(&["audit", "--json"], None);
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    let flagged: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["authorized"] == false)
        .map(|r| r["commit"].as_str().unwrap())
        .collect();
    assert_eq!(flagged, [forged.as_str()]);
    assert!(rows.as_array().unwrap().len() >= 4, "{rows}");
    let rekeyed = alice.json()["revision"].as_u64().unwrap();
    let out = alice.run(&["audit", "--since", &rekeyed.to_string()], None);
    let recent = String::from_utf8_lossy(&out.stdout);
    assert!(
        !recent.contains("the team's vault") && recent.contains("rekey"),
        "{recent}"
    );
    assert!(
        recent.contains(&forged),
        "a flagged commit is always shown: {recent}"
    );
}

#[test]
fn an_owners_merge_never_signs_a_hand_edited_branch() {
    let t = Team::new(&[]);
    let alice = t.clone_of("alice");
    let bob = t.join("bob", true);
    bob.git(&["checkout", "-q", "-b", "roles"]);
    let mut v = bob.json();
    v["apps"]["shop"]["roster"]["bob"] = serde_json::json!(["admin", "developer"]);
    std::fs::write(
        bob.dir.join("mpvault.json"),
        serde_json::to_string_pretty(&v).unwrap() + "\n",
    )
    .unwrap();
    bob.commit("tidy");
    bob.git(&["push", "-q", "-u", "origin", "roles"]);
    alice.mp(&["config", "set", "shop", "API_BASE=https://a.example.com"]);
    alice.commit("a");
    alice.git(&["fetch", "-q"]);
    let before = alice.vault();
    let out = alice.git_output(&["merge", "--no-edit", "origin/roles"]);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("their side of the merge cannot be trusted"),
        "{said}"
    );
    assert_eq!(alice.vault(), before);
    alice.git(&["merge", "--abort"]);
    let roster: Value = serde_json::from_str(&alice.mp(&["roster", "shop", "--json"])).unwrap();
    let bob_roles = roster
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["handle"] == "bob")
        .map(|r| r["roles"].clone());
    assert_eq!(
        bob_roles,
        Some(serde_json::json!(["developer"])),
        "bob did not become an admin"
    );
}

#[test]
fn a_merge_that_needs_a_reader_names_who_can_finish_it() {
    let t = Team::new(&[]);
    let alice = t.clone_of("alice");
    let bob = t.join("bob", true);
    let carol = t.join("carol", true);
    alice.mp(&["rekey", "shop"]);
    alice.commit("rekey");
    alice.git(&["push", "-q"]);
    bob.git(&["checkout", "-q", "-b", "token"]);
    bob.mp_in(&["add-secret", "shop", "API_TOKEN", "--stdin"], Some(TOKEN));
    bob.commit("token");
    bob.git(&["push", "-q", "-u", "origin", "token"]);
    carol.git(&["pull", "-q", "--no-rebase", "--no-edit"]);
    let before = carol.vault();
    let out = carol.git_output(&["merge", "--no-edit", "origin/token"]);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains(
            "apps/shop/secrets/API_TOKEN: sealed under the developer key the other side replaced"
        ),
        "{said}"
    );
    assert!(said.contains("alice, bob can finish this merge"), "{said}");
    assert_eq!(carol.vault(), before);
    carol.git(&["merge", "--abort"]);
    // bob, who reads the level on both sides, finishes it.
    bob.git(&["checkout", "-q", "main"]);
    bob.git(&["pull", "-q", "--no-rebase", "--no-edit"]);
    bob.git(&["merge", "-q", "--no-edit", "token"]);
    assert_eq!(bob.get("API_TOKEN"), TOKEN);
}

#[test]
fn a_branch_that_restores_an_older_roster_is_refused_by_the_merge() {
    let t = Team::new(&[]);
    let alice = t.clone_of("alice");
    let bob = t.join("bob", true);
    alice.mp(&["member", "remove", "carol", "--yes"]);
    alice.commit("carol leaves");
    alice.git(&["push", "-q"]);
    // bob, with push access, branches from main and puts back the vault from before.
    bob.git(&["pull", "-q", "--no-rebase", "--no-edit"]);
    bob.git(&["checkout", "-q", "-b", "restore"]);
    let old = bob.git(&["show", "HEAD~1:mpvault.json"]);
    std::fs::write(bob.dir.join("mpvault.json"), old).unwrap();
    bob.commit("restore");
    bob.git(&["push", "-q", "-u", "origin", "restore"]);
    alice.mp(&["config", "set", "shop", "API_BASE=https://a.example.com"]);
    alice.commit("a");
    alice.git(&["fetch", "-q"]);
    let before = alice.vault();
    let out = alice.git_output(&["merge", "--no-edit", "origin/restore"]);
    assert!(!out.status.success(), "the merge must not succeed");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("older than the common ancestor's"), "{said}");
    assert_eq!(alice.vault(), before);
    assert!(alice.json()["members"].get("carol").is_none());
}

#[test]
fn the_same_config_value_set_on_both_sides_is_no_conflict() {
    let t = Team::new(&[]);
    let alice = t.clone_of("alice");
    let bob = t.join("bob", true);
    bob.mp(&["config", "set", "shop", "API_BASE=https://new.example.com"]);
    bob.commit("b");
    next_second();
    alice.mp(&["config", "set", "shop", "API_BASE=https://new.example.com"]);
    alice.commit("a, the same, later");
    alice.git(&["push", "-q"]);
    let alices = sealed_value(&alice.json(), &["config", "API_BASE"]).to_string();
    let out = bob.git_output(&["pull", "--no-rebase", "--no-edit"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(bob.get("API_BASE"), "https://new.example.com");
    let merged = bob.json();
    assert_eq!(
        sealed_value(&merged, &["config", "API_BASE"]),
        alices,
        "the later one is kept"
    );
    assert_eq!(
        merged["apps"]["shop"]["config"]["API_BASE"]["set_by"],
        "alice"
    );
}

#[test]
fn two_owners_granting_the_same_level_to_different_people_both_reach_it() {
    let t = Team::new(&[("dave", &[], true)]);
    let alice = t.clone_of("alice");
    let pay = "PayKey0123456789PayKey0123456789";
    alice.mp_in(
        &["add-secret", "shop", "WECHAT_PAY_API_V3_KEY", "--stdin"],
        Some(pay),
    );
    alice.commit("pay key");
    alice.git(&["push", "-q"]);
    let dave = t.join("dave", true);
    let bob = t.join("bob", true);
    let carol = t.join("carol", true);
    alice.mp(&["role", "grant", "bob", "shop", "admin"]);
    alice.commit("bob administers");
    alice.git(&["push", "-q"]);
    dave.mp(&["role", "grant", "carol", "shop", "admin"]);
    dave.commit("carol administers");
    dave.git(&["pull", "-q", "--no-rebase", "--no-edit"]);
    dave.git(&["push", "-q"]);
    for who in [&bob, &carol] {
        who.git(&["pull", "-q", "--no-rebase", "--no-edit"]);
        assert_eq!(who.get("WECHAT_PAY_API_V3_KEY"), pay, "{}", who.who.name);
    }
}

/// Regression: `audit` walked info, contact, config and secrets, but not per-mode config, so a
/// production build value relabelled by hand went unflagged.
#[test]
fn audit_flags_a_hand_edited_mode_value() {
    let t = Team::new(&[]);
    let alice = t.clone_of("alice");
    alice.mp(&[
        "config",
        "set",
        "shop",
        "API_BASE=https://api.example.com",
        "--mode",
        "production",
    ]);
    alice.commit("production API");
    let mut v = alice.json();
    v["apps"]["shop"]["modes"]["production"]["API_BASE"]["set_by"] = "bob".into();
    std::fs::write(
        alice.dir.join("mpvault.json"),
        serde_json::to_string_pretty(&v).unwrap() + "\n",
    )
    .unwrap();
    alice.commit("relabel");
    let forged = alice.git(&["rev-parse", "HEAD"]).trim().to_string();
    let out = alice.run(&["audit"], None);
    let report = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(exit::CORRUPT), "{report}");
    assert!(
        report.contains(&format!("UNAUTHORIZED {forged}"))
            && report.contains("modes/production/config/API_BASE"),
        "{report}"
    );
}
