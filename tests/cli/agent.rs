//! Issue 21: a protected identity asks for its passphrase only to decrypt or sign, and once a
//! session with the agent (`mpvault unlock`, `mpvault lock`).

use crate::common;

use std::path::PathBuf;
use std::process::Output;

use common::*;

const PASS: &str = "correct horse";

/// A world whose owner protects their identity with a passphrase, with a per-person runtime
/// folder so each test has its own agent.
fn protected_owner(w: &World) -> (Person, PathBuf) {
    let alice = w.stranger("alice");
    let run = alice.home.join("run");
    std::fs::create_dir_all(&run).unwrap();
    std::fs::set_permissions(&run, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let with_pass = |args: &[&str], input: &str| {
        let out = w
            .cmd(&alice)
            .env("MPVAULT_PASSPHRASE", PASS)
            .env("XDG_RUNTIME_DIR", &run)
            .args(args)
            .write_stdin(input)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    with_pass(&["identity", "new", "--passphrase"], "");
    with_pass(&["init", "--owner", "alice"], "");
    with_pass(
        &["app", "add", "shop", "--appid", APPID, "--title", "Shop"],
        "",
    );
    with_pass(&["add-secret", "shop", "--stdin"], APPSECRET);
    (alice, run)
}

/// mpvault as `who`, no passphrase anywhere, no terminal, stdin empty.
fn run(w: &World, who: &Person, runtime: &PathBuf, args: &[&str], env: &[(&str, &str)]) -> Output {
    w.cmd(who)
        .env("XDG_RUNTIME_DIR", runtime)
        .envs(env.iter().copied())
        .args(args)
        .write_stdin("")
        .timeout(std::time::Duration::from_secs(20))
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn unlock(w: &World, who: &Person, runtime: &PathBuf, duration: &str) {
    let out = run(
        w,
        who,
        runtime,
        &["unlock", "--for", duration],
        &[("MPVAULT_PASSPHRASE", PASS)],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("Unlocked"), "{}", stderr(&out));
}

fn lock(w: &World, who: &Person, runtime: &PathBuf) {
    run(w, who, runtime, &["lock"], &[]);
}

fn asks_for_passphrase(out: &Output) -> bool {
    !out.status.success() && stderr(out).contains("a passphrase is needed")
}

#[test]
fn issue_21_commands_that_need_only_who_you_are_never_ask_for_the_passphrase() {
    let w = World::new();
    let (alice, runtime) = protected_owner(&w);
    for args in [
        &["app", "list"][..],
        &["roster", "shop"],
        &["history", "shop", "WECHAT_APPSECRET"],
        &["member", "list"],
        &["trust"],
        &["identity", "show"],
    ] {
        let out = run(&w, &alice, &runtime, args, &[]);
        assert!(
            out.status.success(),
            "{args:?} asked or failed: {}",
            stderr(&out)
        );
    }
    // `status` judges the locked owner exactly as the unlocked one (here: due, since no
    // verification, ICP or contact is recorded), without asking.
    let locked = run(&w, &alice, &runtime, &["status"], &[]);
    let unlocked = run(
        &w,
        &alice,
        &runtime,
        &["status"],
        &[("MPVAULT_PASSPHRASE", PASS)],
    );
    assert!(!asks_for_passphrase(&locked), "{}", stderr(&locked));
    assert_eq!(locked.status.code(), Some(7), "{}", stderr(&locked));
    assert_eq!(locked.status.code(), unlocked.status.code());
    assert_eq!(locked.stdout, unlocked.stdout);
    // Decrypting still needs the key.
    assert!(asks_for_passphrase(&run(
        &w,
        &alice,
        &runtime,
        &["get", "shop", "WECHAT_APPSECRET"],
        &[]
    )));
}

#[test]
fn issue_21_unlock_serves_reads_and_signed_writes_until_lock() {
    let w = World::new();
    let (alice, runtime) = protected_owner(&w);
    unlock(&w, &alice, &runtime, "5m");
    let show = run(&w, &alice, &runtime, &["identity", "show"], &[]);
    assert!(
        stderr(&show).contains("agent: unlocked until"),
        "{}",
        stderr(&show)
    );
    let got = run(
        &w,
        &alice,
        &runtime,
        &["get", "shop", "WECHAT_APPSECRET"],
        &[],
    );
    assert!(got.status.success(), "{}", stderr(&got));
    assert_eq!(String::from_utf8_lossy(&got.stdout).trim(), APPSECRET);
    // A write signs values and the policy through the agent.
    let granted = run(
        &w,
        &alice,
        &runtime,
        &["role", "grant", "alice", "shop", "developer"],
        &[],
    );
    assert!(granted.status.success(), "{}", stderr(&granted));
    let listed = run(&w, &alice, &runtime, &["app", "list"], &[]);
    assert!(String::from_utf8_lossy(&listed.stdout).contains("Shop"));
    // MPVAULT_AGENT=off: the agent is not asked.
    let off = run(
        &w,
        &alice,
        &runtime,
        &["get", "shop", "WECHAT_APPSECRET"],
        &[("MPVAULT_AGENT", "off")],
    );
    assert!(asks_for_passphrase(&off), "{}", stderr(&off));
    lock(&w, &alice, &runtime);
    assert!(asks_for_passphrase(&run(
        &w,
        &alice,
        &runtime,
        &["get", "shop", "WECHAT_APPSECRET"],
        &[]
    )));
    assert!(!runtime.join("mpvault/agent.sock").exists());
}

#[test]
fn issue_21_the_agent_ends_after_its_idle_time() {
    let w = World::new();
    let (alice, runtime) = protected_owner(&w);
    unlock(&w, &alice, &runtime, "1s");
    std::thread::sleep(std::time::Duration::from_millis(2500));
    assert!(asks_for_passphrase(&run(
        &w,
        &alice,
        &runtime,
        &["get", "shop", "WECHAT_APPSECRET"],
        &[]
    )));
    assert!(!runtime.join("mpvault/agent.sock").exists());
}

#[test]
fn issue_21_a_killed_agent_leaves_a_stale_socket_that_commands_step_over() {
    let w = World::new();
    let (alice, runtime) = protected_owner(&w);
    unlock(&w, &alice, &runtime, "5m");
    let socket = runtime.join("mpvault/agent.sock");
    let stream = std::os::unix::net::UnixStream::connect(&socket).unwrap();
    let pid = rustix::net::sockopt::socket_peercred(&stream).unwrap().pid;
    drop(stream);
    let killed = std::process::Command::new("kill")
        .args(["-9", &pid.as_raw_nonzero().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(socket.exists(), "a killed agent leaves its socket file");
    let start = std::time::Instant::now();
    let out = run(
        &w,
        &alice,
        &runtime,
        &["get", "shop", "WECHAT_APPSECRET"],
        &[("MPVAULT_PASSPHRASE", PASS)],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        start.elapsed() < std::time::Duration::from_secs(15),
        "it must not hang"
    );
    assert!(!socket.exists(), "the stale socket is removed");
    // Without a passphrase it asks (here: fails for want of a terminal), and does not hang.
    assert!(asks_for_passphrase(&run(
        &w,
        &alice,
        &runtime,
        &["get", "shop", "WECHAT_APPSECRET"],
        &[]
    )));
}

#[test]
fn issue_21_another_user_is_refused_by_the_agent() {
    let python = PathBuf::from("/usr/bin/python3");
    if rustix::process::getuid().as_raw() != 0 || which("setpriv").is_none() || !python.exists() {
        eprintln!("skipped: needs root, setpriv and python3 to act as another user");
        return;
    }
    let w = World::new();
    let (alice, runtime) = protected_owner(&w);
    unlock(&w, &alice, &runtime, "5m");
    let socket = runtime.join("mpvault/agent.sock");
    // A request that would get a signature from this user's key.
    let attack = format!(
        "import socket,sys\ns=socket.socket(socket.AF_UNIX)\ntry:\n  s.connect({:?})\nexcept OSError as e:\n  print('connect refused', e.errno); sys.exit(0)\n# The agent may refuse and close before reading: its answer is still there to read.\ntry:\n  s.sendall(b'{{\"op\":\"sign\",\"message\":\"AAAAEG1wdmF1bHQgdmFsdWUgdjQ=\"}}\\n')\nexcept BrokenPipeError:\n  pass\nprint(s.recv(4096).decode())\n",
        socket.to_str().unwrap()
    );
    let as_nobody = || {
        let out = std::process::Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&python)
            .args(["-c", &attack])
            .output()
            .unwrap();
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    // The private folder keeps them out.
    let said = as_nobody();
    assert!(said.contains("connect refused"), "{said}");
    // With the folder opened by mistake, the agent itself refuses them (peer credentials).
    let perms = |p: &std::path::Path, m| {
        std::fs::set_permissions(
            p,
            <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(m),
        )
        .unwrap();
    };
    // Every folder on the way, as a careless setup might leave them.
    for dir in runtime
        .ancestors()
        .take_while(|d| d.starts_with(w.project().parent().unwrap()))
    {
        perms(dir, 0o755);
    }
    perms(&runtime.join("mpvault"), 0o755);
    perms(&socket, 0o777);
    let said = as_nobody();
    assert!(
        said.contains("answers only the user who started it"),
        "{said}"
    );
    assert!(!said.contains("signature"), "{said}");
    perms(&runtime.join("mpvault"), 0o700);
    lock(&w, &alice, &runtime);
}

fn which(tool: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(tool))
            .find(|p| p.exists())
    })
}

/// The format-1 vector's owner, whose identity file is now protected: that vault keeps the
/// verification date and ICP number encrypted, so `status` needs the key to judge them.
fn protected_format_1_owner(w: &World) -> (Person, PathBuf) {
    let vectors = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/format-1");
    std::fs::copy(vectors.join("mpvault.json"), w.vault_path()).unwrap();
    let alice = w.stranger("alice");
    let runtime = alice.home.join("run");
    std::fs::create_dir_all(&runtime).unwrap();
    std::fs::set_permissions(
        &runtime,
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    let key = std::fs::read_to_string(vectors.join("alice.key")).unwrap();
    let file = alice.home.join(".config/mpvault/identity.txt");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, &key).unwrap();
    let public = w.ok(&alice, &["identity", "show"]);
    std::fs::write(
        &file,
        format!("# public key: {}\n{}", public.trim(), protect(&key)),
    )
    .unwrap();
    (alice, runtime)
}

/// `key` encrypted with PASS, armored, as `identity new --passphrase` writes it.
fn protect(key: &str) -> String {
    use std::io::Write;
    let mut out = Vec::new();
    let armor =
        age::armor::ArmoredWriter::wrap_output(&mut out, age::armor::Format::AsciiArmor).unwrap();
    let mut writer = age::Encryptor::with_user_passphrase(PASS.into())
        .wrap_output(armor)
        .unwrap();
    writer.write_all(key.as_bytes()).unwrap();
    writer.finish().unwrap().finish().unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn issue_21_status_says_a_locked_identity_is_locked_not_that_it_cannot_read() {
    let w = World::new();
    let (alice, runtime) = protected_format_1_owner(&w);
    let locked = run(&w, &alice, &runtime, &["status"], &[]);
    let said = String::from_utf8_lossy(&locked.stdout);
    assert!(!asks_for_passphrase(&locked), "{}", stderr(&locked));
    assert!(said.contains("? = your identity is locked"), "{said}");
    assert!(said.contains("`mpvault unlock`"), "{said}");
    assert!(!said.contains("cannot read that app's"), "{said}");
    // Unlocked, the owner reads the encrypted facts: no `?`, no legend.
    unlock(&w, &alice, &runtime, "5m");
    let unlocked = run(&w, &alice, &runtime, &["status"], &[]);
    let said = String::from_utf8_lossy(&unlocked.stdout);
    lock(&w, &alice, &runtime);
    assert!(!said.contains("? ="), "{said}\n{}", stderr(&unlocked));
}
