//! Promises the README makes that no other test held to, each through the binary: a writer
//! killed mid-write leaves a vault that opens, the order in which an identity is looked up,
//! `ssh-rsa` members and an SSH identity without its `.pub`, `-o` with the json and shell
//! formats, and a process other processes of the same user cannot read.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::*;

// ------------------------------------------------------------------ crash safety ---

/// The temporary files a write leaves beside the vault (`.mpvault.*`).
fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with(".mpvault."))
        .collect()
}

/// Waits until `child` has become mpvault and sleeps (on its read of standard input).
fn wait_until_waiting(child: &Child) {
    let proc = std::path::PathBuf::from(format!("/proc/{}", child.id()));
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        let comm = std::fs::read_to_string(proc.join("comm")).unwrap_or_default();
        let stat = std::fs::read_to_string(proc.join("stat")).unwrap_or_default();
        let state = stat
            .rsplit(')')
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .next();
        if comm.trim() == "mpvault" && state == Some("S") {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("mpvault never waited on its standard input");
}

/// A writer killed (SIGKILL, no clean-up of its own) while it holds the vault open for a
/// rotation: the file is as it was, no temporary file is left, the lock went with the
/// process, and the next writer goes ahead.
#[test]
fn a_writer_killed_while_it_waits_leaves_the_vault_as_it_was() {
    let w = World::new();
    let (alice, bob, _) = team(&w);
    let before = w.vault_text();
    let mut child = w
        .std_cmd(&alice)
        .args(["rotate-secret", "shop", "--stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_until_waiting(&child);
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        w.vault_text(),
        before,
        "the killed writer changed the vault"
    );
    assert_eq!(leftovers(&w.project()), Vec::<String>::new());
    assert_eq!(w.ok(&bob, &["get", "shop", "WECHAT_APPSECRET"]), APPSECRET);
    let new = "e".repeat(32);
    let out = w
        .cmd(&alice)
        .args(["rotate-secret", "shop", "--stdin"])
        .write_stdin(new.as_str())
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(w.ok(&bob, &["get", "shop", "WECHAT_APPSECRET"]), new);
}

/// A value of `len` bytes that does not repeat (the vault stores it encrypted anyway).
fn big_value(seed: usize, len: usize) -> String {
    (0..len)
        .map(|i| char::from(b'a' + ((i * 31 + seed * 7 + i / 97) % 26) as u8))
        .collect()
}

/// A vault of several megabytes: writing it takes long enough to be killed in the middle.
fn large_vault(w: &World, alice: &Person) {
    for i in 0..24 {
        w.ok_stdin(
            alice,
            &["add-secret", "shop", &format!("BULK_{i:02}"), "--stdin"],
            &big_value(i, 100_000),
        );
    }
    assert!(w.vault_text().len() > 3_000_000, "not large enough");
}

/// Starts a rotation of shop's AppSecret to `new` and SIGKILLs it the moment its temporary
/// file appears beside the vault, that is in the middle of writing the new vault. Returns
/// whether the kill landed there (false: the write finished first).
fn kill_mid_write(w: &World, who: &Person, new: &str) -> bool {
    let mut child = w
        .std_cmd(who)
        .args(["rotate-secret", "shop", "--stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(new.as_bytes())
        .unwrap();
    let start = Instant::now();
    let mut landed = false;
    while start.elapsed() < Duration::from_secs(60) && child.try_wait().unwrap().is_none() {
        if !leftovers(&w.project()).is_empty() {
            landed = child.kill().is_ok();
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let _ = child.kill();
    child.wait().unwrap();
    landed
}

/// A writer SIGKILLed while it writes a large vault: the vault is the old one, whole, and
/// opens; every secret is still there; the lock went with the process and the next write
/// goes ahead.
#[test]
fn a_writer_killed_mid_write_leaves_the_old_vault() {
    let w = World::new();
    let (alice, bob, _) = team(&w);
    large_vault(&w, &alice);
    let before = w.vault_text();
    let new = "e".repeat(32);
    assert!(
        kill_mid_write(&w, &alice, &new),
        "positive control: the kill did not land in the middle of the write"
    );
    assert_eq!(w.vault_text(), before, "the vault is not the old one");
    assert_eq!(w.ok(&bob, &["get", "shop", "WECHAT_APPSECRET"]), APPSECRET);
    assert_eq!(
        w.ok(&bob, &["get", "shop", "BULK_23"]),
        big_value(23, 100_000)
    );
    w.ok_stdin(&alice, &["rotate-secret", "shop", "--stdin"], &new);
    assert_eq!(w.ok(&bob, &["get", "shop", "WECHAT_APPSECRET"]), new);
}

/// BUG (ignored until fixed in `store.rs`): the temporary file of a writer killed mid-write
/// stays beside the vault for good (`.mpvault.XXXXXX.tmp`, a partial vault that `git add -A`
/// would commit); no later write removes it.
#[test]
#[ignore = "bug: a SIGKILLed writer's .mpvault.*.tmp is never removed (store.rs)"]
fn a_writer_killed_mid_write_leaves_no_temporary_file_behind() {
    let w = World::new();
    let (alice, _, _) = team(&w);
    large_vault(&w, &alice);
    assert!(
        kill_mid_write(&w, &alice, &"e".repeat(32)),
        "positive control"
    );
    w.ok_stdin(
        &alice,
        &["rotate-secret", "shop", "--stdin"],
        &"f".repeat(32),
    );
    assert_eq!(leftovers(&w.project()), Vec::<String>::new());
}
