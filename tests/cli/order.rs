//! Order, not clocks (issue "Trust 3", cases 8 and 9): every value is bound to the policy
//! revision it was written under, signed by its writer. Rotations due, which rotation a merge
//! keeps as current, and whether an earlier value may be restored follow revisions; the
//! writers' clocks are shown, never trusted.

use crate::common;

use common::repo::*;
use common::*;
use serde_json::Value;

const BOBS: &str = "b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0";

/// mpvault as `who`, with the system clock at `when` (libfaketime), reading `input`.
fn at_time(w: &World, who: &Person, when: &str, args: &[&str], input: &str) {
    let mpvault = w.std_cmd(who);
    let out = assert_cmd::Command::new("faketime")
        .arg(when)
        .arg(mpvault.get_program())
        .args(args)
        .current_dir(w.project())
        .env_clear()
        .envs(mpvault.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .write_stdin(input)
        .output()
        .expect("faketime is installed (tests/interop/install.sh)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn current_appsecret(w: &World) -> Value {
    let v: Value = serde_json::from_str(&w.vault_text()).unwrap();
    v["apps"]["shop"]["secrets"]["WECHAT_APPSECRET"]["versions"][0].clone()
}

/// Regression (Trust 3, case 9): a developer whose clock said 2096 wrote the AppSecret; after
/// their removal neither `member remove` nor `status` listed it to reset.
#[test]
fn a_writers_clock_in_the_future_does_not_hide_a_rotation_due() {
    let w = World::new();
    let (alice, bob, _) = team(&w);
    at_time(
        &w,
        &bob,
        "2096-01-01 00:00:00",
        &["rotate-secret", "shop", "--stdin"],
        BOBS,
    );
    assert_eq!(current_appsecret(&w)["set_at"], "2096-01-01T00:00:00Z");
    let removed = w.ok(&alice, &["member", "remove", "bob", "--yes"]);
    assert!(removed.is_empty());
    assert_eq!(rotations_due(&w, &alice), ["WECHAT_APPSECRET"]);
    // Only a new value clears it, whatever its writer's clock says.
    w.ok_stdin(
        &alice,
        &["rotate-secret", "shop", "--stdin"],
        &"a".repeat(32),
    );
    assert!(rotations_due(&w, &alice).is_empty());
}

/// The honest nearest move: a value written after a departure is not due, even when the
/// writer's clock is behind the owner's.
#[test]
fn a_value_written_after_a_departure_is_not_due_whatever_the_clocks() {
    let w = World::new();
    let (alice, bob, _) = team(&w);
    let dave = w.person("dave");
    w.join(&alice, &dave, &["developer"]);
    w.ok(&alice, &["member", "remove", "dave", "--yes"]);
    assert_eq!(rotations_due(&w, &alice), ["WECHAT_APPSECRET"]);
    at_time(
        &w,
        &bob,
        "2020-01-01 00:00:00",
        &["rotate-secret", "shop", "--stdin"],
        BOBS,
    );
    assert!(
        rotations_due(&w, &alice).is_empty(),
        "{:?}",
        rotations_due(&w, &alice)
    );
}

/// Regression (Trust 3, case 8): bob, removed, rotated the AppSecret on a branch cut before his
/// removal; the owner's merge kept bob's value as current and it was no longer listed as due.
#[test]
fn a_removed_members_old_branch_does_not_clear_a_rotation_due() {
    let t = Team::new(&[]);
    let alice = t.clone_of("alice");
    let bob = t.join("bob", true);
    bob.git(&["checkout", "-q", "-b", "bobs"]);
    alice.mp(&["member", "remove", "bob", "--yes"]);
    alice.commit("bob leaves");
    alice.git(&["push", "-q"]);
    next_second();
    bob.mp_in(&["rotate-secret", "shop", "--stdin"], Some(BOBS));
    bob.commit("bob rotates");
    bob.git(&["push", "-q", "-u", "origin", "bobs"]);
    alice.git(&["fetch", "-q"]);
    let out = alice.git_output(&["merge", "--no-edit", "origin/bobs"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = alice.run(&["status", "--json"], None);
    let status: Value = serde_json::from_slice(&out.stdout).unwrap();
    let due: Vec<&str> = status["apps"][0]["rotations_due"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(due, ["WECHAT_APPSECRET"], "{status}");
}

/// A value claiming a policy revision the file has not reached, or stripped of the revision it
/// was signed with, is refused.
#[test]
fn a_values_revision_cannot_be_edited() {
    let w = World::new();
    let (alice, bob, _) = team(&w);
    w.ok_stdin(&bob, &["rotate-secret", "shop", "--stdin"], BOBS);
    let signed = w.vault_text();
    edit(&w, |v| {
        v["apps"]["shop"]["secrets"]["WECHAT_APPSECRET"]["versions"][0]["revision"] =
            999_999.into();
    });
    let (code, _) = w.fails(&alice, &["get", "shop", "WECHAT_APPSECRET"]);
    assert_ne!(code, 0);
    std::fs::write(w.vault_path(), &signed).unwrap();
    edit(&w, |v| {
        v["apps"]["shop"]["secrets"]["WECHAT_APPSECRET"]["versions"][0]
            .as_object_mut()
            .unwrap()
            .remove("revision");
    });
    let (code, _) = w.fails(&alice, &["get", "shop", "WECHAT_APPSECRET"]);
    assert_ne!(code, 0);
    std::fs::write(w.vault_path(), &signed).unwrap();
    assert_eq!(w.ok(&alice, &["get", "shop", "WECHAT_APPSECRET"]), BOBS);
}

/// A restored version is marked as such in `history`, `git textconv` and `audit`.
#[test]
fn a_restored_version_is_shown_as_restored() {
    let w = World::new();
    let (alice, bob, _) = team(&w);
    w.git_with_vault();
    w.ok_stdin(&bob, &["rotate-secret", "shop", "--stdin"], BOBS);
    w.git(&["commit", "-qam", "typo"]);
    w.ok(&bob, &["rotate-secret", "shop", "--restore", "1"]);
    w.git(&["commit", "-qam", "restore"]);
    let table = w.ok(&alice, &["history", "shop", "WECHAT_APPSECRET"]);
    assert!(table.contains("restored v1"), "{table}");
    let json: Value =
        serde_json::from_str(&w.ok(&alice, &["history", "shop", "WECHAT_APPSECRET", "--json"]))
            .unwrap();
    assert_eq!(json[0]["restored"], 1);
    let text = w.ok(&alice, &["git", "textconv", "mpvault.json"]);
    assert!(text.contains("restored v1"), "{text}");
    let audit = w.ok(&alice, &["audit"]);
    assert!(audit.contains("restored v1"), "{audit}");
}
