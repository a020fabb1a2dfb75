//! Issue 24: mpvault installed with npm. `npm/pack.sh` packs the launcher package and this
//! machine's platform package; an empty project installs both tarballs offline, without
//! install scripts, and the launcher runs the binary with its output, exit codes and signals.
//! Nothing here reaches the network: npm runs offline, against a registry that cannot answer.

use crate::common;

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// False, after saying so, when `program` (node or npm) is not installed.
fn installed(program: &str, what: &str) -> bool {
    let found = Command::new(program).arg("--version").output().is_ok();
    if !found {
        println!("{program} is not installed: skipped {what}");
    }
    found
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Every package.json under npm/ is at Cargo.toml's version, and the launcher depends on
/// exactly that version of each platform package.
#[test]
fn every_npm_package_carries_the_cargo_version() {
    let version = env!("CARGO_PKG_VERSION");
    let main = json(&repo().join("npm/mpvault/package.json"));
    let template = json(&repo().join("npm/platform/package.json"));
    assert_eq!(main["version"], version);
    assert_eq!(template["version"], version);
    let deps = main["optionalDependencies"].as_object().unwrap();
    let names: Vec<&str> = deps.keys().map(String::as_str).collect();
    let mut expected = [
        "@mpvault/darwin-arm64",
        "@mpvault/darwin-x64",
        "@mpvault/linux-arm64-gnu",
        "@mpvault/linux-x64-gnu",
        "@mpvault/linux-x64-musl",
        "@mpvault/win32-x64-msvc",
    ];
    expected.sort_unstable();
    let mut names = names;
    names.sort_unstable();
    assert_eq!(names, expected);
    for (name, pinned) in deps {
        assert_eq!(pinned, version, "{name}");
    }
    // No install script: `npm install --ignore-scripts` loses nothing.
    assert!(main.get("scripts").is_none(), "{main}");
}

/// `node npm/sync-version.js --check` agrees here; on a copy of npm/ beside a Cargo.toml at
/// another version it names the stale package.json, and without `--check` brings it along.
#[test]
fn sync_version_names_and_fixes_a_package_left_at_another_version() {
    if !installed("node", "the version sync check") {
        return;
    }
    let sync = |root: &Path, args: &[&str]| {
        Command::new("node")
            .arg("npm/sync-version.js")
            .args(args)
            .current_dir(root)
            .output()
            .unwrap()
    };
    succeeded(sync(&repo(), &["--check"]));

    let copy = tempfile::tempdir().unwrap();
    let root = copy.path();
    for file in [
        "npm/sync-version.js",
        "npm/mpvault/package.json",
        "npm/mpvault/lib/platforms.js",
        "npm/platform/package.json",
        "examples/github-actions.yml",
        "README.md",
        "docs/install.md",
    ] {
        std::fs::create_dir_all(root.join(file).parent().unwrap()).unwrap();
        std::fs::copy(repo().join(file), root.join(file)).unwrap();
    }
    std::fs::write(
        root.join("Cargo.toml"),
        "[package]\nname = \"mpvault\"\nversion = \"9.8.7\"\n\n[dependencies]\nage = { version = \"0.11\" }\n",
    )
    .unwrap();
    let example = root.join("examples/github-actions.yml");
    let text = std::fs::read_to_string(&example).unwrap();
    std::fs::write(
        &example,
        text.replace(
            &format!("mpvault@{}", env!("CARGO_PKG_VERSION")),
            "mpvault@0.0.1",
        ),
    )
    .unwrap();
    let stale = sync(root, &["--check"]);
    assert_eq!(stale.status.code(), Some(1));
    let said = String::from_utf8_lossy(&stale.stderr);
    assert!(said.contains("npm/mpvault/package.json"), "{said}");
    assert!(said.contains("npm/platform/package.json"), "{said}");
    assert!(said.contains("examples/github-actions.yml"), "{said}");
    assert!(said.contains("README.md"), "{said}");
    assert!(said.contains("docs/install.md"), "{said}");
    assert!(said.contains("9.8.7"), "{said}");

    succeeded(sync(root, &[]));
    succeeded(sync(root, &["--check"]));
    let main = json(&root.join("npm/mpvault/package.json"));
    assert_eq!(main["version"], "9.8.7");
    assert_eq!(
        json(&root.join("npm/platform/package.json"))["version"],
        "9.8.7"
    );
    let deps = main["optionalDependencies"].as_object().unwrap();
    assert_eq!(deps.len(), 6);
    assert!(deps.values().all(|v| v == "9.8.7"), "{main}");
    let text = std::fs::read_to_string(&example).unwrap();
    assert!(
        text.contains("npx --yes mpvault@9.8.7 git verify"),
        "{text}"
    );
    assert!(!text.contains("mpvault@0.0.1"), "{text}");
}

/// The launcher's platform table and its messages, as `node --test` runs them.
#[test]
fn the_launcher_platform_table_passes_its_unit_tests() {
    if !installed("node", "the launcher's unit tests") {
        return;
    }
    let out = Command::new("node")
        .args(["--test", "npm/test/platforms.test.js"])
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The release workflow builds each platform of the launcher's table for its Rust target,
/// attaches the archives `cargo binstall` looks for, and publishes the platform packages with
/// provenance before the launcher that depends on them.
#[test]
fn the_release_workflow_builds_each_platform_and_publishes_the_launcher_last() {
    let read = |path: &str| std::fs::read_to_string(repo().join(path)).unwrap();
    let workflow = read(".github/workflows/release.yml");
    let table = read("npm/mpvault/lib/platforms.js");
    for (platform, target) in [
        ("linux-x64-gnu", "x86_64-unknown-linux-gnu"),
        ("linux-arm64-gnu", "aarch64-unknown-linux-gnu"),
        ("linux-x64-musl", "x86_64-unknown-linux-musl"),
        ("darwin-x64", "x86_64-apple-darwin"),
        ("darwin-arm64", "aarch64-apple-darwin"),
        ("win32-x64-msvc", "x86_64-pc-windows-msvc"),
    ] {
        let entry = format!("- platform: {platform}\n            target: {target}\n");
        assert!(workflow.contains(&entry), "release.yml lacks {entry:?}");
        assert!(
            table.contains(&format!("key: '{platform}'"))
                && table.contains(&format!("target: '{target}'")),
            "platforms.js lacks {platform}"
        );
    }
    let cargo = read("Cargo.toml");
    assert!(cargo.contains("/releases/download/v{ version }/mpvault-{ target }.tar.gz\""));
    assert!(cargo.contains("bin-dir = \"mpvault-{ target }/{ bin }{ binary-ext }\""));
    assert!(workflow.contains("name=\"mpvault-${{ matrix.target }}\""));
    assert!(workflow.contains("tar czf \"$name.tar.gz\" \"$name\""));
    assert!(workflow.contains("npm publish \"$1\" --provenance --access public"));
    assert!(workflow.contains("id-token: write"));
    let platforms = workflow.find("for tarball in dist/npm/*.tgz").unwrap();
    let launcher = workflow.find("publish dist/launcher/mpvault-").unwrap();
    assert!(platforms < launcher, "the launcher is published first");
}

/// npm and npx, kept to `scratch` (cache, no user config) and off the network.
fn npm_env<'c>(cmd: &'c mut Command, person: &Person, scratch: &Path) -> &'c mut Command {
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &person.home)
        .env("XDG_CONFIG_HOME", person.home.join(".config"))
        .env("XDG_DATA_HOME", person.home.join(".local/share"))
        .env("USER", &person.name)
        .env("npm_config_cache", scratch.join("npm-cache"))
        .env("npm_config_offline", "true")
        .env("npm_config_registry", "http://127.0.0.1:9/")
        .env("npm_config_update_notifier", "false")
        .env("npm_config_audit", "false")
        .env("npm_config_fund", "false")
}

/// `bash npm/pack.sh --binary <this build> OUTDIR`: the two tarballs, launcher first.
fn pack(person: &Person, scratch: &Path) -> (PathBuf, PathBuf) {
    let out = succeeded(
        npm_env(&mut Command::new("bash"), person, scratch)
            .arg("npm/pack.sh")
            .arg("--binary")
            .arg(env!("CARGO_BIN_EXE_mpvault"))
            .arg(scratch.join("tarballs"))
            .current_dir(repo())
            .output()
            .unwrap(),
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let paths: Vec<PathBuf> = stdout.lines().map(PathBuf::from).collect();
    assert_eq!(paths.len(), 2, "{stdout}");
    (paths[0].clone(), paths[1].clone())
}

/// The files a tarball holds, sorted.
fn tarball_files(tarball: &Path) -> Vec<String> {
    let out = succeeded(
        Command::new("tar")
            .arg("tzf")
            .arg(tarball)
            .output()
            .unwrap(),
    );
    let mut files: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    files.sort();
    files
}

fn run(cmd: &mut Command, input: Option<&str>) -> Output {
    use std::io::Write;
    let mut child = cmd
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.unwrap_or("").as_bytes()).unwrap();
    drop(stdin);
    child.wait_with_output().unwrap()
}

/// The three ways to run mpvault in the project: the binary itself, the launcher npm linked
/// into node_modules/.bin (what package.json scripts run), and `npx mpvault`.
struct Ways<'a> {
    w: &'a World,
    person: &'a Person,
    scratch: &'a Path,
}

impl Ways<'_> {
    fn binary(&self, args: &[&str], input: Option<&str>) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mpvault"));
        npm_env(&mut cmd, self.person, self.scratch);
        run(cmd.args(args).current_dir(self.w.project()), input)
    }

    fn launcher(&self, args: &[&str], input: Option<&str>) -> Output {
        let mut cmd = Command::new(self.w.path("node_modules/.bin/mpvault"));
        npm_env(&mut cmd, self.person, self.scratch);
        run(cmd.args(args).current_dir(self.w.project()), input)
    }

    fn npx(&self, args: &[&str], input: Option<&str>) -> Output {
        let mut cmd = Command::new("npx");
        npm_env(&mut cmd, self.person, self.scratch);
        run(
            cmd.arg("mpvault").args(args).current_dir(self.w.project()),
            input,
        )
    }

    /// Runs `args` all three ways and expects the same code, stdout and stderr; returns it.
    fn same(&self, args: &[&str]) -> Output {
        let direct = self.binary(args, None);
        for (how, out) in [
            ("node_modules/.bin/mpvault", self.launcher(args, None)),
            ("npx mpvault", self.npx(args, None)),
        ] {
            assert_eq!(out.status.code(), direct.status.code(), "{how} {args:?}");
            assert_eq!(
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&direct.stdout),
                "{how} {args:?}"
            );
            assert_eq!(
                String::from_utf8_lossy(&out.stderr),
                String::from_utf8_lossy(&direct.stderr),
                "{how} {args:?}"
            );
        }
        direct
    }
}

/// Nothing but the launcher, and nothing but the binary: no source, no tests.
fn only_what_users_run(main: &Path, platform: &Path) {
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        main.file_name().unwrap(),
        &*format!("mpvault-{version}.tgz")
    );
    assert_eq!(
        tarball_files(main),
        [
            "package/README.md",
            "package/bin/mpvault.js",
            "package/lib/platforms.js",
            "package/package.json"
        ]
    );
    assert_eq!(
        tarball_files(platform),
        [
            "package/README.md",
            "package/bin/mpvault",
            "package/package.json"
        ]
    );
}

#[test]
fn npm_install_of_the_packed_tarballs_runs_mpvault_as_the_binary_runs() {
    if !installed("npm", "the npm install test") {
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let w = World::new();
    let alice = w.person("alice");
    let (main, platform) = pack(&alice, scratch.path());

    only_what_users_run(&main, &platform);
    let version = env!("CARGO_PKG_VERSION");

    // An empty front-end project installs both, as a team would from the registry.
    std::fs::write(
        w.path("package.json"),
        r#"{ "name": "shop-weapp", "private": true }"#,
    )
    .unwrap();
    succeeded(
        npm_env(&mut Command::new("npm"), &alice, scratch.path())
            .args(["install", "--ignore-scripts", "--offline", "--save-dev"])
            .arg(&main)
            .arg(&platform)
            .current_dir(w.project())
            .output()
            .unwrap(),
    );

    let ways = Ways {
        w: &w,
        person: &alice,
        scratch: scratch.path(),
    };
    let out = ways.same(&["--version"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("mpvault {version}\n")
    );

    succeeded(ways.binary(&["init", "--owner", "alice"], None));
    succeeded(ways.binary(&["app", "add", "shop", "--appid", APPID], None));
    succeeded(ways.binary(
        &["config", "set", "shop", "API_BASE=https://api.example.com"],
        None,
    ));
    // Standard input reaches the binary: a secret stored through the launcher.
    let stored = ways.launcher(&["add-secret", "shop", "--stdin"], Some(APPSECRET));
    assert!(stored.status.success(), "{stored:?}");
    let stored = ways.npx(
        &["add-secret", "shop", "WECHAT_UPLOAD_KEY", "--stdin"],
        Some(PEM),
    );
    assert!(stored.status.success(), "{stored:?}");
    assert_eq!(
        w.ok(&alice, &["get", "shop", "WECHAT_APPSECRET"]),
        APPSECRET
    );
    assert_eq!(w.ok(&alice, &["get", "shop", "WECHAT_UPLOAD_KEY"]), PEM);

    // A real export, and failures with their own codes.
    let export = ways.same(&["export", "shop", "--include-secrets", "--format", "shell"]);
    assert!(String::from_utf8_lossy(&export.stdout).contains(APPSECRET));
    let missing = ways.same(&["get", "shop", "NO_SUCH_SECRET"]);
    assert_eq!(missing.status.code(), Some(exit::NOT_FOUND));
    let usage = ways.same(&["no-such-command"]);
    assert_eq!(usage.status.code(), Some(exit::USAGE));
    let child = ways.same(&["run", "shop", "--", "sh", "-c", "exit 42"]);
    assert_eq!(child.status.code(), Some(42));

    // A killed mpvault (here `run`, which becomes its command) leaves the launcher killed by
    // the same signal. npx runs the launcher through a shell, which reports it as 128 + 15.
    let kill = ["run", "shop", "--", "sh", "-c", "kill -TERM $$"];
    assert_eq!(ways.binary(&kill, None).status.signal(), Some(15));
    let launched = ways.launcher(&kill, None);
    assert_eq!(launched.status.signal(), Some(15), "{launched:?}");
    assert_eq!(ways.npx(&kill, None).status.code(), Some(128 + 15));
}
