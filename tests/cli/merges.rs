//! Merges never block the team (issue "Trust 3", points 4 and 5): with real git and the driver
//! installed by `mpvault git setup`. A merge that needs an owner's signature, made by someone
//! who is not an owner, stops with a conflict naming the owners, and leaves a working vault;
//! roles merge as sets; every conflicting path is named; an identity that was named but cannot
//! be used is an error, never a merge without keys.

use crate::common;

use std::path::Path;
use std::process::Output;

use common::repo::*;
use common::*;
use serde_json::Value;

/// `c` merges `branch` into what they have checked out; returns git's output and what it said.
fn merge(c: &Clone, branch: &str) -> (Output, String) {
    let out = c.git_output(&["merge", "--no-edit", branch]);
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out, said)
}

/// The merge stops: git reports a conflict, OURS is as it was, with no conflict markers.
fn stops(c: &Clone, branch: &str) -> String {
    let before = c.vault();
    let (out, said) = merge(c, branch);
    assert!(!out.status.success(), "the merge must stop: {said}");
    assert_eq!(c.vault(), before, "OURS is left as it was: {said}");
    no_markers(c);
    said
}

fn merges(c: &Clone, branch: &str) -> String {
    let (out, said) = merge(c, branch);
    assert!(out.status.success(), "{}: {said}", c.who.name);
    no_markers(c);
    said
}

/// The roles `handle` holds on shop, as `roster --json` lists them.
fn roles(c: &Clone, handle: &str) -> Vec<String> {
    let roster: Value = serde_json::from_str(&c.mp(&["roster", "shop", "--json"])).unwrap();
    roster
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["handle"] == handle)
        .map(|r| serde_json::from_value(r["roles"].clone()).unwrap())
        .unwrap_or_default()
}

/// CI: no memory, the owners pinned by `MPVAULT_TRUSTED_OWNERS`, `who`'s key in
/// `MPVAULT_IDENTITY`; reads the AppSecret in `c`'s work tree.
fn ci_reads(t: &Team, c: &Clone, who: &Person) -> Output {
    let trust: Value = serde_json::from_str(&c.mp(&["trust", "--json"])).unwrap();
    let prints: Vec<&str> = trust["owners_in_vault"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["fingerprint"].as_str().unwrap())
        .collect();
    let key = std::fs::read_to_string(who.home.join(".config/mpvault/identity.txt")).unwrap();
    let ci = t.w.stranger("ci");
    t.w.cmd(&ci)
        .current_dir(&c.dir)
        .env("MPVAULT_IDENTITY", key)
        .env("MPVAULT_TRUSTED_OWNERS", prints.join(","))
        .args(["get", "shop", "WECHAT_APPSECRET"])
        .output()
        .unwrap()
}

/// dave (an owner) grants carol a developer on branch `roles`; alice (an owner) grants bob
/// operator on main. Both sides change who may read what.
fn two_owners_change_roles(t: &Team) {
    let alice = t.clone_of("alice");
    let dave = t.join("dave", true);
    dave.git(&["checkout", "-q", "-b", "roles"]);
    dave.mp(&["role", "grant", "carol", "shop", "developer"]);
    dave.commit("carol develops");
    dave.git(&["push", "-q", "-u", "origin", "roles"]);
    alice.mp(&["role", "grant", "bob", "shop", "operator"]);
    alice.commit("bob operates");
    alice.git(&["push", "-q"]);
}

#[test]
fn a_developers_merge_of_two_owners_role_changes_stops_and_names_the_owners() {
    let t = Team::new(&[("dave", &[], true)]);
    let bob = t.join("bob", true);
    let carol = t.join("carol", true);
    two_owners_change_roles(&t);
    bob.git(&["pull", "-q", "--no-rebase", "--no-edit"]);
    bob.git(&["fetch", "-q"]);
    let said = stops(&bob, "origin/roles");
    assert!(
        said.contains("ask an owner (alice, dave) to merge these branches"),
        "{said}"
    );
    assert!(
        said.contains("carol"),
        "what the other side changed: {said}"
    );
    // The work tree keeps bob's side, signed: bob and CI still read it mid-merge.
    assert_eq!(bob.json()["signature"]["signer"], "alice");
    assert_eq!(bob.get("WECHAT_APPSECRET"), APPSECRET);
    let out = ci_reads(&t, &bob, t.person("bob"));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        APPSECRET,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    bob.git(&["merge", "--abort"]);
    // An owner's merge of the same branches is signed and works for everyone.
    let alice = t.clone_of("alice");
    alice.git(&["fetch", "-q"]);
    merges(&alice, "origin/roles");
    let merged = alice.json();
    assert_eq!(merged["signature"]["signer"], "alice");
    alice.git(&["push", "-q"]);
    bob.git(&["pull", "-q", "--no-rebase", "--no-edit"]);
    assert_eq!(bob.get("WECHAT_APPSECRET"), APPSECRET);
    assert_eq!(roles(&bob, "bob"), ["operator", "developer"]);
    carol.git(&["pull", "-q", "--no-rebase", "--no-edit"]);
    assert_eq!(
        carol.get("WECHAT_APPSECRET"),
        APPSECRET,
        "carol now develops"
    );
    let out = ci_reads(&t, &carol, t.person("carol"));
    assert_eq!(String::from_utf8_lossy(&out.stdout), APPSECRET);
}

#[test]
fn a_developers_merge_of_value_changes_completes() {
    let t = Team::new(&[]);
    let alice = t.clone_of("alice");
    let bob = t.join("bob", true);
    bob.git(&["checkout", "-q", "-b", "token"]);
    bob.mp_in(
        &["add-secret", "shop", "API_TOKEN", "--stdin"],
        Some("tok-0123456789"),
    );
    bob.commit("token");
    bob.git(&["push", "-q", "-u", "origin", "token"]);
    alice.mp(&["config", "set", "shop", "API_BASE=https://a.example.com"]);
    alice.commit("config");
    alice.git(&["push", "-q"]);
    bob.git(&["checkout", "-q", "main"]);
    bob.git(&["pull", "-q", "--no-rebase", "--no-edit"]);
    let signature = bob.json()["signature"].clone();
    merges(&bob, "token");
    assert_eq!(bob.json()["signature"], signature, "the signature stands");
    assert_eq!(bob.get("API_TOKEN"), "tok-0123456789");
    assert_eq!(bob.get("API_BASE"), "https://a.example.com");
}

#[test]
fn a_developers_merge_keeps_the_one_side_that_changed_the_policy() {
    let t = Team::new(&[("dave", &[], true)]);
    let dave = t.join("dave", true);
    let bob = t.join("bob", true);
    dave.git(&["checkout", "-q", "-b", "roles"]);
    dave.mp(&["role", "grant", "carol", "shop", "operator"]);
    dave.commit("carol operates");
    dave.git(&["push", "-q", "-u", "origin", "roles"]);
    bob.mp(&["config", "set", "shop", "API_BASE=https://b.example.com"]);
    bob.commit("config");
    bob.git(&["fetch", "-q"]);
    merges(&bob, "origin/roles");
    assert_eq!(bob.json()["signature"]["signer"], "dave");
    assert_eq!(roles(&bob, "carol"), ["operator", "tester"]);
    assert_eq!(bob.get("API_BASE"), "https://b.example.com");
}

#[test]
fn roles_granted_on_two_branches_merge_as_sets() {
    let t = Team::new(&[("dave", &[], true)]);
    let alice = t.clone_of("alice");
    let dave = t.join("dave", true);
    let carol = t.join("carol", true);
    // The case: operator on one branch, data-analyst on the other.
    dave.git(&["checkout", "-q", "-b", "analyst"]);
    dave.mp(&["role", "grant", "carol", "shop", "data-analyst"]);
    dave.commit("carol analyses");
    dave.git(&["push", "-q", "-u", "origin", "analyst"]);
    alice.mp(&["role", "grant", "carol", "shop", "operator"]);
    alice.commit("carol operates");
    alice.git(&["fetch", "-q"]);
    merges(&alice, "origin/analyst");
    assert_eq!(alice.json()["signature"]["signer"], "alice");
    assert_eq!(
        roles(&alice, "carol"),
        ["operator", "data-analyst", "tester"]
    );
    alice.git(&["push", "-q"]);
    // A grant on one side and a revoke on the other combine; operator, which the ancestor
    // held and one side revoked, is gone although the other side kept it.
    dave.git(&["checkout", "-q", "main"]);
    dave.git(&["pull", "-q", "--no-rebase", "--no-edit"]);
    dave.git(&["checkout", "-q", "-b", "revoke"]);
    dave.mp(&["role", "revoke", "carol", "shop", "operator"]);
    dave.commit("carol stops operating");
    alice.mp(&["role", "grant", "carol", "shop", "developer"]);
    alice.commit("carol develops");
    alice.git(&["push", "-q"]);
    dave.git(&["fetch", "-q"]);
    merges(&dave, "origin/main");
    assert_eq!(dave.json()["signature"]["signer"], "dave");
    assert_eq!(
        roles(&dave, "carol"),
        ["developer", "data-analyst", "tester"]
    );
    dave.git(&["push", "-q", "origin", "revoke:main"]);
    carol.git(&["pull", "-q", "--no-rebase", "--no-edit"]);
    assert_eq!(carol.get("WECHAT_APPSECRET"), APPSECRET);
}

#[test]
fn a_conflict_next_to_a_roster_change_names_every_conflicting_path() {
    let t = Team::new(&[("dave", &[], true)]);
    let alice = t.clone_of("alice");
    let dave = t.join("dave", true);
    let bob = t.join("bob", true);
    dave.git(&["checkout", "-q", "-b", "theirs"]);
    dave.mp(&["role", "grant", "carol", "shop", "data-analyst"]);
    dave.mp_in(
        &[
            "add-secret",
            "shop",
            "API_TOKEN",
            "--access",
            "admin",
            "--stdin",
        ],
        Some("tok-dave-0123456789"),
    );
    dave.mp(&[
        "config",
        "set",
        "shop",
        "API_BASE=https://d.example.com",
        "CDN=https://cdn-d.example.com",
    ]);
    dave.commit("dave's changes");
    dave.git(&["push", "-q", "-u", "origin", "theirs"]);
    alice.mp(&["role", "grant", "carol", "shop", "operator"]);
    alice.mp_in(
        &[
            "add-secret",
            "shop",
            "API_TOKEN",
            "--access",
            "developer",
            "--stdin",
        ],
        Some("tok-alice-0123456789"),
    );
    alice.mp(&[
        "config",
        "set",
        "shop",
        "API_BASE=https://a.example.com",
        "CDN=https://cdn-a.example.com",
    ]);
    alice.commit("alice's changes");
    alice.git(&["push", "-q"]);
    alice.git(&["fetch", "-q"]);
    let said = stops(&alice, "origin/theirs");
    for path in [
        "apps/shop/secrets/API_TOKEN",
        "apps/shop/config/API_BASE",
        "apps/shop/config/CDN",
    ] {
        assert!(said.contains(path), "{path} in: {said}");
    }
    assert!(!said.contains("roster"), "roles merge as sets: {said}");
    alice.git(&["merge", "--abort"]);
    // A developer merging the same branches is told all of it, and who can sign.
    bob.git(&["pull", "-q", "--no-rebase", "--no-edit"]);
    bob.git(&["fetch", "-q"]);
    let said = stops(&bob, "origin/theirs");
    for path in [
        "apps/shop/secrets/API_TOKEN",
        "apps/shop/config/API_BASE",
        "apps/shop/config/CDN",
    ] {
        assert!(said.contains(path), "{path} in: {said}");
    }
    assert!(
        said.contains("ask an owner (alice, dave) to merge these branches"),
        "{said}"
    );
}

/// bob's clone with a config change on main and a secret on `token`, ready to merge: a merge
/// that needs no key. Returns the three copies git would hand the driver.
fn a_merge_that_needs_no_key(t: &Team) -> (Clone<'_>, [std::path::PathBuf; 3]) {
    let alice = t.clone_of("alice");
    let bob = t.join("bob", true);
    alice.mp(&["config", "set", "shop", "API_BASE=https://a.example.com"]);
    alice.commit("config");
    alice.git(&["push", "-q"]);
    bob.mp(&["config", "set", "shop", "CDN=https://cdn.example.com"]);
    bob.commit("cdn");
    bob.git(&["fetch", "-q"]);
    let base_rev = bob.git(&["merge-base", "HEAD", "origin/main"]);
    let copies = t.w.project().parent().unwrap().join("copies");
    std::fs::create_dir_all(&copies).unwrap();
    let files = [
        (base_rev.trim().to_string(), "base"),
        ("HEAD".to_string(), "ours"),
        ("origin/main".to_string(), "theirs"),
    ]
    .map(|(rev, name)| {
        let path = copies.join(name);
        std::fs::write(&path, bob.git(&["show", &format!("{rev}:mpvault.json")])).unwrap();
        path
    });
    (bob, files)
}

fn driver(c: &Clone, identity: Option<&Path>, files: &[std::path::PathBuf; 3]) -> Output {
    let mut args: Vec<String> = Vec::new();
    if let Some(path) = identity {
        args.extend(["--identity".into(), path.display().to_string()]);
    }
    args.extend(["git".into(), "merge".into()]);
    args.extend(files.iter().map(|f| f.display().to_string()));
    args.push("mpvault.json".into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    c.run(&args, None)
}

#[test]
fn the_driver_refuses_an_identity_it_was_given_but_cannot_use() {
    let t = Team::new(&[]);
    let (bob, files) = a_merge_that_needs_no_key(&t);
    let ours = std::fs::read_to_string(&files[1]).unwrap();
    let protected = t.w.stranger("bob-protected");
    let made =
        t.w.cmd(&protected)
            .env("MPVAULT_PASSPHRASE", "right horse battery")
            .args(["identity", "new", "--passphrase"])
            .output()
            .unwrap();
    assert!(made.status.success());
    let protected = protected.home.join(".config/mpvault/identity.txt");
    let cases: [(&Path, &str); 4] = [
        (Path::new("/no/such/file"), "/no/such/file"),
        (&bob.dir, "identity"),
        (&files[0], "does not hold an age or SSH private key"),
        (&protected, "passphrase"),
    ];
    for (path, says) in cases {
        let out = driver(&bob, Some(path), &files);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{}: {err}", path.display());
        assert!(err.contains(says), "{says:?} in: {err}");
        assert!(!err.contains("merged mpvault.json"), "{err}");
        assert_eq!(std::fs::read_to_string(&files[1]).unwrap(), ours);
    }
    // Through git, with the identity named by MPVAULT_IDENTITY_FILE.
    let before = bob.vault();
    let out = git_cmd(&t.w, bob.who, &bob.dir)
        .env("MPVAULT_IDENTITY_FILE", "/no/such/file")
        .args(["merge", "--no-edit", "origin/main"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("the identity file /no/such/file does not exist"),
        "{err}"
    );
    assert_eq!(bob.vault(), before);
    bob.git(&["merge", "--abort"]);
    // Someone with no identity at all still merges what needs no key; bob too.
    let nobody = t.w.stranger("nobody");
    let out =
        t.w.cmd(&nobody)
            .current_dir(&bob.dir)
            .args(["git", "merge"])
            .args(&files)
            .arg("mpvault.json")
            .output()
            .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    merges(&bob, "origin/main");
    assert_eq!(bob.get("API_BASE"), "https://a.example.com");
}

#[test]
fn roles_merged_as_sets_never_give_back_a_level_the_other_side_revoked() {
    let t = Team::new(&[("dave", &[], true)]);
    let alice = t.clone_of("alice");
    alice.mp(&["role", "grant", "carol", "shop", "developer"]);
    alice.commit("carol develops");
    alice.git(&["push", "-q"]);
    let dave = t.join("dave", true);
    dave.git(&["checkout", "-q", "-b", "revoke"]);
    dave.mp(&["role", "revoke", "carol", "shop", "developer"]);
    dave.commit("carol stops developing");
    dave.git(&["push", "-q", "-u", "origin", "revoke"]);
    alice.mp(&["role", "grant", "carol", "shop", "admin"]);
    alice.commit("carol administers");
    alice.git(&["fetch", "-q"]);
    let said = stops(&alice, "origin/revoke");
    assert!(
        said.contains("apps/shop/roster/carol: one side took the developer level from 'carol'"),
        "{said}"
    );
}
