//! The trust memory keeps a hash of the last accepted policy and the policy itself in a side
//! file read only to describe a change, and each secret's newest version as a short array.
//! Memory files of earlier versions, which kept the policy inline and each secret as an
//! object, are still read, and moved to the new layout.

mod common;

use std::path::PathBuf;

use common::*;
use serde_json::Value;

fn memory_path(who: &Person) -> PathBuf {
    who.home.join(".local/share/mpvault/trusted.json")
}

fn side_files(who: &Person) -> Vec<PathBuf> {
    let dir = who.home.join(".local/share/mpvault/policies");
    match std::fs::read_dir(dir) {
        Ok(list) => list.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

fn read_memory(who: &Person) -> Value {
    serde_json::from_slice(&std::fs::read(memory_path(who)).unwrap()).unwrap()
}

/// Rewrites each secret `who` remembers as the object earlier versions wrote.
fn to_secrets_as_objects(who: &Person) {
    let mut memory = read_memory(who);
    for seen in memory["locations"].as_object_mut().unwrap().values_mut() {
        for entry in seen["secrets"].as_object_mut().unwrap().values_mut() {
            let [version, level, set_at] = entry.as_array().unwrap().as_slice() else {
                panic!("a secret is remembered as [version, level, set_at]: {entry}");
            };
            *entry = serde_json::json!({"version": version, "level": level, "set_at": set_at});
        }
    }
    std::fs::write(
        memory_path(who),
        serde_json::to_string_pretty(&memory).unwrap(),
    )
    .unwrap();
}

/// Rewrites `who`'s memory as mpvault wrote it before side files: each location's policy
/// inline, no hash, no side file, each secret an object.
fn to_earlier_layout(who: &Person) {
    to_secrets_as_objects(who);
    let mut memory = read_memory(who);
    let files = side_files(who);
    assert_eq!(files.len(), 1, "one side file per location: {files:?}");
    let policy: Value = serde_json::from_slice(&std::fs::read(&files[0]).unwrap()).unwrap();
    let locations = memory["locations"].as_object_mut().unwrap();
    assert_eq!(locations.len(), 1);
    for seen in locations.values_mut() {
        let seen = seen.as_object_mut().unwrap();
        assert!(seen.remove("policy_hash").is_some());
        seen.insert("policy".into(), policy.clone());
    }
    std::fs::write(
        memory_path(who),
        serde_json::to_string_pretty(&memory).unwrap(),
    )
    .unwrap();
    std::fs::remove_dir_all(files[0].parent().unwrap()).unwrap();
}

/// Adds eve to the file without an owner's signature; `who`'s read is refused, saying `says`
/// (what changed, when this clone still has the policy it accepted).
fn eve_added_by_hand_is_refused(w: &World, who: &Person, says: &str) {
    add_eve_by_hand(w);
    refused(w, who, &["get", "shop", "WECHAT_APPSECRET"], says);
}

fn add_eve_by_hand(w: &World) {
    let eve = w.person("eve");
    let key = w.public_line(&eve);
    let age_key = key.split_whitespace().next().unwrap().to_string();
    edit(w, |v| {
        v["members"]["eve"] = serde_json::json!({"key": age_key, "added_by": "alice", "added_at": "2026-01-01T00:00:00Z"});
    });
}

#[test]
fn the_memory_keeps_a_hash_and_the_policy_beside_it() {
    let w = World::new();
    let (_, bob, _) = team(&w);
    let memory = read_memory(&bob);
    let seen = memory["locations"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap();
    assert!(seen.get("policy").is_none(), "no policy inline: {seen}");
    let hash = seen["policy_hash"].as_str().unwrap();
    assert_eq!(hash.len(), 64);
    let files = side_files(&bob);
    assert_eq!(files.len(), 1);
    let policy = std::fs::read(&files[0]).unwrap();
    assert!(String::from_utf8_lossy(&policy).contains("\"vault_id\""));
    #[cfg(unix)]
    assert_eq!(mode(&files[0]) & 0o777, 0o600);

    // The side file is what describes an unsigned change.
    eve_added_by_hand_is_refused(
        &w,
        &bob,
        "member 'eve' was added but the change is not signed by an owner",
    );
}

#[test]
fn a_memory_written_by_an_earlier_version_is_read_and_moved_to_side_files() {
    let w = World::new();
    let (_, bob, _) = team(&w);
    let hash = read_memory(&bob)["locations"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap()["policy_hash"]
        .clone();
    to_earlier_layout(&bob);
    assert!(side_files(&bob).is_empty());

    // Read as the vault this clone trusted: no first-use notice, no refusal.
    let out = w.cmd(&bob).args(["app", "list"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("for the first time"), "{err}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("shop"));

    // Moved: a hash equal to the one this version computes, and the policy beside it.
    let memory = read_memory(&bob);
    let seen = memory["locations"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap();
    assert!(seen.get("policy").is_none(), "{seen}");
    assert_eq!(seen["policy_hash"], hash);
    assert_eq!(side_files(&bob).len(), 1);

    // The remembered owners still decide, and the remembered policy still describes.
    eve_added_by_hand_is_refused(&w, &bob, "member 'eve' was added");
}

#[test]
fn an_earlier_memory_is_read_where_it_cannot_be_moved() {
    let w = World::new();
    let (_, bob, _) = team(&w);
    to_earlier_layout(&bob);
    let before = std::fs::read(memory_path(&bob)).unwrap();
    // Side files cannot be created: the policies folder is taken by a file.
    let blocker = bob.home.join(".local/share/mpvault/policies");
    std::fs::write(&blocker, "").unwrap();
    w.ok(&bob, &["get", "shop", "WECHAT_APPSECRET"]);
    assert_eq!(std::fs::read(memory_path(&bob)).unwrap(), before);
    eve_added_by_hand_is_refused(&w, &bob, "member 'eve' was added");
}

#[test]
fn a_lost_side_file_costs_only_the_description_of_a_change() {
    let w = World::new();
    let (_, bob, _) = team(&w);
    for file in side_files(&bob) {
        std::fs::remove_file(file).unwrap();
    }
    w.ok(&bob, &["get", "shop", "WECHAT_APPSECRET"]);
    eve_added_by_hand_is_refused(&w, &bob, "the vault's roster signature does not verify");
}

#[test]
fn secrets_remembered_as_objects_by_an_earlier_version_still_guard_against_rollback() {
    let w = World::new();
    let (alice, bob, _) = team(&w);
    w.ok_stdin(
        &alice,
        &["rotate-secret", "shop", "--stdin"],
        &"a".repeat(32),
    );
    w.ok(&bob, &["get", "shop", "WECHAT_APPSECRET"]);
    to_secrets_as_objects(&bob);
    drop_newest_appsecret(&w);
    refused(
        &w,
        &bob,
        &["get", "shop", "WECHAT_APPSECRET"],
        "WECHAT_APPSECRET of 'shop' is at version 1 in this file, but this clone has seen version 2",
    );
}
