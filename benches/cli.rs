//! Wall time of everyday commands on a realistic vault, through the real binary.
//!
//! `cargo bench --bench cli` prints each command's median over repeated runs, and its ratio to
//! `mpvault --version` measured in the same run (process start-up alone), since absolute
//! figures on shared machines are noisy.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const APPS: usize = 20;
const MEMBERS: usize = 10;
const RUNS: usize = 30;

fn main() {
    let bin = build_binary();
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let vault = dir.path().join("mpvault.json");
    let mpvault = |args: &[&str], stdin: Option<&str>| run(&bin, &home, &vault, args, stdin);

    mpvault(&["identity", "new"], None);
    mpvault(&["init", "--owner", "owner"], None);
    let others: Vec<String> = (0..MEMBERS)
        .map(|i| public_line(&bin, &dir.path().join(format!("m{i}"))))
        .collect();
    for (i, key) in others.iter().enumerate() {
        mpvault(&["member", "add", &format!("m{i}"), "--key", key], None);
    }
    for a in 0..APPS {
        let app = format!("app{a:02}");
        mpvault(
            &["app", "add", &app, "--appid", &format!("wx{a:016x}")],
            None,
        );
        mpvault(&["add-secret", &app, "--stdin"], Some(&format!("{a:032x}")));
        mpvault(
            &["add-secret", &app, "WECHAT_PAY_API_V3_KEY", "--stdin"],
            Some(&format!("K{a:031}")),
        );
        mpvault(
            &[
                "config",
                "set",
                &app,
                "API_BASE=https://api.example.com",
                "CDN=https://cdn.example.com",
            ],
            None,
        );
        for m in 0..3 {
            mpvault(
                &[
                    "role",
                    "grant",
                    &format!("m{}", (a + m) % MEMBERS),
                    &app,
                    ["developer", "tester", "admin"][m],
                ],
                None,
            );
        }
    }

    let baseline = median(|| mpvault(&["--version"], None));
    println!(
        "vault: {APPS} apps, {} members; {RUNS} runs each, median",
        MEMBERS + 1
    );
    println!(
        "{:<44} {:>9.2} ms  (baseline)",
        "mpvault --version",
        ms(baseline)
    );
    let cases: [(&str, &[&str]); 4] = [
        (
            "get app10 WECHAT_APPSECRET",
            &["get", "app10", "WECHAT_APPSECRET"],
        ),
        (
            "export app10 --include-secrets",
            &["export", "app10", "--include-secrets"],
        ),
        ("status", &["status"]),
        (
            "config set app10 X=1 (a locked write)",
            &["config", "set", "app10", "X=1"],
        ),
    ];
    for (label, args) in cases {
        let t = median(|| mpvault(args, None));
        println!(
            "{label:<44} {:>9.2} ms  {:>5.1}x baseline",
            ms(t),
            ratio(t, baseline)
        );
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

fn public_line(bin: &Path, home: &Path) -> String {
    let out = Command::new(bin)
        .args(["identity", "new"])
        .env("XDG_CONFIG_HOME", home)
        .env("HOME", home)
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn run(bin: &Path, home: &Path, vault: &Path, args: &[&str], stdin: Option<&str>) -> Duration {
    let start = Instant::now();
    let mut child = Command::new(bin)
        .args(args)
        .env("XDG_CONFIG_HOME", home)
        .env("HOME", home)
        .env("MPVAULT_VAULT", vault)
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
    assert!(
        out.status.success(),
        "mpvault {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    start.elapsed()
}

fn median(mut f: impl FnMut() -> Duration) -> Duration {
    let mut times: Vec<Duration> = (0..RUNS).map(|_| f()).collect();
    times.sort();
    times[RUNS / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}
