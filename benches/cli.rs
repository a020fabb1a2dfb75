//! Wall time of everyday commands on realistic vaults, through the real binary.
//!
//! `cargo bench --bench cli` prints each command's median over repeated runs, and its ratio to
//! `mpvault --version` measured in the same run (process start-up alone), since absolute
//! figures on shared machines are noisy.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 21;

/// The merge driver on two branches of the small vault: the owner re-keys app10 on one and
/// adds a secret to it on the other, so the merge re-seals that secret and signs.
fn merge_driver(small: &Team, baseline: Duration) {
    let saved = std::fs::read(&small.vault).unwrap();
    let dir = small.vault.with_file_name("merge");
    std::fs::create_dir_all(&dir).unwrap();
    let (base, theirs, ours) = (dir.join("base"), dir.join("theirs"), dir.join("ours"));
    std::fs::write(&base, &saved).unwrap();
    small.run(&["rekey", "app10"], None);
    std::fs::copy(&small.vault, &theirs).unwrap();
    std::fs::write(&small.vault, &saved).unwrap();
    small.run(
        &["add-secret", "app10", "API_TOKEN", "--stdin"],
        Some("token"),
    );
    let ours_saved = std::fs::read(&small.vault).unwrap();
    std::fs::write(&small.vault, &saved).unwrap();
    let (b, o, t) = (
        base.to_str().unwrap(),
        ours.to_str().unwrap(),
        theirs.to_str().unwrap(),
    );
    let merge = median(|| {
        std::fs::write(&ours, &ours_saved).unwrap();
        small.run(&["git", "merge", b, o, t], None)
    });
    report("git merge (re-seals one value, signs)", merge, baseline);
    report(
        "git textconv",
        median(|| small.run(&["git", "textconv", t], None)),
        baseline,
    );
}

fn main() {
    let bin = build_binary();
    let small = Team::new(&bin, 20, 10);
    let baseline = median(|| small.run(&["--version"], None));
    println!("{RUNS} runs each, median; baseline is `mpvault --version` (process start-up)");
    report("mpvault --version", baseline, baseline);

    println!(
        "\nvault of {} apps and {} members",
        small.apps,
        small.members + 1
    );
    for (label, args) in [
        (
            "get app10 WECHAT_APPSECRET",
            &["get", "app10", "WECHAT_APPSECRET"][..],
        ),
        (
            "export app10 --include-secrets",
            &["export", "app10", "--include-secrets"],
        ),
        ("status", &["status"]),
        (
            "config set app10 X=1 (a locked, signed write)",
            &["config", "set", "app10", "X=1"],
        ),
    ] {
        report(label, median(|| small.run(args, None)), baseline);
    }
    // Inside a git work tree every write also asks git whether the vault is committed.
    small.git(&["init", "-q"]);
    small.git(&["add", "mpvault.json"]);
    small.git(&["commit", "-qm", "vault"]);
    report(
        "config set app10 X=1, inside a git work tree",
        median(|| small.run(&["config", "set", "app10", "X=1"], None)),
        baseline,
    );

    hostile(&small, baseline);

    merge_driver(&small, baseline);

    let large = Team::new(&bin, 50, 19);
    println!(
        "\nvault of {} apps and {} members",
        large.apps,
        large.members + 1
    );
    let saved = std::fs::read(&large.vault).unwrap();
    // m0 holds a role on every fifth app; removing them replaces those keys and re-encrypts.
    let remove = median(|| {
        std::fs::write(&large.vault, &saved).unwrap();
        large.run(&["member", "remove", "m0", "--yes"], None)
    });
    report("member remove m0", remove, baseline);
    report(
        "get app10 WECHAT_APPSECRET",
        median(|| large.run(&["get", "app10", "WECHAT_APPSECRET"], None)),
        baseline,
    );
    report(
        "status (opens every value the owner reads)",
        median(|| large.run(&["status"], None)),
        baseline,
    );
}

/// Files a hostile writer could push, at the largest size mpvault reads: each is read in full
/// or refused (exit 5) in about the time of an ordinary command (`vault::limits`).
fn hostile(team: &Team, baseline: Duration) {
    use mpvault::vault::limits::{MAX_FILE_BYTES, MAX_STRING_BYTES};
    let pristine = std::fs::read_to_string(&team.vault).unwrap();
    let v: serde_json::Value = serde_json::from_str(&pristine).unwrap();
    let wrapped = v["apps"]["app10"]["keys"]["developer"]["wrapped"]
        .as_str()
        .unwrap()
        .to_string();
    let inflate = |bytes: usize| inflate(&wrapped, bytes);
    let pad = |mut text: String| {
        assert!(text.len() <= MAX_FILE_BYTES);
        text.push_str(&" ".repeat(MAX_FILE_BYTES - text.len()));
        text
    };
    let room = MAX_FILE_BYTES - pristine.len() - 1024;
    let strings =
        vec![format!("\"{}\"", "x".repeat(MAX_STRING_BYTES - 16)); room / MAX_STRING_BYTES];
    let cases = [
        (
            "8 MiB, mostly whitespace (read)",
            pad(pristine.clone()),
            true,
        ),
        (
            "8 MiB of 1 MiB strings in an unknown field (read)",
            pad(pristine.replacen('{', &format!("{{\"extra\": [{}],", strings.join(",")), 1)),
            true,
        ),
        (
            "8 MiB, a key inflated to 1 MiB of stanzas (refused)",
            pad(pristine.replacen(&wrapped, &inflate(MAX_STRING_BYTES / 4 * 3 - 64), 1)),
            false,
        ),
        (
            "8 MiB of nesting (refused)",
            pad(pristine.replacen(
                '{',
                &format!("{{\"x\": {}{},", "[".repeat(room / 2), "]".repeat(room / 2)),
                1,
            )),
            false,
        ),
    ];
    println!("\nhostile files, `get app10 WECHAT_APPSECRET`");
    for (label, text, readable) in cases {
        let path = team.vault.with_file_name("hostile.json");
        std::fs::write(&path, text).unwrap();
        let args = [
            "--vault",
            path.to_str().unwrap(),
            "get",
            "app10",
            "WECHAT_APPSECRET",
        ];
        report(
            label,
            median(|| team.run_expecting(&args, readable)),
            baseline,
        );
    }
}

/// The wrapped key `wrapped` (base64) with its first stanza copied until it is `bytes` long.
fn inflate(wrapped: &str, bytes: usize) -> String {
    use base64::engine::general_purpose::STANDARD as B64;
    use base64::Engine;
    let raw = B64.decode(wrapped).unwrap();
    let at = |from: usize, pat: &[u8]| {
        from + raw[from..]
            .windows(pat.len())
            .position(|w| w == pat)
            .unwrap()
    };
    let first = at(0, b"\n-> ") + 1;
    let end = at(at(first, b"\n") + 1, b"\n") + 1;
    let mut out = raw[..first].to_vec();
    while out.len() + raw.len() < bytes {
        out.extend_from_slice(&raw[first..end]);
    }
    out.extend_from_slice(&raw[first..]);
    B64.encode(out)
}

/// A vault with `apps` apps, an owner and `members` more members holding roles.
struct Team {
    bin: PathBuf,
    _dir: tempfile::TempDir,
    home: PathBuf,
    vault: PathBuf,
    apps: usize,
    members: usize,
}

impl Team {
    fn new(bin: &Path, apps: usize, members: usize) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let team = Team {
            bin: bin.to_path_buf(),
            home: dir.path().join("home"),
            vault: dir.path().join("mpvault.json"),
            _dir: dir,
            apps,
            members,
        };
        team.run(&["identity", "new"], None);
        team.run(&["init", "--owner", "owner"], None);
        for i in 0..members {
            let key = team.public_line(&team.home.with_file_name(format!("m{i}")));
            team.run(&["member", "add", &format!("m{i}"), "--key", &key], None);
        }
        for a in 0..apps {
            let app = format!("app{a:02}");
            team.run(
                &["app", "add", &app, "--appid", &format!("wx{a:016x}")],
                None,
            );
            team.run(&["add-secret", &app, "--stdin"], Some(&format!("{a:032x}")));
            team.run(
                &["add-secret", &app, "WECHAT_PAY_API_V3_KEY", "--stdin"],
                Some(&format!("K{a:031}")),
            );
            team.run(
                &["add-secret", &app, "BAAS_CLIENT_SECRET", "--stdin"],
                Some("baas-secret-value"),
            );
            team.run(
                &[
                    "config",
                    "set",
                    &app,
                    "API_BASE=https://api.example.com",
                    "CDN=https://cdn.example.com",
                ],
                None,
            );
            for (m, role) in ["developer", "tester", "admin", "operator"]
                .iter()
                .enumerate()
            {
                let member = format!("m{}", (a + m * 5) % members);
                team.run(&["role", "grant", &member, &app, role], None);
            }
        }
        team
    }

    fn git(&self, args: &[&str]) {
        let dir = self.vault.parent().unwrap();
        let ok = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_AUTHOR_NAME", "bench")
            .env("GIT_AUTHOR_EMAIL", "bench@example.com")
            .env("GIT_COMMITTER_NAME", "bench")
            .env("GIT_COMMITTER_EMAIL", "bench@example.com")
            .status()
            .unwrap();
        assert!(ok.success(), "git {args:?}");
    }

    fn public_line(&self, home: &Path) -> String {
        let out = Command::new(&self.bin)
            .args(["identity", "new"])
            .env("XDG_CONFIG_HOME", home)
            .env("HOME", home)
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    /// Runs a command that must succeed (`ok`) or be refused as a damaged vault.
    fn run_expecting(&self, args: &[&str], ok: bool) -> Duration {
        let start = Instant::now();
        let out = Command::new(&self.bin)
            .args(args)
            .env("XDG_CONFIG_HOME", &self.home)
            .env("XDG_DATA_HOME", self.home.join("data"))
            .env("HOME", &self.home)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let elapsed = start.elapsed();
        let expected = if ok { Some(0) } else { Some(5) };
        assert_eq!(
            out.status.code(),
            expected,
            "mpvault {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        elapsed
    }

    fn run(&self, args: &[&str], stdin: Option<&str>) -> Duration {
        let start = Instant::now();
        let mut child = Command::new(&self.bin)
            .args(args)
            .env("XDG_CONFIG_HOME", &self.home)
            .env("XDG_DATA_HOME", self.home.join("data"))
            .env("HOME", &self.home)
            .env("MPVAULT_VAULT", &self.vault)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(input) = stdin {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(input.as_bytes())
                .unwrap();
        }
        let out = child.wait_with_output().unwrap();
        // `status` reports what is due (7) or broken (8) through its exit code.
        let judged = args.first() == Some(&"status") && matches!(out.status.code(), Some(7 | 8));
        assert!(
            out.status.success() || judged,
            "mpvault {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        start.elapsed()
    }
}

fn build_binary() -> PathBuf {
    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "--quiet", "--bin", "mpvault"])
        .status()
        .unwrap();
    assert!(status.success());
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/mpvault")
}

fn median(mut f: impl FnMut() -> Duration) -> Duration {
    let mut times: Vec<Duration> = (0..RUNS).map(|_| f()).collect();
    times.sort();
    times[RUNS / 2]
}

fn report(label: &str, time: Duration, baseline: Duration) {
    let ms = time.as_secs_f64() * 1000.0;
    let ratio = time.as_secs_f64() / baseline.as_secs_f64();
    println!("{label:<48} {ms:>9.2} ms  {ratio:>6.1}x baseline");
}
