//! A week of a five-person team, with real git and the merge driver: branches, a role move, an
//! offboarding and a return, a discarded experiment, a mistaken rotation restored, and a
//! developer merging owners' branches. It ends with everyone able to do their job.

use crate::common;

use common::repo::*;
use common::*;
use serde_json::Value;

const NEW_SECRET: &str = "fedcba9876543210fedcba9876543210";
const TYPO: &str = "fedcba9876543210fedcba987654321f";
const FRIDAY_SECRET: &str = "00112233445566778899aabbccddeeff";

fn pull(c: &Clone) {
    c.git(&["pull", "-q", "--no-rebase", "--no-edit"]);
}

fn push(c: &Clone, message: &str) {
    c.commit(message);
    c.git(&["push", "-q"]);
}

fn due(c: &Clone) -> Vec<String> {
    let out = c.run(&["status", "--json"], None);
    let status: Value = serde_json::from_slice(&out.stdout).unwrap();
    status["apps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["rotations_due"].as_array().cloned().unwrap_or_default())
        .map(|d| d["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_week_of_a_five_person_team_ends_with_everyone_at_work() {
    // alice and dave own the vault; bob develops, carol tests, erin operates.
    let t = Team::new(&[("dave", &[], true), ("erin", &["operator"], false)]);
    let alice = t.clone_of("alice");
    let bob = t.join("bob", true);
    let carol = t.join("carol", true);
    let dave = t.join("dave", true);
    let erin = t.join("erin", true);

    // Monday: dave moves carol from tester to developer on a branch; alice gives erin the
    // data-analyst role on main. bob, a developer, merges the two and is stopped, with the
    // owners named; alice merges them.
    dave.git(&["checkout", "-q", "-b", "roles"]);
    dave.mp(&["role", "set", "carol", "shop", "developer"]);
    dave.commit("carol develops");
    dave.git(&["push", "-q", "-u", "origin", "roles"]);
    dave.git(&["checkout", "-q", "main"]);
    alice.mp(&["role", "grant", "erin", "shop", "data-analyst"]);
    push(&alice, "erin analyses data");
    pull(&bob);
    bob.git(&["fetch", "-q"]);
    let out = bob.git_output(&["merge", "--no-edit", "origin/roles"]);
    let said =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{said}");
    assert!(said.contains("ask an owner (alice, dave)"), "{said}");
    bob.git(&["merge", "--abort"]);
    assert_eq!(bob.get("WECHAT_APPSECRET"), APPSECRET, "bob keeps working");
    alice.git(&["fetch", "-q"]);
    alice.git(&["merge", "-q", "--no-edit", "origin/roles"]);
    alice.git(&["push", "-q"]);
    pull(&carol);
    assert_eq!(carol.get("WECHAT_APPSECRET"), APPSECRET);

    // Tuesday: bob leaves. alice removes him, resets the AppSecret in the console and stores
    // the new one.
    alice.mp(&["member", "remove", "bob", "--yes"]);
    assert_eq!(due(&alice), ["WECHAT_APPSECRET"]);
    next_second();
    alice.mp_in(&["rotate-secret", "shop", "--stdin"], Some(NEW_SECRET));
    assert!(due(&alice).is_empty());
    push(&alice, "bob leaves; new AppSecret");

    // Wednesday: dave tries something and throws it away; then does the real change.
    pull(&dave);
    let zed = t.w.person("zed");
    let key = t.w.public_line(&zed);
    dave.mp(&["member", "add", "zed", "--key", &key]);
    dave.mp(&["role", "grant", "zed", "shop", "developer"]);
    dave.mp(&["member", "remove", "zed", "--yes"]);
    dave.git(&["reset", "-q", "--hard", "origin/main"]);
    dave.mp(&["role", "grant", "erin", "shop", "developer"]);
    dave.mp(&["config", "set", "shop", "API_BASE=https://api.example.com"]);
    push(&dave, "erin develops");

    // Thursday: erin rotates with a typo, pushes, and undoes it with --restore.
    pull(&erin);
    erin.mp_in(&["rotate-secret", "shop", "--stdin"], Some(TYPO));
    push(&erin, "rotate");
    let history: Value =
        serde_json::from_str(&erin.mp(&["history", "shop", "WECHAT_APPSECRET", "--json"])).unwrap();
    let previous = history[1]["number"].as_u64().unwrap().to_string();
    erin.mp(&["rotate-secret", "shop", "--restore", &previous]);
    push(&erin, "restore the AppSecret");

    // Friday: bob comes back with the same key; alice gives him his role back, knowingly.
    pull(&alice);
    let key = t.w.public_line(t.person("bob"));
    alice.mp(&["member", "add", "bob", "--key", &key]);
    let (code, said) = alice.mp_fails(&["role", "grant", "bob", "shop", "developer"]);
    assert_eq!(code, exit::USAGE, "{said}");
    assert!(said.contains("Giving 'bob' back"), "{said}");
    alice.mp(&["role", "grant", "bob", "shop", "developer", "--yes"]);
    push(&alice, "bob is back");

    // Everyone pulls and does their job.
    for c in [&bob, &carol, &dave, &erin] {
        pull(c);
        assert_eq!(c.get("WECHAT_APPSECRET"), NEW_SECRET, "{}", c.who.name);
    }
    assert_eq!(alice.get("WECHAT_APPSECRET"), NEW_SECRET);
    bob.mp_in(&["rotate-secret", "shop", "--stdin"], Some(FRIDAY_SECRET));
    push(&bob, "bob rotates");
    for c in [&carol, &dave, &erin] {
        pull(c);
        assert_eq!(c.get("WECHAT_APPSECRET"), FRIDAY_SECRET, "{}", c.who.name);
    }
    pull(&alice);
    assert!(due(&alice).is_empty());
}
