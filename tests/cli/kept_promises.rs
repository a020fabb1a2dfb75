//! Promises the README makes that no other test held to, each through the binary: a writer
//! killed mid-write leaves a vault that opens, the order in which an identity is looked up,
//! `ssh-rsa` members and an SSH identity without its `.pub`, `-o` with the json and shell
//! formats, and a process other processes of the same user cannot read.

use crate::common;

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
    wait_until_sleeping_as(child, "mpvault");
}

/// Waits until `child` has become the program `comm` and sleeps.
fn wait_until_sleeping_as(child: &Child, comm: &str) {
    let proc = std::path::PathBuf::from(format!("/proc/{}", child.id()));
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        let name = std::fs::read_to_string(proc.join("comm")).unwrap_or_default();
        let stat = std::fs::read_to_string(proc.join("stat")).unwrap_or_default();
        let state = stat
            .rsplit(')')
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .next();
        if name.trim() == comm && state == Some("S") {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("{comm} never waited on its standard input");
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
    let letters = b"abcdefghijklmnopqrstuvwxyz";
    (0..len)
        .map(|i| char::from(letters[(i * 31 + seed * 7 + i / 97) % 26]))
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

/// Regression: the temporary file of a writer killed mid-write stayed beside the vault for
/// good (a partial vault that `git add -A` would commit); the next writer removes it.
#[test]
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

// ------------------------------------------------------------- identity lookup ---

/// The public line of the identity `identity show` resolves, as `who` with `env` set and
/// `flag` as --identity.
fn shown(w: &World, who: &Person, flag: Option<&Path>, env: &[(&str, String)]) -> String {
    let mut cmd = w.cmd(who);
    if let Some(flag) = flag {
        cmd.arg("--identity").arg(flag);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = succeeded(cmd.args(["identity", "show"]).output().unwrap());
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// `--identity`, then `MPVAULT_IDENTITY` (the key's text), then `MPVAULT_IDENTITY_FILE`, then
/// the default file: each source named wins over every one after it.
#[test]
fn identities_are_looked_up_flag_then_text_then_file_then_default() {
    let w = World::new();
    let [flag, text, file, default] = ["flag", "text", "file", "default"].map(|n| w.person(n));
    let line = |p: &Person| w.public_line(p);
    let text_env = (
        "MPVAULT_IDENTITY",
        std::fs::read_to_string(identity_file(&text)).unwrap(),
    );
    let file_env = (
        "MPVAULT_IDENTITY_FILE",
        identity_file(&file).display().to_string(),
    );
    let all = [text_env.clone(), file_env.clone()];
    let them = [&flag, &text, &file, &default].map(line);
    assert_eq!(
        std::collections::BTreeSet::from(them.clone()).len(),
        4,
        "positive control: four different identities"
    );
    let id = identity_file(&flag);
    assert_eq!(shown(&w, &default, Some(&id), &all), them[0]);
    assert_eq!(shown(&w, &default, None, &all), them[1]);
    assert_eq!(shown(&w, &default, None, &[file_env]), them[2]);
    assert_eq!(shown(&w, &default, None, &[]), them[3]);
}

/// A source that is named but unusable is an error, never a quiet fall back to the next one
/// (which would act as someone else).
#[test]
fn a_named_identity_that_is_missing_never_falls_back_to_the_default() {
    let w = World::new();
    let alice = w.owner_with_app();
    w.ok_stdin(&alice, &["add-secret", "shop", "--stdin"], APPSECRET);
    let missing = alice.home.join("no-such-identity.txt");
    for (flag, env) in [
        (Some(missing.as_path()), None),
        (None, Some(missing.as_path())),
    ] {
        let mut cmd = w.cmd(&alice);
        if let Some(flag) = flag {
            cmd.arg("--identity").arg(flag);
        }
        if let Some(env) = env {
            cmd.env("MPVAULT_IDENTITY_FILE", env);
        }
        let out = cmd
            .args(["get", "shop", "WECHAT_APPSECRET"])
            .output()
            .unwrap();
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(exit::NOT_FOUND), "{err}");
        assert!(
            err.contains(&format!(
                "the identity file {} does not exist",
                missing.display()
            )),
            "{err}"
        );
        assert!(out.stdout.is_empty(), "a value came out");
    }
    // Positive control: alice's default file reads it.
    assert_eq!(
        w.ok(&alice, &["get", "shop", "WECHAT_APPSECRET"]),
        APPSECRET
    );
}

// ---------------------------------------------------------------- SSH identities ---

/// An SSH key of `kind` without a passphrase, made by the real `ssh-keygen` in `who`'s home.
fn ssh_key_of(who: &Person, kind: &str) -> std::path::PathBuf {
    let key = who.home.join(format!("id_{kind}"));
    let status = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", kind, "-N", "", "-C", "dave@laptop", "-f"])
        .arg(&key)
        .status()
        .unwrap();
    assert!(status.success());
    key
}

/// dave's `ssh-rsa` key as a member key and an identity: he reads what his role reaches;
/// without the key's `.pub` beside it he is told so, and reads again once it is back.
#[test]
fn an_ssh_rsa_member_reads_with_the_ssh_key() {
    let w = World::new();
    let alice = w.owner_with_app();
    w.ok_stdin(&alice, &["add-secret", "shop", "--stdin"], APPSECRET);
    let dave = w.stranger("dave");
    let key = ssh_key_of(&dave, "rsa");
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    assert!(public.starts_with("ssh-rsa "), "{public}");
    w.ok(&alice, &["member", "add", "dave", "--key", public.trim()]);
    w.ok(&alice, &["role", "grant", "dave", "shop", "developer"]);
    let read = |key: &Path| {
        w.cmd(&dave)
            .arg("--identity")
            .arg(key)
            .args(["get", "shop", "WECHAT_APPSECRET"])
            .output()
            .unwrap()
    };
    let out = succeeded(read(&key));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), APPSECRET);
    // Without its `.pub` beside it, the key is refused by name: mpvault cannot tell which
    // member it is.
    let moved = dave.home.join("elsewhere.pub");
    std::fs::rename(key.with_extension("pub"), &moved).unwrap();
    let before = w.vault_text();
    let out = read(&key);
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(exit::NOT_FOUND), "{err}");
    assert!(
        err.contains("the public half of the SSH key") && err.contains("was not found beside it"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
    assert!(!err.contains("BEGIN OPENSSH PRIVATE KEY"), "{err}");
    assert_eq!(w.vault_text(), before);
    std::fs::rename(&moved, key.with_extension("pub")).unwrap();
    succeeded(read(&key));
}

// ------------------------------------------------------------- -o json / shell ---

/// `-o` with the json and shell formats: a new file is 0600 and holds the values; an existing
/// one is refused without `--force` (exit 6, the file untouched) and replaced with it, 0600
/// again even when it was readable by others.
#[test]
fn json_and_shell_output_files_are_private_and_never_clobbered_without_force() {
    let w = World::new();
    let alice = w.owner_with_app();
    w.ok_stdin(&alice, &["add-secret", "shop", "--stdin"], APPSECRET);
    for (format, file) in [("json", "out.json"), ("shell", "out.sh")] {
        let args = [
            "export",
            "shop",
            "--include-secrets",
            "--format",
            format,
            "-o",
            file,
        ];
        let path = w.path(file);
        w.ok(&alice, &args);
        assert_eq!(mode(&path), 0o600, "{format}");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(APPSECRET), "{format}: {text}");
        std::fs::write(&path, "kept\n").unwrap();
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o644))
            .unwrap();
        refused_as(&w, &alice, &args, exit::EXISTS, "already exists");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "kept\n");
        let mut forced = args.to_vec();
        forced.push("--force");
        w.ok(&alice, &forced);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text, "{format}");
        assert_eq!(mode(&path), 0o600, "{format} after --force");
    }
}

// ------------------------------------------------------------------ not dumpable ---

/// `command` (a program and its arguments) as the unprivileged user 65534, without any
/// capability, so that only the kernel's same-user rules decide what it may read.
fn as_nobody(program: &std::ffi::OsStr) -> std::process::Command {
    let mut cmd = std::process::Command::new("setpriv");
    cmd.args([
        "--reuid",
        "65534",
        "--regid",
        "65534",
        "--clear-groups",
        "--",
    ])
    .arg(program);
    cmd
}

/// Whether another process of the same user (65534) can read `pid`'s environment.
fn environ_readable_by_the_same_user(pid: u32) -> bool {
    let cat = std::ffi::OsStr::new("cat");
    as_nobody(cat)
        .arg(format!("/proc/{pid}/environ"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap()
        .success()
}

fn is_root() -> bool {
    let out = std::process::Command::new("id").arg("-u").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

/// While mpvault holds a data key (rotate-secret waiting for the new value), another process
/// of the same user cannot read its memory or environment through /proc: it is not dumpable.
/// The same read of a plain process of that user succeeds (the positive control).
#[test]
fn a_running_mpvault_is_not_readable_by_other_processes_of_its_user() {
    if !is_root() {
        println!("not root: cannot run mpvault as another user; skipped");
        return;
    }
    let w = World::new();
    let (alice, _, _) = team(&w);
    let root = w.project().parent().unwrap().to_path_buf();
    let chown = std::process::Command::new("chown")
        .args(["-R", "65534:65534"])
        .arg(&root)
        .status()
        .unwrap();
    assert!(chown.success());
    let base = w.std_cmd(&alice);
    let spawn = |program: &std::ffi::OsStr, args: &[&str]| {
        as_nobody(program)
            .args(args)
            .current_dir(w.project())
            .env_clear()
            .envs(base.get_envs().filter_map(|(k, v)| Some((k, v?))))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let mut plain = spawn(std::ffi::OsStr::new("cat"), &[]);
    let mut mpvault = spawn(base.get_program(), &["rotate-secret", "shop", "--stdin"]);
    wait_until_waiting(&mpvault);
    wait_until_sleeping_as(&plain, "cat");
    let status = std::fs::read_to_string(format!("/proc/{}/status", mpvault.id())).unwrap();
    assert!(
        status.lines().any(|l| l.starts_with("Uid:\t65534")),
        "mpvault does not run as 65534: {status}"
    );
    assert!(
        environ_readable_by_the_same_user(plain.id()),
        "positive control: a plain process of the same user is readable"
    );
    assert!(
        !environ_readable_by_the_same_user(mpvault.id()),
        "another process of the same user read mpvault's /proc/<pid>/environ"
    );
    drop(plain.stdin.take());
    plain.wait().unwrap();
    mpvault
        .stdin
        .take()
        .unwrap()
        .write_all(b"00112233445566778899aabbccddeeff")
        .unwrap();
    let out = mpvault.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
