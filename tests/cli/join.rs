//! Issue 20: joining through git with an invitation code (`member invite`, `join`,
//! `member approve`), and the attacks on it: a wrong code, another key under a real name, a
//! replayed request, an expired invitation. Each attack is refused and changes nothing.

use crate::common;

use common::repo::{git_cmd, Clone, Team};
use common::*;
use serde_json::Value;

/// `owner` invites `handle` with `args`; returns the code printed on stdout.
fn invite(w: &World, owner: &Person, handle: &str, args: &[&str]) -> String {
    let mut all = vec!["member", "invite", handle];
    all.extend(args);
    let code = w.ok(owner, &all).trim().to_string();
    assert!(code.starts_with("mpv-"), "{code}");
    code
}

/// A vault with alice (owner) and shop's AppSecret, and dave invited as a developer.
fn invited() -> (World, Person, String) {
    let w = World::new();
    let alice = w.owner_with_app();
    w.ok_stdin(&alice, &["add-secret", "shop", "--stdin"], APPSECRET);
    let code = invite(&w, &alice, "dave", &["--role", "shop=developer"]);
    (w, alice, code)
}

fn requests(w: &World) -> Vec<Value> {
    let v: Value = serde_json::from_str(&w.vault_text()).unwrap();
    v["requests"].as_array().cloned().unwrap_or_default()
}

/// A clone of the team's origin for someone who is not in the team yet.
fn newcomer_clone<'t>(t: &'t Team, who: &'t Person) -> Clone<'t> {
    let dir =
        t.w.project()
            .parent()
            .unwrap()
            .join(format!("clone-{}", who.name));
    let parent = dir.parent().unwrap().to_path_buf();
    succeeded(
        git_cmd(&t.w, who, &parent)
            .args(["clone", "-q", t.origin.to_str().unwrap()])
            .arg(&dir)
            .output()
            .unwrap(),
    );
    Clone { w: &t.w, who, dir }
}

/// The whole flow with five people and real git: alice invites dave; dave (no identity yet)
/// joins in his clone and pushes; erin, another owner, pulls and approves; dave pulls and
/// reads what a developer reads; carol, a tester, keeps reading as before.
#[test]
fn invite_join_push_approve_pull_lets_the_newcomer_read() {
    let t = Team::new(&[("erin", &[], true)]);
    let w = &t.w;
    let alice = t.clone_of("alice");
    let code = alice
        .mp(&["member", "invite", "dave", "--role", "shop=developer"])
        .trim()
        .to_string();
    assert!(
        !alice.vault().contains(&code[4..]),
        "the code is never stored"
    );
    alice.commit("invite dave");
    alice.git(&["push", "-q"]);

    let dave_person = w.stranger("dave");
    let dave = newcomer_clone(&t, &dave_person);
    let out = dave.run(&["join", "dave", "--code", &code.to_lowercase()], None);
    let said = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{said}");
    assert!(said.contains("Created your identity"), "{said}");
    assert!(said.contains("Your fingerprint:"), "{said}");
    dave.commit("dave asks to join");
    dave.git(&["push", "-q"]);

    let erin = t.join("erin", true);
    let said =
        String::from_utf8_lossy(&erin.run(&["member", "approve", "dave"], None).stderr).to_string();
    assert!(said.contains("Approved 'dave'"), "{said}");
    assert!(erin.json().get("requests").is_none(), "the request is gone");
    erin.commit("approve dave");
    erin.git(&["push", "-q"]);

    dave.git(&["pull", "-q"]);
    assert_eq!(dave.get("WECHAT_APPSECRET"), APPSECRET);
    let carol = t.join("carol", true);
    carol.mp(&["app", "list"]);
    let roster = dave.mp(&["roster", "shop"]);
    assert!(
        roster.contains("dave") && roster.contains("developer"),
        "{roster}"
    );
}

#[test]
fn a_wrong_code_is_refused_and_writes_no_request() {
    let (w, _alice, code) = invited();
    let dave = w.person("dave");
    // The right shape, other characters.
    let wrong = if code.ends_with('0') {
        format!("{}1", &code[..code.len() - 1])
    } else {
        format!("{}0", &code[..code.len() - 1])
    };
    refused_as(
        &w,
        &dave,
        &["join", "dave", "--code", &wrong],
        exit::DENIED,
        "that code does not match the invitation for 'dave'",
    );
    refused_as(
        &w,
        &dave,
        &["join", "dave", "--code", "hello"],
        exit::USAGE,
        "that is not an invitation code",
    );
    // Another name than the one invited.
    refused_as(
        &w,
        &dave,
        &["join", "mallory", "--code", &code],
        exit::NOT_FOUND,
        "nobody is invited as 'mallory'",
    );
}

/// mallory, who can push, swaps her own keys into dave's request (or writes one from
/// scratch): the MAC does not cover her keys, so no owner approves it.
#[test]
fn another_key_under_a_real_name_is_never_approved() {
    let (w, alice, code) = invited();
    let dave = w.person("dave");
    let mallory = w.person("mallory");
    w.ok(&dave, &["join", "dave", "--code", &code]);
    let line = w.public_line(&mallory);
    let mut parts = line.split_whitespace();
    let (key, signing) = (parts.next().unwrap(), parts.next().unwrap());
    edit(&w, |v| {
        let r = &mut v["requests"][0];
        r["key"] = key.into();
        r["signing_key"] = signing.into();
    });
    refused_as(
        &w,
        &alice,
        &["member", "approve", "dave"],
        exit::DENIED,
        "the join request for 'dave' does not prove the invitation code",
    );
    // Nor does it grant anything while it waits: mallory is no member.
    let (status, err) = w.fails(&mallory, &["get", "shop", "WECHAT_APPSECRET"]);
    assert_eq!(status, exit::DENIED, "{err}");
    // With the fingerprint dave read out, the forged request does not match either.
    let dave_print = {
        let out = w.cmd(&dave).args(["identity", "show"]).output().unwrap();
        let err = String::from_utf8(out.stderr).unwrap();
        err.trim()
            .trim_start_matches("signing key fingerprint: ")
            .to_string()
    };
    refused_as(
        &w,
        &alice,
        &["member", "approve", "dave", "--fingerprint", &dave_print],
        exit::DENIED,
        "no join request for 'dave' has the fingerprint",
    );
}

/// A request whose MAC is missing is approved only with the fingerprint the person read out.
#[test]
fn a_request_without_a_valid_mac_needs_the_fingerprint() {
    let (w, alice, code) = invited();
    let dave = w.person("dave");
    let said = String::from_utf8(
        w.cmd(&dave)
            .args(["join", "dave", "--code", &code])
            .output()
            .unwrap()
            .stderr,
    )
    .unwrap();
    let print = said
        .lines()
        .find_map(|l| l.strip_prefix("Your fingerprint: "))
        .unwrap()
        .split(" (")
        .next()
        .unwrap()
        .to_string();
    edit(&w, |v| v["requests"][0]["mac"] = "AAAA".into());
    refused_as(
        &w,
        &alice,
        &["member", "approve", "dave"],
        exit::DENIED,
        "does not prove the invitation code",
    );
    w.ok(
        &alice,
        &["member", "approve", "dave", "--fingerprint", &print],
    );
    assert_eq!(w.ok(&dave, &["get", "shop", "WECHAT_APPSECRET"]), APPSECRET);
}

/// dave joined and left; his old request, put back by anyone, is refused: the invitation was
/// used, and a new invitation does not accept an answer to the old one.
#[test]
fn a_request_replayed_after_removal_is_refused() {
    let (w, alice, code) = invited();
    let dave = w.person("dave");
    w.ok(&dave, &["join", "dave", "--code", &code]);
    let old = requests(&w)[0].clone();
    w.ok(&alice, &["member", "approve", "dave"]);
    w.ok(&alice, &["member", "remove", "dave", "--yes"]);
    edit(&w, |v| v["requests"] = Value::Array(vec![old.clone()]));
    refused_as(
        &w,
        &alice,
        &["member", "approve", "dave"],
        exit::DENIED,
        "the invitation for 'dave' was already used",
    );
    invite(&w, &alice, "dave", &[]);
    edit(&w, |v| v["requests"] = Value::Array(vec![old.clone()]));
    refused_as(
        &w,
        &alice,
        &["member", "approve", "dave"],
        exit::DENIED,
        "the join request for 'dave' answers an earlier invitation",
    );
}

#[test]
fn an_expired_invitation_is_refused_at_join_and_at_approval() {
    let w = World::new();
    let alice = w.owner_with_app();
    let dave = w.person("dave");
    let erin = w.person("erin");
    let late = invite(&w, &alice, "dave", &["--expires", "1s"]);
    let soon = invite(&w, &alice, "erin", &["--expires", "4s"]);
    w.ok(&erin, &["join", "erin", "--code", &soon]);
    std::thread::sleep(std::time::Duration::from_secs(5));
    refused_as(
        &w,
        &dave,
        &["join", "dave", "--code", &late],
        exit::DENIED,
        "the invitation for 'dave' expired",
    );
    refused_as(
        &w,
        &alice,
        &["member", "approve", "erin"],
        exit::DENIED,
        "the invitation for 'erin' expired",
    );
}

/// Two keys proving the same code mean it leaked; a second join with another key is refused.
#[test]
fn a_duplicate_request_with_another_key_is_refused() {
    let (w, _alice, code) = invited();
    let dave = w.person("dave");
    let thief = w.person("thief");
    w.ok(&dave, &["join", "dave", "--code", &code]);
    refused_as(
        &w,
        &thief,
        &["join", "dave", "--code", &code],
        exit::DENIED,
        "another key already asked to join as 'dave'",
    );
    // Running join again with the same identity is harmless.
    w.ok(&dave, &["join", "dave", "--code", &code]);
    assert_eq!(requests(&w).len(), 1);
}

/// Only owners invite and approve.
#[test]
fn only_owners_invite_and_approve() {
    let w = World::new();
    let (_alice, bob, _carol) = team(&w);
    refused_as(
        &w,
        &bob,
        &["member", "invite", "dave"],
        exit::DENIED,
        "only a vault owner can invite members",
    );
    refused_as(
        &w,
        &bob,
        &["member", "approve", "dave"],
        exit::DENIED,
        "only a vault owner can approve members",
    );
}

/// The manual path names the fingerprint to compare.
#[test]
fn member_add_prints_the_fingerprint_to_compare() {
    let w = World::new();
    let alice = w.owner_with_app();
    let bob = w.person("bob");
    let key = w.public_line(&bob);
    let out = w
        .cmd(&alice)
        .args(["member", "add", "bob", "--key", &key])
        .output()
        .unwrap();
    let said = String::from_utf8(out.stderr).unwrap();
    let print = mpvault::key::fingerprint(key.split_whitespace().nth(1).unwrap());
    assert!(
        said.contains(&format!("Added 'bob' (fingerprint {print})")),
        "{said}"
    );
    assert!(said.contains("Compare it with the fingerprint"), "{said}");
}

/// `git textconv`, `status` and `audit` show what waits: the invitation and the request.
#[test]
fn textconv_status_and_audit_show_pending_requests() {
    let w = World::new();
    let alice = w.owner_with_app();
    w.git_with_vault();
    let code = invite(&w, &alice, "dave", &["--role", "shop=tester"]);
    w.git(&["commit", "-qam", "invite dave"]);
    let dave = w.person("dave");
    w.ok(&dave, &["join", "dave", "--code", &code]);
    w.git(&["commit", "-qam", "dave asks"]);
    let text = w.ok(&alice, &["git", "textconv", "mpvault.json"]);
    assert!(text.contains("invitations:\n  dave by alice"), "{text}");
    assert!(text.contains("join requests (unsigned"), "{text}");
    assert!(!text.contains(&code[4..]), "{text}");
    let out = w.cmd(&alice).args(["status"]).output().unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("pending: 'dave' asks to join"), "{err}");
    let audit = w.ok(&alice, &["audit"]);
    assert!(audit.contains("'dave' was invited by alice"), "{audit}");
    assert!(audit.contains("a join request for 'dave'"), "{audit}");
}

/// Issue 20, item 3: bob's new laptop. His new key reads, his old one opens nothing new, his
/// roles stay, and no rotation is due.
#[test]
fn a_new_key_for_bob_keeps_him_reading_and_records_no_rotation_due() {
    let w = World::new();
    let (alice, bob, _carol) = team(&w);
    w.ok(
        &bob,
        &["config", "set", "shop", "API_BASE=https://api.example.com"],
    );
    let laptop = w.person("bob-laptop");
    let line = w.public_line(&laptop);
    let out = w
        .cmd(&alice)
        .args(["member", "key", "bob", "--key", &line])
        .output()
        .unwrap();
    let said = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{said}");
    assert!(said.contains("Replaced 'bob's key"), "{said}");
    assert_eq!(
        w.ok(&laptop, &["get", "shop", "WECHAT_APPSECRET"]),
        APPSECRET
    );
    assert_eq!(
        w.ok(&laptop, &["get", "shop", "API_BASE"]),
        "https://api.example.com",
        "what bob signed with his old key stays readable"
    );
    assert!(rotations_due(&w, &alice).is_empty());
    let roster = w.ok(&alice, &["roster", "shop"]);
    assert!(
        roster.contains("bob") && roster.contains("developer"),
        "{roster}"
    );
    let v: Value = serde_json::from_str(&w.vault_text()).unwrap();
    assert!(v.get("departures").is_none(), "no departure: {v}");
    let (code, err) = w.fails(&bob, &["get", "shop", "WECHAT_APPSECRET"]);
    assert_eq!(code, exit::DENIED, "{err}");
    // The new key writes too.
    w.ok_stdin(
        &laptop,
        &["rotate-secret", "shop", "--stdin"],
        &APPSECRET.replace('0', "1"),
    );
}

/// `--lost`: the old key is treated as departed, so what it could read is due for rotation;
/// bob keeps his roles and reads with the new key.
#[test]
fn a_lost_key_makes_rotations_due_and_keeps_the_roles() {
    let w = World::new();
    let (alice, _bob, _carol) = team(&w);
    let laptop = w.person("bob-laptop");
    let line = w.public_line(&laptop);
    w.ok(
        &alice,
        &["member", "key", "bob", "--key", &line, "--lost", "--yes"],
    );
    assert_eq!(rotations_due(&w, &alice), vec!["WECHAT_APPSECRET"]);
    assert_eq!(
        w.ok(&laptop, &["get", "shop", "WECHAT_APPSECRET"]),
        APPSECRET
    );
    let roster = w.ok(&alice, &["roster", "shop"]);
    assert!(
        roster.contains("bob") && roster.contains("developer"),
        "{roster}"
    );
}

#[test]
fn member_key_is_refused_to_others_and_for_a_taken_key() {
    let w = World::new();
    let (alice, bob, carol) = team(&w);
    let carol_line = w.public_line(&carol);
    refused_as(
        &w,
        &alice,
        &["member", "key", "bob", "--key", &carol_line],
        exit::EXISTS,
        "that key already belongs to 'carol'",
    );
    let laptop = w.person("bob-laptop");
    let line = w.public_line(&laptop);
    refused_as(
        &w,
        &bob,
        &["member", "key", "bob", "--key", &line],
        exit::DENIED,
        "only a vault owner can change members' keys",
    );
    refused_as(
        &w,
        &alice,
        &["member", "key", "alice", "--key", &line],
        exit::USAGE,
        "you cannot replace your own key",
    );
}

/// The code is a secret while it is open: left out of the command line, `join` reads it from
/// standard input (or a hidden prompt), so it never shows in the process list.
#[test]
fn join_reads_the_code_from_standard_input_when_it_is_not_an_argument() {
    let (w, alice, code) = invited();
    let dave = w.person("dave");
    w.ok_stdin(&dave, &["join", "dave"], &format!("{code}\n"));
    w.ok(&alice, &["member", "approve", "dave"]);
    assert_eq!(
        w.ok(&dave, &["get", "shop", "WECHAT_APPSECRET"]).trim(),
        APPSECRET
    );
    // Nothing on standard input is no code, said in one sentence.
    let erin = w.person("erin");
    let code = invite(&w, &alice, "erin", &["--role", "shop=tester"]);
    assert!(!code.is_empty());
    refused_as(
        &w,
        &erin,
        &["join", "erin"],
        exit::USAGE,
        "that is not an invitation code",
    );
}

/// Regression: an owner invites dave again because the first code leaked; a branch made before
/// that still carries the first invitation, and merging it put that one last, where `join` and
/// `approve` took it as the open one. The newest invitation for a name is the open one.
#[test]
fn a_withdrawn_invitation_does_not_come_back_from_a_merge() {
    let t = Team::new(&[("erin", &[], true)]);
    let alice = t.clone_of("alice");
    let leaked = alice.mp(&["member", "invite", "dave"]).trim().to_string();
    alice.commit("invite dave");
    alice.git(&["push", "-q"]);
    // erin works on a branch that still has the first invitation.
    let erin = t.join("erin", true);
    erin.mp(&["config", "set", "shop", "API_BASE=https://api.example.com"]);
    erin.commit("api base");
    erin.git(&["push", "-q"]);
    // Meanwhile alice withdraws the leaked code by inviting dave again, then merges erin's push.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let code = alice.mp(&["member", "invite", "dave"]).trim().to_string();
    alice.commit("invite dave again");
    alice.git(&["pull", "-q", "--no-rebase", "--no-edit"]);
    repo::no_markers(&alice);
    alice.git(&["push", "-q"]);

    let mallory_person = t.w.stranger("mallory");
    let mallory = newcomer_clone(&t, &mallory_person);
    let (status, said) = mallory.mp_fails(&["join", "dave", "--code", &leaked]);
    assert_eq!(status, exit::DENIED, "{said}");
    assert!(
        said.contains("that code does not match the invitation for 'dave'"),
        "{said}"
    );
    let dave_person = t.w.stranger("dave");
    let dave = newcomer_clone(&t, &dave_person);
    dave.mp(&["join", "dave", "--code", &code]);
}

/// mallory, who can push, copies alice's signed invitation into a look-alike vault that she
/// owns and signs, hoping dave (who trusts nothing yet) joins it and pins her as the owner. The
/// code binds the owners alice had, so dave's mpvault refuses it and writes nothing.
#[test]
fn a_look_alike_vault_carrying_a_real_invitation_is_refused_at_join() {
    let (w, _alice, code) = invited();
    let mallory_key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let mallory = w.person("mallory");
    let line = w.public_line(&mallory);
    let mut vault = mpvault::vault::Vault::parse(w.vault_text().as_bytes()).unwrap();
    for member in vault.members.values_mut() {
        member.owner = false;
    }
    vault.members.insert(
        "mallory".into(),
        mpvault::vault::Member {
            key: line.split_whitespace().next().unwrap().into(),
            signing_key: Some(mpvault::key::encode_signing_key(
                &mallory_key.verifying_key(),
            )),
            owner: true,
            service: false,
            added_by: "mallory".into(),
            added_at: "2026-01-01T00:00:00Z".into(),
        },
    );
    mpvault::vault::policy::sign(&mut vault, "mallory", &mallory_key).unwrap();
    std::fs::write(w.vault_path(), vault.to_json()).unwrap();
    assert!(
        mpvault::vault::policy::verify(&vault).is_some(),
        "the look-alike is self-consistent"
    );

    let dave = w.stranger("dave");
    refused_as(
        &w,
        &dave,
        &["join", "dave", "--code", &code],
        exit::CORRUPT,
        "the vault is not signed by an owner alice vouched for when inviting you",
    );
    assert!(requests(&w).is_empty());
}
