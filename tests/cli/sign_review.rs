//! `sign` signs exactly what it showed: the whole difference between the policy this clone
//! trusts and the policy it would sign, field by field, including what signing itself adds;
//! owner promotions and owners' key changes first, confirmed on their own; nothing for an
//! empty review; and revisions that never wrap.

use crate::common;

use common::*;
use serde_json::{json, Value};

const PAY_KEY: &str = "abcdefghijklmnopqrstuvwxyz012345";
/// `vault::limits::MAX_REVISION`: the highest policy revision a vault may carry.
const MAX_REVISION: u64 = 1 << 53;

fn json_of(w: &World) -> Value {
    serde_json::from_str(&w.vault_text()).unwrap()
}

fn unsign(v: &mut Value) {
    v.as_object_mut().unwrap().remove("signature");
}

/// A person's public line, split into the age key and the signing key.
fn keys_of(w: &World, who: &Person) -> (String, String) {
    let line = w.public_line(who);
    let (age, signing) = line.split_once(' ').unwrap();
    (age.to_string(), signing.to_string())
}

/// The short fingerprint `mpvault trust` shows for a signing key.
fn fingerprint(signing_key: &str) -> String {
    mpvault::key::fingerprint(signing_key)
}

/// Runs `sign` with `args` as `who`; returns (exit code, stderr).
fn sign(w: &World, who: &Person, args: &[&str]) -> (i32, String) {
    let out = w.cmd(who).arg("sign").args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// The review's list lines, in order.
fn review_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("- "))
        .collect()
}

fn position(lines: &[&str], says: &str) -> usize {
    lines
        .iter()
        .position(|l| l.contains(says))
        .unwrap_or_else(|| panic!("no line says '{says}' in {lines:#?}"))
}

/// The team, with an admin-level WeChat Pay key only alice reads.
fn team_with_pay_key(w: &World) -> (Person, Person, Person) {
    let (alice, bob, carol) = team(w);
    w.ok_stdin(
        &alice,
        &["add-secret", "shop", "WECHAT_PAY_API_V3_KEY", "--stdin"],
        PAY_KEY,
    );
    (alice, bob, carol)
}

/// Issue "Trust 3", case 6: bob puts a second key of his in his entry, makes himself an owner
/// and drops the signature. The review used to say only "bob's key changed".
#[test]
fn a_pushers_owner_promotion_is_shown_first_with_both_keys_and_confirmed_on_its_own() {
    let w = World::new();
    let (alice, bob, _carol) = team_with_pay_key(&w);
    let (old_key, old_signing) = keys_of(&w, &bob);
    let second = w.person("bob-laptop");
    let (new_key, new_signing) = keys_of(&w, &second);
    edit(&w, |v| {
        let bob = &mut v["members"]["bob"];
        bob["key"] = json!(new_key);
        bob["signing_key"] = json!(new_signing);
        bob["owner"] = json!(true);
        unsign(v);
    });
    let before = w.vault_text();

    // No terminal and no --yes: refused, after the whole review.
    let (code, err) = sign(&w, &alice, &[]);
    assert_eq!(code, exit::USAGE, "{err}");
    assert_eq!(w.vault_text(), before);
    let lines = review_lines(&err);
    let promoted = position(&lines, "bob was made an owner");
    let key = position(&lines, "bob's key changed");
    let signing = position(&lines, "bob's signing key changed");
    assert!(
        lines[key].contains(&old_key) && lines[key].contains(&new_key),
        "{}",
        lines[key]
    );
    assert!(
        lines[signing].contains(&fingerprint(&old_signing))
            && lines[signing].contains(&fingerprint(&new_signing)),
        "{}",
        lines[signing]
    );
    assert!(
        promoted < 3 && key < 3 && signing < 3,
        "owner changes come first: {lines:#?}"
    );
    // What signing itself would add: bob, now an owner, reads the admin level; the levels
    // still wrapped to bob's old key get new keys.
    position(
        &lines,
        "the readers of shop's admin key changed to alice, bob",
    );
    position(&lines, "the developer data key of shop was replaced");

    // --yes answers the review, not the owner change.
    let (code, err) = sign(&w, &alice, &["--yes"]);
    assert_eq!(code, exit::USAGE, "{err}");
    assert!(err.contains("--yes-owners"), "{err}");
    assert_eq!(w.vault_text(), before);
    assert!(w.fails(&bob, &["get", "shop", "WECHAT_PAY_API_V3_KEY"]).0 != 0);

    // Both answers: alice signed exactly what she saw.
    let (code, err) = sign(&w, &alice, &["--yes", "--yes-owners"]);
    assert_eq!(code, 0, "{err}");
    let signed = json_of(&w);
    assert_eq!(signed["members"]["bob"]["owner"], true);
    assert_eq!(signed["members"]["bob"]["key"], new_key.as_str());
    assert_eq!(
        w.ok(&second, &["get", "shop", "WECHAT_APPSECRET"]),
        APPSECRET
    );
    assert_eq!(
        w.ok(&second, &["get", "shop", "WECHAT_PAY_API_V3_KEY"]),
        PAY_KEY
    );
}

/// Answering no to the owner question at a terminal signs nothing, whatever comes next.
#[test]
fn an_owner_change_refused_at_the_terminal_signs_nothing() {
    let w = World::new();
    let (alice, _bob, _carol) = team(&w);
    edit(&w, |v| {
        v["members"]["carol"]["owner"] = json!(true);
        unsign(v);
    });
    let before = w.vault_text();
    let out = w.at_terminal(&alice, "sign", "n\\ny\\n", &[]);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("carol was made an owner"), "{said}");
    assert!(
        said.contains("Accept the owner changes listed first?"),
        "{said}"
    );
    assert!(!said.contains("Sign these changes?"), "{said}");
    assert_eq!(w.vault_text(), before);
}

/// Issue "Trust 3", case 4: after a developer's merge of two owners' role grants (as an earlier
/// driver wrote it), the owner who signs sees each role change with member, app and role ("ci was given a role on shop"),
/// not "member 'ci' was added"; and the floor signing records for bob's new secret.
#[test]
fn a_developers_merge_of_two_role_grants_is_reviewed_role_by_role() {
    let w = World::new();
    let (alice, bob, _carol) = team(&w);
    let dave = w.person("dave");
    let ci = w.person("ci");
    let dave_key = w.public_line(&dave);
    w.ok(
        &alice,
        &["member", "add", "dave", "--key", &dave_key, "--owner"],
    );
    w.ok(
        &alice,
        &["member", "add", "ci", "--key", &w.public_line(&ci)],
    );
    w.ok(&dave, &["app", "list"]);
    w.ok(&bob, &["app", "list"]);
    let base = w.vault_text();

    w.ok(&alice, &["role", "grant", "carol", "shop", "developer"]);
    let ours = w.vault_text();
    std::fs::write(w.vault_path(), &base).unwrap();
    w.ok(&dave, &["role", "grant", "ci", "shop", "tester"]);
    w.ok_stdin(
        &bob,
        &["add-secret", "shop", "API_TOKEN", "--stdin"],
        "t0ken",
    );
    let theirs = w.vault_text();

    // Combined as an earlier mpvault's driver left a developer's merge: both sides' roles and
    // keys, no signature (today's driver stops such a merge and names the owners instead).
    let ours: Value = serde_json::from_str(&ours).unwrap();
    let mut merged: Value = serde_json::from_str(&theirs).unwrap();
    let shop = &mut merged["apps"]["shop"];
    shop["roster"]["carol"] = ours["apps"]["shop"]["roster"]["carol"].clone();
    shop["keys"]["developer"] = ours["apps"]["shop"]["keys"]["developer"].clone();
    merged["revision"] = ours["revision"].clone();
    unsign(&mut merged);
    std::fs::write(
        w.vault_path(),
        serde_json::to_string_pretty(&merged).unwrap() + "\n",
    )
    .unwrap();
    assert!(json_of(&w).get("signature").is_none(), "bob cannot sign");

    let (code, err) = sign(&w, &alice, &["--yes"]);
    assert_eq!(code, 0, "{err}");
    let lines = review_lines(&err);
    position(&lines, "ci was given a role on shop: tester");
    position(&lines, "the readers of shop's team key changed to");
    position(
        &lines,
        "API_TOKEN of shop may be stored at the developer level or above",
    );
    assert!(
        !err.contains("member 'ci' was added"),
        "ci was a member already: {err}"
    );
    assert!(
        !err.contains("carol's role") && !err.contains("carol was given"),
        "alice signed carol's role herself: {err}"
    );
    let signed = json_of(&w);
    assert_eq!(signed["apps"]["shop"]["floors"]["API_TOKEN"], "developer");
    assert_eq!(signed["apps"]["shop"]["roster"]["ci"], json!(["tester"]));
}

/// A member's signing key, a level's readers, a floor, a departure and the health rules each
/// have their own line; what signing puts back (the reader it would re-wrap to) has its own.
#[test]
fn every_kind_of_policy_change_has_its_own_line_in_the_review() {
    let w = World::new();
    let (alice, _bob, carol) = team(&w);
    let (carol_key, carol_signing) = keys_of(&w, &carol);
    let (_, other_signing) = keys_of(&w, &w.person("carol-phone"));
    edit(&w, |v| {
        v["members"]["carol"]["signing_key"] = json!(other_signing);
        let shop = &mut v["apps"]["shop"];
        shop["keys"]["team"]["readers"] = json!(["alice", "bob"]);
        shop["floors"]["API_TOKEN"] = json!("admin");
        v["departures"] = json!([{
            "handle": "carol", "key": carol_key, "kind": "revoked",
            "at": "2026-01-01T00:00:00Z", "by": "alice", "revision": 2,
            "lost": ["shop/team"],
        }]);
        v["rules"] = json!({"icp_required": false, "max_age_days": {"WECHAT_APPSECRET": null}});
        unsign(v);
    });
    let before = w.vault_text();
    let (code, err) = sign(&w, &alice, &[]);
    assert_eq!(code, exit::USAGE, "{err}");
    assert_eq!(w.vault_text(), before);
    let lines = review_lines(&err);
    let signing = position(&lines, "carol's signing key changed");
    assert!(lines[signing].contains(&fingerprint(&carol_signing)));
    assert!(lines[signing].contains(&fingerprint(&other_signing)));
    let removed = position(
        &lines,
        "the readers of shop's team key changed to alice, bob (removed: carol)",
    );
    position(
        &lines,
        "API_TOKEN of shop may be stored at the admin level or above",
    );
    position(&lines, "carol is recorded as revoked (lost: shop/team)");
    position(
        &lines,
        "the health rules changed: an ICP filing number is no longer required",
    );
    position(
        &lines,
        "the health rules changed: WECHAT_APPSECRET has no age limit",
    );
    // Signing would re-wrap the team key to carol again: shown after what the file changed.
    let added = position(
        &lines,
        "the readers of shop's team key changed to alice, bob, carol (added: carol)",
    );
    assert!(removed < added, "{lines:#?}");
    position(&lines, "policy revision");
}

/// An unsigned file whose policy is the one this clone trusts (only the signature was
/// dropped) used to be signed again at a new revision: it is an empty review.
#[test]
fn a_stripped_signature_alone_is_an_empty_review_and_signs_nothing() {
    let w = World::new();
    let (alice, _bob, _carol) = team(&w);
    let revision = json_of(&w)["revision"].as_u64().unwrap();
    edit(&w, unsign);
    let says = format!(
        "the policy in mpvault.json is the one signed at revision {revision}, with its signature removed"
    );
    refused(&w, &alice, &["sign", "--yes"], &says);
    let (_, err) = w.fails(&alice, &["sign", "--yes"]);
    assert!(err.contains("restore mpvault.json from git"), "{err}");
}

/// Issue "Trust 3", case 10: an unsigned file at revision 2^64-2, signed by the owner, then
/// `member remove bob` wrote revision 0 — a vault nobody opens.
#[test]
fn a_revision_near_the_top_of_u64_is_refused_as_damaged() {
    let w = World::new();
    let (alice, _bob, _carol) = team(&w);
    edit(&w, |v| {
        v["revision"] = json!(18_446_744_073_709_551_614u64);
        unsign(v);
    });
    let says = "policy revision 18446744073709551614";
    refused(&w, &alice, &["sign", "--yes"], says);
    refused(&w, &alice, &["member", "remove", "bob", "--yes"], says);
    let (_, err) = w.fails(&alice, &["sign", "--yes"]);
    assert!(err.contains("restore it from git"), "{err}");
}

/// The highest revision is reached once, shown as a jump; the next policy change is refused
/// with a sentence, the file unchanged; writes that change no policy go on.
#[test]
fn the_last_revision_is_signed_once_and_the_next_policy_change_is_refused() {
    let w = World::new();
    let (alice, bob, _carol) = team(&w);
    let trusted = json_of(&w)["revision"].as_u64().unwrap();
    edit(&w, |v| {
        v["revision"] = json!(MAX_REVISION - 1);
        v["apps"]["shop"]["floors"]["API_TOKEN"] = json!("admin");
        unsign(v);
    });
    let (code, err) = sign(&w, &alice, &["--yes"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(&format!("policy revision {trusted} → {MAX_REVISION}")),
        "{err}"
    );
    assert_eq!(json_of(&w)["revision"], MAX_REVISION);
    refused(
        &w,
        &alice,
        &["member", "remove", "bob", "--yes"],
        "the policy is at revision 9007199254740992, the highest mpvault signs",
    );
    let rotated = "fedcba9876543210fedcba9876543210";
    w.ok_stdin(&alice, &["rotate-secret", "shop", "--stdin"], rotated);
    assert_eq!(w.ok(&bob, &["get", "shop", "WECHAT_APPSECRET"]), rotated);
}

/// Honest moves at ordinary revisions still sign at the next one.
#[test]
fn an_ordinary_policy_change_still_signs_at_the_next_revision() {
    let w = World::new();
    let (alice, _bob, _carol) = team(&w);
    let before = json_of(&w)["revision"].as_u64().unwrap();
    w.ok(&alice, &["member", "remove", "bob", "--yes"]);
    assert_eq!(json_of(&w)["revision"], before + 1);
}

/// On a clone that remembers no policy (alice on a new machine), everything is listed as new
/// and every owner but the signer is an owner change to confirm.
#[test]
fn a_clone_without_memory_lists_everything_and_asks_about_every_other_owner() {
    let w = World::new();
    let (alice, _bob, _carol) = team(&w);
    edit(&w, |v| {
        v["members"]["bob"]["owner"] = json!(true);
        unsign(v);
    });
    let laptop = w.stranger("alice-laptop");
    let from = alice.home.join(".config/mpvault/identity.txt");
    let to = laptop.home.join(".config/mpvault/identity.txt");
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(from, &to).unwrap();
    let (code, err) = sign(&w, &laptop, &["--yes"]);
    assert_eq!(code, exit::USAGE, "{err}");
    assert!(err.contains("remembers no policy"), "{err}");
    let lines = review_lines(&err);
    assert!(
        position(&lines, "member 'bob' was added as an owner") == 0,
        "{lines:#?}"
    );
    position(&lines, "member 'carol' was added");
    position(&lines, "carol was given a role on shop: tester");
    let (code, err) = sign(&w, &laptop, &["--yes", "--yes-owners"]);
    assert_eq!(code, 0, "{err}");
}
