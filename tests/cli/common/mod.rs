//! A small world for end-to-end tests: a project folder and people with their own homes.

pub mod interop;
pub mod repo;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use tempfile::TempDir;

pub use mpvault::error::exit;

pub const APPID: &str = "wx0123456789abcdef";
pub const APPSECRET: &str = "0123456789abcdef0123456789abcdef";
/// The AppID of the second app, blog, where a test needs two.
pub const BLOG_APPID: &str = "wx00000000000000bb";
pub const PEM: &str = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\nVJTUt9Us8cKjMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\n-----END PRIVATE KEY-----\n";

pub struct World {
    root: TempDir,
}

/// One person: their own config and data folders, so identities never mix.
pub struct Person {
    pub name: String,
    pub home: PathBuf,
}

impl World {
    pub fn new() -> Self {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("project")).unwrap();
        World { root }
    }

    pub fn project(&self) -> PathBuf {
        self.root.path().join("project")
    }

    pub fn vault_path(&self) -> PathBuf {
        self.project().join("mpvault.json")
    }

    pub fn vault_text(&self) -> String {
        std::fs::read_to_string(self.vault_path()).unwrap()
    }

    /// A person without an identity yet.
    pub fn stranger(&self, name: &str) -> Person {
        let home = self.root.path().join("homes").join(name);
        std::fs::create_dir_all(&home).unwrap();
        Person {
            name: name.to_string(),
            home,
        }
    }

    /// A person with a fresh identity.
    pub fn person(&self, name: &str) -> Person {
        let person = self.stranger(name);
        self.cmd(&person)
            .args(["identity", "new"])
            .assert()
            .success();
        person
    }

    /// The first owner: an identity and a vault with one app.
    pub fn owner_with_app(&self) -> Person {
        let alice = self.person("alice");
        self.ok(&alice, &["init", "--owner", "alice"]);
        self.ok(
            &alice,
            &["app", "add", "shop", "--appid", APPID, "--title", "Shop"],
        );
        alice
    }

    /// mpvault as `person`, in the project folder, with nothing of the tester's environment.
    pub fn cmd(&self, person: &Person) -> Command {
        Command::from_std(self.std_cmd(person))
    }

    pub fn std_cmd(&self, person: &Person) -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("mpvault"));
        cmd.current_dir(self.project())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &person.home)
            .env("XDG_CONFIG_HOME", person.home.join(".config"))
            .env("XDG_DATA_HOME", person.home.join(".local/share"))
            .env("USER", &person.name);
        cmd
    }

    /// Runs and expects success; returns stdout.
    pub fn ok(&self, person: &Person, args: &[&str]) -> String {
        let out = self.cmd(person).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "mpvault {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs with `input` on standard input and expects success.
    pub fn ok_stdin(&self, person: &Person, args: &[&str], input: &str) -> String {
        let out = self
            .cmd(person)
            .args(args)
            .write_stdin(input)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "mpvault {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs and expects failure; returns (exit code, stderr).
    pub fn fails(&self, person: &Person, args: &[&str]) -> (i32, String) {
        let out = self.cmd(person).args(args).output().unwrap();
        assert!(!out.status.success(), "mpvault {args:?} should have failed");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8(out.stderr).unwrap(),
        )
    }

    pub fn public_line(&self, person: &Person) -> String {
        self.ok(person, &["identity", "show"]).trim().to_string()
    }

    /// `owner` adds `person` as a member with `roles` on shop.
    pub fn join(&self, owner: &Person, person: &Person, roles: &[&str]) {
        let key = self.public_line(person);
        self.ok(owner, &["member", "add", &person.name, "--key", &key]);
        if !roles.is_empty() {
            let mut args = vec!["role", "grant", person.name.as_str(), "shop"];
            args.extend(roles);
            self.ok(owner, &args);
        }
    }

    /// Runs mpvault under a pseudo-terminal (util-linux `script`) with `env` added, typing
    /// `typed` (lines; `\\n` ends one) one line per prompt: each line waits for a prompt on
    /// the screen, and a hidden one (input hidden, a passphrase or PIN) also for the terminal's
    /// echo to be off, so nothing is typed early however loaded the machine is.
    pub fn at_terminal(
        &self,
        person: &Person,
        args: &str,
        typed: &str,
        env: &[(&str, &str)],
    ) -> std::process::Output {
        use std::io::{Read, Write};
        let mpvault = self.std_cmd(person);
        let dir = tempfile::tempdir().unwrap();
        let tty_file = dir.path().join("tty");
        let command = format!(
            "tty > '{}'; exec '{}' {args}",
            tty_file.display(),
            mpvault.get_program().to_string_lossy()
        );
        let mut child = std::process::Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .current_dir(self.project())
            .env_clear()
            .envs(mpvault.get_envs().filter_map(|(k, v)| Some((k, v?))))
            .envs(env.iter().copied())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("util-linux script is installed");
        let screen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut stdout = child.stdout.take().unwrap();
        let reader = {
            let screen = screen.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n @ 1..) = stdout.read(&mut buf) {
                    screen.lock().unwrap().extend_from_slice(&buf[..n]);
                }
            })
        };
        let mut stdin = child.stdin.take().unwrap();
        let mut seen = 0;
        for line in typed.split_terminator("\\n") {
            let Some(prompt) = wait_for_prompt(&screen, seen, &reader) else {
                break; // the command ended before asking again
            };
            if is_hidden(&prompt) {
                wait_for_echo_off(&tty_file);
            }
            seen = screen.lock().unwrap().len();
            if stdin.write_all(format!("{line}\n").as_bytes()).is_err() {
                break;
            }
        }
        drop(stdin);
        let status = child.wait().unwrap();
        reader.join().unwrap();
        let stdout = std::mem::take(&mut *screen.lock().unwrap());
        std::process::Output {
            status,
            stdout,
            stderr: Vec::new(),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.project().join(rel)
    }

    /// Runs git in the project folder, as a committer named t, and expects success.
    pub fn git(&self, args: &[&str]) {
        let home = self.root.path().join("git-home");
        std::fs::create_dir_all(&home).unwrap();
        let out = git_command(&self.project(), &home, "t")
            .args(args)
            .output()
            .expect("git is installed");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The project folder as a git work tree with the vault committed on `main`.
    pub fn git_with_vault(&self) {
        self.git(&["init", "-q", "-b", "main"]);
        self.git(&["add", "mpvault.json"]);
        self.git(&["commit", "-qm", "vault"]);
    }

    /// `owner` adds a second app, blog.
    pub fn add_blog(&self, owner: &Person) {
        self.ok(owner, &["app", "add", "blog", "--appid", BLOG_APPID]);
    }
}

/// Expects `out` to be a success (showing its stderr otherwise) and returns it.
pub fn succeeded(out: std::process::Output) -> std::process::Output {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// An ed25519 SSH key without a passphrase, made by the real `ssh-keygen` in `person`'s home:
/// the private key's path (the public key is beside it, `.pub`).
pub fn ssh_key(person: &Person) -> PathBuf {
    let key = person.home.join("id_ed25519");
    let status = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "dave@laptop", "-f"])
        .arg(&key)
        .status()
        .unwrap();
    assert!(status.success());
    key
}

pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Waits for the wall clock to reach the next whole second, so that two events are ordered by
/// the vault's one-second timestamps.
pub fn next_second() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    std::thread::sleep(std::time::Duration::from_nanos(
        1_000_000_000 - u64::from(now.subsec_nanos()) + 1_000_000,
    ));
}

/// alice (owner), bob (developer), carol (tester) on shop, with an AppSecret; everyone has
/// opened the vault once, so everyone has pinned alice.
pub fn team(w: &World) -> (Person, Person, Person) {
    let alice = w.owner_with_app();
    let bob = w.person("bob");
    let carol = w.person("carol");
    w.join(&alice, &bob, &["developer"]);
    w.join(&alice, &carol, &["tester"]);
    w.ok_stdin(&alice, &["add-secret", "shop", "--stdin"], APPSECRET);
    w.ok(&bob, &["app", "list"]);
    w.ok(&carol, &["app", "list"]);
    (alice, bob, carol)
}

/// mallory's own vault, in another folder: the same app, alice and bob added from their
/// public lines, and mallory its owner.
pub fn lookalike_vault(w: &World, alice: &Person, bob: &Person) -> String {
    let mallory = w.person("mallory");
    let elsewhere = w.project().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let vault = elsewhere.join("mpvault.json");
    let at = |args: &[&str]| {
        let mut all = vec!["--vault", vault.to_str().unwrap()];
        all.extend(args);
        all.iter().map(ToString::to_string).collect::<Vec<_>>()
    };
    let run = |args: Vec<String>| {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        w.ok(&mallory, &a)
    };
    w.cmd(&mallory)
        .current_dir(&elsewhere)
        .args(["init", "--owner", "mallory"])
        .assert()
        .success();
    run(at(&["app", "add", "shop", "--appid", APPID]));
    run(at(&[
        "member",
        "add",
        "alice",
        "--key",
        &w.public_line(alice),
    ]));
    run(at(&["member", "add", "bob", "--key", &w.public_line(bob)]));
    run(at(&["role", "grant", "bob", "shop", "developer"]));
    std::fs::read_to_string(vault).unwrap()
}

/// What `status` asks of shop besides fresh secrets: a verification expiry, an ICP number and
/// the 管理员's contact, recorded by `owner`.
pub fn make_compliant(w: &World, owner: &Person, verified_until: &str) {
    w.ok(
        owner,
        &[
            "app",
            "set",
            "shop",
            "--verified-until",
            verified_until,
            "--icp",
            "沪ICP备2020000000号-1X",
        ],
    );
    w.ok(
        owner,
        &[
            "app",
            "contact",
            "shop",
            "--name",
            "Wang",
            "--wechat",
            "wxid_admin1",
        ],
    );
}

pub fn edit(w: &World, change: impl FnOnce(&mut serde_json::Value)) {
    let mut vault: serde_json::Value = serde_json::from_str(&w.vault_text()).unwrap();
    change(&mut vault);
    std::fs::write(
        w.vault_path(),
        serde_json::to_string_pretty(&vault).unwrap() + "\n",
    )
    .unwrap();
}

/// Drops the newest version of shop's AppSecret from the file, as a rollback would.
pub fn drop_newest_appsecret(w: &World) {
    edit(w, |v| {
        v["apps"]["shop"]["secrets"]["WECHAT_APPSECRET"]["versions"]
            .as_array_mut()
            .unwrap()
            .remove(0);
    });
}

/// Asserts the command is refused for trust reasons and leaves the file alone.
pub fn refused(w: &World, who: &Person, args: &[&str], says: &str) {
    refused_as(w, who, args, exit::CORRUPT, says);
}

/// Asserts the command fails with `code`, says `says`, and leaves the file alone.
pub fn refused_as(w: &World, who: &Person, args: &[&str], code: i32, says: &str) {
    let before = w.vault_text();
    let (got, err) = w.fails(who, args);
    assert_eq!(got, code, "{args:?}: {err}");
    assert!(err.contains(says), "{args:?}: expected '{says}' in: {err}");
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("mpvault:")).collect();
    assert_eq!(errors.len(), 1, "one error line: {err}");
    assert!(
        errors[0].contains(says),
        "{args:?}: expected '{says}' in the error: {err}"
    );
    assert_eq!(w.vault_text(), before, "{args:?} changed the vault");
}

/// Runs with `input` on standard input; returns (exit code, stderr).
pub fn run_stdin(w: &World, who: &Person, args: &[&str], input: &str) -> (i32, String) {
    let out = w.cmd(who).args(args).write_stdin(input).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// The secrets `status --json` lists as due for rotation, as `who` sees them.
pub fn rotations_due(w: &World, who: &Person) -> Vec<String> {
    let out = w.cmd(who).args(["status", "--json"]).output().unwrap();
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    status["apps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["rotations_due"].as_array().cloned().unwrap_or_default())
        .map(|d| d["name"].as_str().unwrap().to_string())
        .collect()
}

/// `who`'s identity file, as `identity new` writes it.
pub fn identity_file(who: &Person) -> PathBuf {
    who.home.join(".config/mpvault/identity.txt")
}

/// The field path docs/recover.py prints for `name`: a secret's name, or a path as it is
/// (`config/API_BASE`, `modes/development/config/API_BASE`).
fn field_path(name: &str) -> String {
    if name.contains('/') {
        name.to_string()
    } else {
        format!("secrets/{name}")
    }
}

/// Asserts that `who`'s own key, used outside mpvault (docs/recover.py: age and libsodium,
/// nothing of mpvault's code), gets nothing of `name` out of the vault file as it is now.
/// This is what "X can no longer read Y" means to an attacker who has the file and their key;
/// a refusal by mpvault proves nothing about it.
pub fn assert_unreadable_by(w: &World, who: &Person, app: &str, name: &str) {
    let path = field_path(name);
    let vault: serde_json::Value = serde_json::from_str(&w.vault_text()).unwrap();
    assert!(
        field_present(&vault["apps"][app], &path),
        "positive control: the file holds no {path} in {app}, so nothing is proven"
    );
    let Some(read) = interop::recover_as_attacker(&w.vault_path(), &identity_file(who), app) else {
        return;
    };
    assert!(
        read[app].get(&path).is_none(),
        "{}'s own key recovers {app} {path} from the file: {}",
        who.name,
        read[app]
    );
}

/// Whether `app` (the file's JSON) holds a value at recover.py's field `path`.
fn field_present(app: &serde_json::Value, path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        ["secrets", name] => app["secrets"][*name].is_object(),
        ["modes", mode, "config", field] => app["modes"][*mode][*field].is_object(),
        ["modes", mode, "build", field] => app["build_modes"][*mode][*field].is_object(),
        [kind, field] => app[*kind][*field].is_object(),
        _ => false,
    }
}

/// The commitment to `app`'s data key at `level` (docs/FORMAT.md): it changes exactly when
/// the key does, so a key someone saved before opens nothing written after it changed.
pub fn commitment(w: &World, app: &str, level: &str) -> String {
    let vault: serde_json::Value = serde_json::from_str(&w.vault_text()).unwrap();
    vault["apps"][app]["keys"][level]["commitment"]
        .as_str()
        .unwrap_or_else(|| panic!("{app} has no {level} key"))
        .to_string()
}

/// How long a terminal test waits for the next prompt before it stops typing.
const PROMPT_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

/// Waits until the screen shows, after its first `seen` bytes, a line awaiting input (text
/// not ended by a newline) and returns that line; None when the command ended first.
fn wait_for_prompt(
    screen: &std::sync::Mutex<Vec<u8>>,
    seen: usize,
    reader: &std::thread::JoinHandle<()>,
) -> Option<String> {
    let start = std::time::Instant::now();
    loop {
        {
            let screen = screen.lock().unwrap();
            let new = &screen[seen.min(screen.len())..];
            if !new.is_empty() && !new.ends_with(b"\n") {
                let text = String::from_utf8_lossy(&screen);
                return Some(text.rsplit('\n').next().unwrap_or("").to_string());
            }
        }
        if reader.is_finished() || start.elapsed() > PROMPT_WAIT {
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// Whether a prompt reads its answer with the echo off.
fn is_hidden(prompt: &str) -> bool {
    let lower = prompt.to_lowercase();
    lower.contains("input hidden") || lower.contains("passphrase") || prompt.contains("PIN")
}

/// Waits until the pseudo-terminal named in `tty_file` has its echo off.
fn wait_for_echo_off(tty_file: &Path) {
    let start = std::time::Instant::now();
    while start.elapsed() < PROMPT_WAIT {
        if let Ok(tty) = std::fs::read_to_string(tty_file) {
            let out = std::process::Command::new("stty")
                .args(["-a", "-F", tty.trim()])
                .output()
                .unwrap();
            let flags = String::from_utf8_lossy(&out.stdout);
            if flags.split_whitespace().any(|f| f == "-echo") {
                return;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("the terminal's echo never went off for a hidden prompt");
}

/// git in `dir`, isolated from the host: nothing of the tester's environment (no inherited
/// `GIT_*`, HOME or system config), `home` as HOME and its `.gitconfig` as the global config,
/// and `name` as author and committer. Every test runs git through this.
pub fn git_command(dir: &Path, home: &Path, name: &str) -> std::process::Command {
    let mut git = std::process::Command::new("git");
    git.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", home.join(".gitconfig"))
        .env("GIT_AUTHOR_NAME", name)
        .env("GIT_AUTHOR_EMAIL", format!("{name}@example.com"))
        .env("GIT_COMMITTER_NAME", name)
        .env("GIT_COMMITTER_EMAIL", format!("{name}@example.com"));
    git
}
