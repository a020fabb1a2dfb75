//! The documentation cannot drift from the tool: every shell block of README.md and docs/*.md
//! marked runnable (```` ```sh run ````) runs against the real binary, and every relative link
//! between the pages leads somewhere.
//!
//! Marks after `sh run`: `demo` runs in a copy of examples/demo; `as=NAME` runs as NAME (their
//! own home and identity; in the demo, `MPVAULT_IDENTITY_FILE=identities/NAME.txt`). Without
//! `demo`, a page's blocks run in order in one clone of a fresh repository, as alice unless
//! `as=` says otherwise, so each block continues from the ones above it, as a reader would.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Blocks that are not run, by page and a line they hold, each with why.
const NOT_RUN: &[(&str, &str)] = &[
    // Installs mpvault and runs the whole test suite: this test is part of it. The export at
    // the end of the quick start is tests/cli/demo.rs's `the_quick_start_exports…`.
    ("README.md", "cargo install --locked --path ."),
    ("README.md", "bash tests/interop/install.sh"),
    // Fetch from the npm registry; tests/cli/npm.rs installs the packed packages offline instead.
    ("README.md", "npm i -D mpvault"),
    ("docs/install.md", "npm i -D mpvault"),
    ("docs/development.md", "bash tests/interop/install.sh"),
    // Needs a pull request's branch on an origin; tests/cli/git.rs and tests/cli/merges.rs merge
    // through the driver and run `git verify`.
    ("docs/git.md", "git merge origin/feature"),
    // Asks WeChat over the network; tests/cli/verify.rs runs them against a stand-in for its API.
    ("docs/health.md", "mpvault verify shop"),
    // Needs a folder of per-client vaults; tests/cli/vaults.rs reads several through the binary.
    ("docs/agencies.md", "export MPVAULT_VAULTS="),
    // A recovery without mpvault (`age`, a wrapped key in $wrapped); FORMAT.md keeps its text,
    // and tests/cli/format_vectors.rs recovers values with docs/recover.py.
    ("docs/FORMAT.md", "base64 -d | age -d -i identity.txt"),
    // Needs CI's own public line ("LINE"); tests/cli/service_members.rs adds service members by
    // --read and --client through the binary.
    (
        "docs/ci.md",
        "mpvault member add ci --key \"LINE\" --service",
    ),
];

/// The code the README's invitation shows; a code the real `member invite` printed replaces it.
const EXAMPLE_CODE: &str = "mpv-7Q4K-92ZD-XH3M-5NPA";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// README.md and every page under docs/, as paths relative to the repository.
fn pages() -> Vec<String> {
    let mut pages = vec!["README.md".to_string()];
    let mut docs: Vec<String> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| Path::new(n).extension().is_some_and(|e| e == "md"))
        .map(|n| format!("docs/{n}"))
        .collect();
    docs.sort();
    pages.extend(docs);
    pages.push("examples/demo/README.md".to_string());
    pages
}

struct Block {
    page: String,
    line: usize,
    marks: Vec<String>,
    code: String,
}

impl Block {
    fn runnable(&self) -> bool {
        self.marks.first().is_some_and(|m| m == "run")
    }
    fn in_demo(&self) -> bool {
        self.marks.iter().any(|m| m == "demo")
    }
    fn person(&self) -> String {
        self.marks
            .iter()
            .find_map(|m| m.strip_prefix("as="))
            .unwrap_or("alice")
            .to_string()
    }
    fn listed_in(&self, list: &[(&str, &str)]) -> bool {
        list.iter()
            .any(|(page, line)| *page == self.page && self.code.contains(line))
    }
}

/// The shell blocks of a page (fences at the start of a line, info `sh`, `bash` or `shell`).
fn shell_blocks(page: &str) -> Vec<Block> {
    let text = std::fs::read_to_string(root().join(page)).unwrap();
    let mut blocks = Vec::new();
    let mut open: Option<Block> = None;
    for (i, line) in text.lines().enumerate() {
        match open.take() {
            Some(block) if line.starts_with("```") => blocks.push(block),
            Some(mut block) => {
                block.code.push_str(line);
                block.code.push('\n');
                open = Some(block);
            }
            None => {
                let Some(info) = line.strip_prefix("```") else {
                    continue;
                };
                let mut words = info.split_whitespace();
                let lang = words.next().unwrap_or_default();
                open = Some(Block {
                    page: page.to_string(),
                    line: i + 1,
                    marks: words.map(str::to_string).collect(),
                    code: String::new(),
                });
                if !["sh", "bash", "shell"].contains(&lang) {
                    // Another language: skip to its closing fence.
                    open = open.map(|mut b| {
                        b.marks = vec!["not-shell".into()];
                        b
                    });
                }
            }
        }
    }
    blocks.retain(|b| b.marks.first().is_none_or(|m| m != "not-shell"));
    blocks
}

/// Every shell block is either marked runnable or named in NOT_RUN, and every entry of the
/// two lists still names a block, so neither can hide a block that was changed or removed.
#[test]
fn every_shell_block_is_runnable_or_listed_with_a_reason() {
    let blocks: Vec<Block> = pages().iter().flat_map(|p| shell_blocks(p)).collect();
    let unmarked: Vec<String> = blocks
        .iter()
        .filter(|b| !b.runnable() && !b.listed_in(NOT_RUN))
        .map(|b| format!("{}:{}", b.page, b.line))
        .collect();
    assert!(
        unmarked.is_empty(),
        "mark these ```sh run (or list them in NOT_RUN with why): {unmarked:?}"
    );
    for (page, line) in NOT_RUN {
        assert!(
            blocks
                .iter()
                .any(|b| b.page == *page && b.code.contains(line)),
            "no block of {page} holds `{line}`"
        );
    }
}

/// One reader's world for a page: a repository with an origin, a copy of the demo, stand-ins
/// for the programs the examples call, and a home per person.
struct Session {
    dir: tempfile::TempDir,
    code: Option<String>,
}

impl Session {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let s = Session { dir, code: None };
        std::fs::write(
            s.path("gitconfig"),
            "[user]\n\tname = reader\n\temail = reader@example.com\n[init]\n\tdefaultBranch = main\n[push]\n\tautoSetupRemote = true\n[pull]\n\trebase = false\n",
        )
        .unwrap();
        s.shell(
            "git init -q --bare origin.git && git clone -q origin.git project 2>/dev/null",
            &s.path(""),
            "alice",
        );
        copy_dir(&root().join("examples/demo"), &s.path("demo"));
        stubs(&s.path("bin"));
        s
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn command(&self, cwd: &Path, who: &str) -> Command {
        let home = self.path("homes").join(who);
        std::fs::create_dir_all(&home).unwrap();
        let bin = Path::new(env!("CARGO_BIN_EXE_mpvault")).parent().unwrap();
        let path = format!(
            "{}:{}:{}",
            self.path("bin").display(),
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut cmd = Command::new("timeout");
        cmd.current_dir(cwd)
            .env_clear()
            .env("PATH", path)
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_DATA_HOME", home.join(".local/share"))
            .env("USER", who)
            .env("GIT_CONFIG_GLOBAL", self.path("gitconfig"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .stdin(std::process::Stdio::null());
        cmd
    }

    fn shell(&self, code: &str, cwd: &Path, who: &str) -> std::process::Output {
        self.command(cwd, who)
            .args(["120", "bash", "-eo", "pipefail", "-c", code])
            .output()
            .unwrap()
    }

    /// Runs a block; returns what went wrong, if anything.
    fn run(&mut self, block: &Block) -> Option<String> {
        let who = block.person();
        let mut code = block.code.clone();
        if let Some(real) = &self.code {
            code = code.replace(EXAMPLE_CODE, real);
        }
        let (cwd, code) = if block.in_demo() {
            let identity = if block.marks.iter().any(|m| m.starts_with("as=")) {
                format!("export MPVAULT_IDENTITY_FILE=identities/{who}.txt\n")
            } else {
                String::new()
            };
            (self.path("demo"), identity + &code)
        } else {
            (self.path("project"), code)
        };
        let out = self.shell(&code, &cwd, &who);
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if let Some(found) = invitation_code(&said) {
            self.code = Some(found);
        }
        (!out.status.success()).then(|| {
            format!(
                "{}:{} (exit {:?}):\n{}\n--- output:\n{said}",
                block.page,
                block.line,
                out.status.code(),
                block.code
            )
        })
    }
}

/// A code `member invite` printed: `mpv-` and three groups of four.
fn invitation_code(text: &str) -> Option<String> {
    let re = regex::Regex::new(r"mpv(-[0-9A-Z]{4}){4}").unwrap();
    let found = re
        .find_iter(text)
        .map(|m| m.as_str().to_string())
        .find(|c| c != EXAMPLE_CODE);
    found
}

/// Stand-ins on PATH for the programs the examples run around mpvault: a build tool that says
/// what it got, and a password manager with made-up values of the right shapes.
fn stubs(bin: &Path) {
    std::fs::create_dir_all(bin).unwrap();
    let build = "#!/bin/sh\necho \"$(basename \"$0\") $*: $(env | grep -c -e '^WECHAT_' -e '^TARO_APP_' -e '^VITE_') values\"\n";
    let pass = r#"#!/bin/sh
case "$*" in
  *upload*) printf '%s\n' '-----BEGIN PRIVATE KEY-----' 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKjMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu' '-----END PRIVATE KEY-----' ;;
  *pay*) echo DocsPayApiV3Key00000000000000000 ;;
  *) printf %s "$*" | md5sum | cut -c1-32 ;;
esac
"#;
    for (name, script) in [
        ("npm", build),
        ("node", build),
        ("taro", build),
        ("miniprogram-ci", build),
        ("pass", pass),
    ] {
        let path = bin.join(name);
        std::fs::write(&path, script).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Runs every runnable block of every page, in order per page, and names each that failed.
#[test]
fn every_runnable_block_runs() {
    let mut failures = Vec::new();
    let mut ran = 0;
    for page in pages() {
        let mut session = Session::new();
        for block in shell_blocks(&page) {
            if !block.runnable() {
                continue;
            }
            ran += 1;
            failures.extend(session.run(&block));
        }
    }
    assert!(ran > 10, "only {ran} blocks ran");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Every relative link of README.md and docs/*.md leads to a file or folder that exists.
#[test]
fn every_relative_link_leads_somewhere() {
    let re = regex::Regex::new(r"\]\(([^)\s]+)\)").unwrap();
    let mut broken = Vec::new();
    for page in pages() {
        let text = std::fs::read_to_string(root().join(&page)).unwrap();
        let dir = root().join(&page).parent().unwrap().to_path_buf();
        for link in re.captures_iter(&text).map(|c| c[1].to_string()) {
            if link.contains("://") || link.starts_with('#') || link.starts_with("mailto:") {
                continue;
            }
            let file = link.split('#').next().unwrap_or_default();
            if !dir.join(file).exists() {
                broken.push(format!("{page}: {link}"));
            }
        }
    }
    assert!(broken.is_empty(), "broken links: {broken:?}");
}

/// The README is read in five minutes: at most 300 lines; the rest lives under docs/.
#[test]
fn the_readme_is_at_most_300_lines() {
    let lines = std::fs::read_to_string(root().join("README.md"))
        .unwrap()
        .lines()
        .count();
    assert!(lines <= 300, "README.md has {lines} lines");
}
