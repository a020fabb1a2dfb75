//! The trust memory keeps a hash of the last accepted policy and the policy itself in a side
//! file read only to describe a change, and each secret's newest version as a short array.
//! Memory files of earlier versions, which kept each vault under its file's path, the policy
//! inline and each secret as an object, are still read, and moved to the new layout.

use crate::common;

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

fn write_memory(who: &Person, memory: &Value) {
    std::fs::write(
        memory_path(who),
        serde_json::to_string_pretty(memory).unwrap(),
    )
    .unwrap();
}

/// Every vault remembered, in every repository.
fn entries(memory: &mut Value) -> Vec<&mut Value> {
    let repositories = memory["repositories"].as_object_mut().unwrap();
    repositories
        .values_mut()
        .flat_map(|vaults| vaults.as_object_mut().unwrap().values_mut())
        .collect()
}

/// The one vault remembered.
fn only_entry(memory: &Value) -> Value {
    let mut memory = memory.clone();
    let list = entries(&mut memory);
    assert_eq!(list.len(), 1, "one vault remembered");
    list[0].clone()
}

/// The vault file's canonical path: how earlier versions keyed their memory.
fn vault_location(w: &World) -> String {
    std::fs::canonicalize(w.vault_path())
        .unwrap()
        .display()
        .to_string()
}

/// Rewrites `who`'s memory as the version before repositories wrote it: each vault under
/// its file's canonical path, its side file named after that path.
fn to_keyed_by_path(w: &World, who: &Person) {
    let mut memory = read_memory(who);
    let seen = only_entry(&memory);
    let location = vault_location(w);
    memory = serde_json::json!({ "locations": { location.clone(): seen } });
    write_memory(who, &memory);
    let files = side_files(who);
    assert_eq!(files.len(), 1, "one side file per vault: {files:?}");
    let name = &mpvault::vault::policy::hash(location.as_bytes())[..32];
    let old = files[0].with_file_name(format!("{name}.json"));
    std::fs::rename(&files[0], old).unwrap();
}

/// Rewrites each secret `who` remembers as the object earlier versions wrote.
fn to_secrets_as_objects(who: &Person) {
    let mut memory = read_memory(who);
    for seen in entries(&mut memory) {
        for entry in seen["secrets"].as_object_mut().unwrap().values_mut() {
            // Earlier versions knew no policy revision: a fourth element is left out.
            let [version, level, set_at, ..] = entry.as_array().unwrap().as_slice() else {
                panic!("a secret is remembered as [version, level, set_at, revision]: {entry}");
            };
            *entry = serde_json::json!({"version": version, "level": level, "set_at": set_at});
        }
    }
    write_memory(who, &memory);
}

/// Rewrites `who`'s memory as mpvault wrote it before side files: each vault under its file's
/// path, its policy inline, no hash, no side file, each secret an object.
fn to_earlier_layout(w: &World, who: &Person) {
    to_secrets_as_objects(who);
    to_keyed_by_path(w, who);
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
    write_memory(who, &memory);
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
    let seen = only_entry(&read_memory(&bob));
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
    let hash = only_entry(&read_memory(&bob))["policy_hash"].clone();
    to_earlier_layout(&w, &bob);
    assert!(side_files(&bob).is_empty());

    // Read as the vault this clone trusted: no first-use notice, no refusal.
    let out = w.cmd(&bob).args(["app", "list"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("for the first time"), "{err}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("shop"));

    // Moved: a hash equal to the one this version computes, and the policy beside it.
    let memory = read_memory(&bob);
    assert!(memory.get("locations").is_none(), "{memory}");
    let seen = only_entry(&memory);
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
    to_earlier_layout(&w, &bob);
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

/// The version before repositories kept each vault under its file's canonical path, with its
/// side file named after that path: moved to the vault's repository and id on first use.
#[test]
fn a_memory_keyed_by_the_vault_path_is_moved_to_its_repository() {
    let w = World::new();
    let (_, bob, _) = team(&w);
    let before = only_entry(&read_memory(&bob));
    to_keyed_by_path(&w, &bob);

    let out = w.cmd(&bob).args(["app", "list"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("for the first time"), "{err}");

    // Keyed by the project folder (no git here: the vault's own folder) and the vault id.
    let memory = read_memory(&bob);
    assert!(memory.get("locations").is_none(), "{memory}");
    let folder = std::fs::canonicalize(w.project()).unwrap();
    let id = before["vault_id"].as_str().unwrap();
    let moved = &memory["repositories"][folder.display().to_string()][id];
    assert_eq!(moved["policy_hash"], before["policy_hash"]);
    assert_eq!(moved["revision"], before["revision"]);
    // The side file moved to its new name: the remembered policy still describes a change.
    let files = side_files(&bob);
    assert_eq!(files.len(), 1, "{files:?}");
    let old = &mpvault::vault::policy::hash(vault_location(&w).as_bytes())[..32];
    assert!(!files[0].ends_with(format!("{old}.json")), "{files:?}");
    eve_added_by_hand_is_refused(&w, &bob, "member 'eve' was added");
}
