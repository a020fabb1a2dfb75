//! `audit` reads every commit of the vault file: each rule it judges history by, tested
//! through a real git history, with its `UNAUTHORIZED <hash>: <sentence>` line and exit 5.

use crate::common;

use common::repo::*;
use common::*;

/// Runs `audit` in `c`; asserts exit 5 and that the commit `hash` is flagged with `says`.
fn flagged(c: &Clone, hash: &str, says: &str) {
    let out = c.run(&["audit"], None);
    let report = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(
        out.status.code(),
        Some(exit::CORRUPT),
        "{report}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A commit may break several rules, one line each: the rule under test is among them.
    let prefix = format!("UNAUTHORIZED {hash}: ");
    let lines: Vec<&str> = report
        .lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with(&prefix))
        .collect();
    assert!(!lines.is_empty(), "{hash} is not flagged:\n{report}");
    assert!(
        lines.iter().any(|l| l[prefix.len()..].starts_with(says)),
        "expected '{says}' among:\n{}",
        lines.join("\n")
    );
}

/// Runs `audit` in `c` and asserts the history as it is passes: the positive control that
/// makes the flagged commit after it the only thing the audit can object to.
fn honest(c: &Clone) {
    let out = c.run(&["audit"], None);
    assert_eq!(
        out.status.code(),
        Some(exit::SUCCESS),
        "positive control: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn write_json(c: &Clone, v: &serde_json::Value) {
    std::fs::write(
        c.dir.join("mpvault.json"),
        serde_json::to_string_pretty(v).unwrap() + "\n",
    )
    .unwrap();
}

fn head(c: &Clone) -> String {
    c.git(&["rev-parse", "HEAD"]).trim().to_string()
}

/// An owner erases bob's departure by hand and signs the result: the signature verifies and
/// the revision goes up, but the departure is gone.
#[test]
fn audit_flags_an_erased_departure() {
    let t = Team::new(&[]);
    let alice = t.clone_of("alice");
    alice.mp(&["member", "remove", "bob", "--yes"]);
    alice.commit("bob leaves");
    let out = alice.run(&["audit"], None);
    assert_eq!(
        out.status.code(),
        Some(exit::SUCCESS),
        "positive control: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let mut v = alice.json();
    v.as_object_mut().unwrap().remove("departures");
    std::fs::write(
        alice.dir.join("mpvault.json"),
        serde_json::to_string_pretty(&v).unwrap() + "\n",
    )
    .unwrap();
    // (`sign` shows the erasure and an owner may sign it; audit is where it is caught.)
    alice.mp(&["sign", "--yes"]);
    alice.commit("erase");
    let erased = head(&alice);
    flagged(&alice, &erased, "it erased the record that bob was removed");
}

/// The newest version of a secret dropped by hand: the policy is untouched and still signed.
#[test]
fn audit_flags_a_dropped_version() {
    let t = Team::new(&[]);
    let alice = t.clone_of("alice");
    alice.mp_in(&["rotate-secret", "shop", "--stdin"], Some(&"a".repeat(32)));
    alice.commit("rotate");
    let out = alice.run(&["audit"], None);
    assert_eq!(out.status.code(), Some(exit::SUCCESS), "positive control");
    let mut v = alice.json();
    v["apps"]["shop"]["secrets"]["WECHAT_APPSECRET"]["versions"]
        .as_array_mut()
        .unwrap()
        .remove(0);
    std::fs::write(
        alice.dir.join("mpvault.json"),
        serde_json::to_string_pretty(&v).unwrap() + "\n",
    )
    .unwrap();
    alice.commit("drop");
    let dropped = head(&alice);
    flagged(
        &alice,
        &dropped,
        "it dropped version 2 of WECHAT_APPSECRET of 'shop' (now version 1)",
    );
}

/// mallory commits her own vault (same app, alice and bob as members, signed by mallory) over
/// the team's: every signature in it verifies, but it is another vault.
#[test]
fn audit_flags_a_replaced_vault_id() {
    let t = Team::new(&[]);
    let alice = t.clone_of("alice");
    honest(&alice);
    let team_id = alice.json()["vault_id"].as_str().unwrap().to_string();
    let theirs = lookalike_vault(&t.w, t.person("alice"), t.person("bob"));
    std::fs::remove_dir_all(alice.dir.join("elsewhere")).unwrap();
    let their_id = serde_json::from_str::<serde_json::Value>(&theirs).unwrap()["vault_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(team_id, their_id);
    std::fs::write(alice.dir.join("mpvault.json"), theirs).unwrap();
    alice.commit("replace the vault");
    let replaced = head(&alice);
    flagged(
        &alice,
        &replaced,
        &format!("it replaced vault {team_id} with another vault, {their_id}"),
    );
}

/// dave, an admin (he holds every data key, so he can re-wrap them all), marks himself an
/// owner in the file and signs that with his own key: the signature verifies against the
/// file's own owner list, but dave was no owner before. (He signs with a fresh trust memory,
/// as any tool of his own would: his clone's memory of alice would refuse it.)
#[test]
fn audit_flags_a_policy_signed_by_someone_who_was_not_an_owner() {
    let t = Team::new(&[("dave", &["admin"], false)]);
    let dave = t.join("dave", true);
    honest(&dave);
    let mut v = dave.json();
    v["members"]["dave"]["owner"] = true.into();
    write_json(&dave, &v);
    let fresh = tempfile::tempdir().unwrap();
    let out =
        t.w.cmd(dave.who)
            .current_dir(&dave.dir)
            .env("XDG_DATA_HOME", fresh.path())
            .args(["sign", "--yes", "--yes-owners"])
            .output()
            .unwrap();
    succeeded(out);
    dave.commit("dave signs himself in");
    let promoted = head(&dave);
    flagged(
        &dave,
        &promoted,
        "its policy is signed by 'dave', who was not an owner before it",
    );
}

/// The AppSecret's newest version relabelled as carol's (a tester): she cannot read the
/// developer level, so no value of it can be hers. (Her key does not verify alice's signature
/// either; the test after this one isolates the reader half of the rule.)
#[test]
fn audit_flags_a_value_not_signed_by_a_reader_of_its_level() {
    let t = Team::new(&[]);
    let alice = t.clone_of("alice");
    honest(&alice);
    let mut v = alice.json();
    let newest = &mut v["apps"]["shop"]["secrets"]["WECHAT_APPSECRET"]["versions"][0];
    newest["set_by"] = "carol".into();
    if newest.get("sealed_by").is_some() {
        newest["sealed_by"] = "carol".into();
    }
    write_json(&alice, &v);
    alice.commit("carol's secret");
    let forged = head(&alice);
    flagged(
        &alice,
        &forged,
        "secrets/WECHAT_APPSECRET of 'shop' is not signed by 'carol' as a reader of its developer level",
    );
}

/// bob's API_TOKEN, validly signed by bob while he was a developer, put back after alice
/// revoked his role: the signature verifies, but bob no longer reads the developer level, so
/// the reader rule (not the signature check) is what flags it.
#[test]
fn audit_flags_a_value_put_back_from_a_writer_who_no_longer_reads_its_level() {
    let t = Team::new(&[]);
    let alice = t.clone_of("alice");
    let bob = t.join("bob", true);
    bob.mp_in(
        &["add-secret", "shop", "API_TOKEN", "--stdin"],
        Some("tok-1"),
    );
    bob.commit("bob's token");
    bob.git(&["push", "-q"]);
    let bobs = bob.json()["apps"]["shop"]["secrets"]["API_TOKEN"].clone();
    alice.git(&["pull", "-q", "--no-rebase"]);
    alice.mp(&["role", "revoke", "bob", "shop", "developer", "--yes"]);
    alice.commit("bob is no developer");
    honest(&alice);
    let mut v = alice.json();
    v["apps"]["shop"]["secrets"]["API_TOKEN"] = bobs;
    write_json(&alice, &v);
    alice.commit("bob's token back");
    let put_back = head(&alice);
    flagged(
        &alice,
        &put_back,
        "secrets/API_TOKEN of 'shop' is not signed by 'bob' as a reader of its developer level",
    );
}
