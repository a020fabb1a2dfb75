//! Trust is pinned per vault id within a repository, not per path (docs/FORMAT.md, "Memory").
//! An attacker with push access commits a look-alike vault where an honest member will use it:
//! as a symbolic link in the vault's place, or as a second `mpvault.json` in a subfolder. Each
//! is refused before anything is encrypted to it; honest moves (a vault moved with `git mv`, a
//! second vault the team confirms, first contact) keep working.

use crate::common;

use std::path::Path;
use std::process::Output;

use common::*;

const NEW_SECRET: &str = "99999999999999999999999999999999";

/// mpvault as `who` in `dir`, with `input` on standard input.
fn run_in(w: &World, who: &Person, dir: &Path, args: &[&str], input: &str) -> Output {
    w.cmd(who)
        .current_dir(dir)
        .args(args)
        .write_stdin(input)
        .output()
        .unwrap()
}

fn ok_in(w: &World, who: &Person, dir: &Path, args: &[&str]) -> String {
    let out = succeeded(run_in(w, who, dir, args, ""));
    String::from_utf8(out.stderr).unwrap()
}

/// Expects a refusal in `dir` with exit `code`, one error line saying `says`, `file` unchanged.
fn refused_in(w: &World, who: &Person, dir: &Path, args: &[&str], code: i32, says: &str) -> String {
    let file = dir.join("mpvault.json");
    let before = std::fs::read(&file).unwrap();
    let out = run_in(w, who, dir, args, NEW_SECRET);
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("mpvault:")).collect();
    assert_eq!(errors.len(), 1, "{args:?}: one error line: {err}");
    assert!(
        errors[0].contains(says),
        "{args:?}: expected '{says}' in: {err}"
    );
    assert!(!err.contains(NEW_SECRET));
    assert_eq!(
        std::fs::read(&file).unwrap(),
        before,
        "{args:?} changed the vault"
    );
    err
}

/// `lookalike_vault` with an AppSecret of mallory's, so that a rotation would go through.
fn armed_lookalike(w: &World, alice: &Person, bob: &Person) -> String {
    lookalike_vault(w, alice, bob);
    let mallory = w.stranger("mallory");
    let fake = w.path("elsewhere/mpvault.json");
    let args = [
        "--vault",
        fake.to_str().unwrap(),
        "add-secret",
        "shop",
        "--stdin",
    ];
    w.ok_stdin(&mallory, &args, &"e".repeat(32));
    std::fs::read_to_string(fake).unwrap()
}

/// The team's vault committed in a real git repository.
fn team_in_git(w: &World) -> (Person, Person, Person) {
    let people = team(w);
    w.git_with_vault();
    people
}

#[cfg(unix)]
fn symlink(target: &str, link: &Path) {
    std::os::unix::fs::symlink(target, link).unwrap();
}

/// mallory commits `mpvault.json` as a link to `.mpv/mpvault.json`, a vault of hers naming
/// the real members: bob's rotation would encrypt the new AppSecret to her.
#[cfg(unix)]
#[test]
fn a_vault_that_is_a_symbolic_link_is_refused_by_every_command() {
    let w = World::new();
    let (alice, bob, _) = team_in_git(&w);
    let fake = armed_lookalike(&w, &alice, &bob);
    std::fs::create_dir(w.path(".mpv")).unwrap();
    std::fs::write(w.path(".mpv/mpvault.json"), &fake).unwrap();
    std::fs::remove_file(w.vault_path()).unwrap();
    symlink(".mpv/mpvault.json", &w.vault_path());
    w.git(&["add", "-A"]);
    w.git(&["commit", "-qm", "tidy the vault away"]);

    let says = "mpvault.json is a symbolic link";
    let project = w.project();
    let commands: &[&[&str]] = &[
        &["rotate-secret", "shop", "--stdin"],
        &["add-secret", "shop", "API_TOKEN", "--stdin"],
        &["get", "shop", "WECHAT_APPSECRET"],
        &["app", "list"],
        &["member", "list"],
        &["export", "shop", "--include-secrets"],
        &["status"],
        &["trust"],
        &["trust", "--repin"],
        &["sign", "--yes"],
        &["config", "set", "shop", "A=1"],
    ];
    for args in commands {
        let err = refused_in(&w, &bob, &project, args, exit::CORRUPT, says);
        assert!(err.contains("replace it with the file itself"), "{err}");
    }
    refused_in(&w, &alice, &project, &["app", "list"], exit::CORRUPT, says);
    assert_eq!(
        std::fs::read_to_string(w.path(".mpv/mpvault.json")).unwrap(),
        fake
    );
    assert!(std::fs::symlink_metadata(w.vault_path())
        .unwrap()
        .is_symlink());
}

/// A link named with `--vault` or `MPVAULT_VAULT` is refused as well, even to the real vault.
#[cfg(unix)]
#[test]
fn a_vault_named_through_a_symbolic_link_is_refused() {
    let w = World::new();
    let (_, bob, _) = team_in_git(&w);
    let link = w.path("link.json");
    symlink("mpvault.json", &link);
    let says = "link.json is a symbolic link";
    let args = [
        "--vault",
        link.to_str().unwrap(),
        "rotate-secret",
        "shop",
        "--stdin",
    ];
    refused_in(&w, &bob, &w.project(), &args, exit::CORRUPT, says);
    let out = w
        .cmd(&bob)
        .env("MPVAULT_VAULT", &link)
        .args(["get", "shop", "WECHAT_APPSECRET"])
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(exit::CORRUPT), "{err}");
    assert!(err.contains(says), "{err}");
    assert!(out.stdout.is_empty());
    // The vault itself, named as it is, still works.
    assert_eq!(w.ok(&bob, &["get", "shop", "WECHAT_APPSECRET"]), APPSECRET);
}

/// mallory commits `miniprogram/mpvault.json`, her vault under another id; bob, who knows the
/// repository's vault, works in that folder.
#[test]
fn another_vault_in_a_known_repository_is_refused_until_confirmed() {
    let w = World::new();
    let (alice, bob, _) = team_in_git(&w);
    let fake = armed_lookalike(&w, &alice, &bob);
    let folder = w.path("miniprogram");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("mpvault.json"), &fake).unwrap();
    w.git(&["add", "miniprogram/mpvault.json"]);
    w.git(&["commit", "-qm", "the mini program's own vault"]);

    let says = "another vault";
    let rotate = ["rotate-secret", "shop", "--stdin"];
    let err = refused_in(&w, &bob, &folder, &rotate, exit::CORRUPT, says);
    assert!(err.contains("in this repository"), "{err}");
    assert!(err.contains("mpvault trust --repin"), "{err}");
    assert!(!err.contains("for the first time"), "{err}");
    for args in [
        &["add-secret", "shop", "API_TOKEN", "--stdin"][..],
        &["get", "shop", "WECHAT_APPSECRET"],
        &["app", "list"],
    ] {
        refused_in(&w, &bob, &folder, args, exit::CORRUPT, says);
    }
    // Named with --vault from the top, it is the same look-alike.
    let named = ["--vault", "miniprogram/mpvault.json", "app", "list"];
    refused_in(&w, &bob, &w.project(), &named, exit::CORRUPT, says);
    // The repository's own vault is untouched by it.
    assert_eq!(w.ok(&bob, &["get", "shop", "WECHAT_APPSECRET"]), APPSECRET);
}

/// `git mv` moves the vault; its id and this clone's memory of it go along: no first-use
/// notice, and a departure seen before the move still guards a write after it.
#[test]
fn a_vault_moved_with_git_mv_keeps_its_memory() {
    let w = World::new();
    let (alice, _, _) = team_in_git(&w);
    let before_removal = w.vault_text();
    w.ok(&alice, &["member", "remove", "bob", "--yes"]);
    w.git(&["commit", "-qam", "bob left"]);
    std::fs::create_dir(w.path("config")).unwrap();
    w.git(&["mv", "mpvault.json", "config/mpvault.json"]);
    w.git(&["commit", "-qm", "the vault moves"]);

    let config = w.path("config");
    let err = ok_in(&w, &alice, &config, &["app", "list"]);
    assert!(!err.contains("for the first time"), "{err}");
    let named = ["--vault", "config/mpvault.json", "app", "list"];
    let err = ok_in(&w, &alice, &w.project(), &named);
    assert!(!err.contains("for the first time"), "{err}");

    // bob pushes the file from before his removal, at its new path.
    std::fs::write(config.join("mpvault.json"), &before_removal).unwrap();
    let rotate = ["rotate-secret", "shop", "--stdin"];
    let says = "this write would encrypt to 'bob', whom this clone saw removed";
    refused_in(&w, &alice, &config, &rotate, exit::DENIED, says);
    let err = ok_in(&w, &alice, &config, &["app", "list"]);
    assert!(err.contains("older than revision"), "{err}");
}

/// A team that really keeps a second vault in the repository: a member confirms it once with
/// `trust --repin` where it is found, and then both vaults work.
#[test]
fn a_second_vault_confirmed_with_repin_works_beside_the_first() {
    let w = World::new();
    let (alice, bob, _) = team_in_git(&w);
    let second = w.path("ops");
    std::fs::create_dir(&second).unwrap();
    // alice makes it herself: `init` pins it for her at once.
    let err = ok_in(&w, &alice, &second, &["init", "--owner", "alice"]);
    assert!(!err.contains("another vault"), "{err}");
    let key = w.public_line(&bob);
    ok_in(
        &w,
        &alice,
        &second,
        &["member", "add", "bob", "--key", &key],
    );
    ok_in(
        &w,
        &alice,
        &second,
        &["app", "add", "ops", "--appid", BLOG_APPID],
    );
    w.git(&["add", "ops/mpvault.json"]);
    w.git(&["commit", "-qm", "ops vault"]);
    ok_in(&w, &alice, &w.project(), &["app", "list"]);

    // bob knows only the first: refused, then confirmed after checking fingerprints.
    refused_in(
        &w,
        &bob,
        &second,
        &["app", "list"],
        exit::CORRUPT,
        "another vault",
    );
    let out = succeeded(run_in(&w, &bob, &second, &["trust", "--json"], ""));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["pinned_vault_id"], serde_json::Value::Null);
    assert_eq!(report["known_vault_ids"].as_array().unwrap().len(), 1);
    let note = ok_in(&w, &bob, &second, &["trust", "--repin"]);
    assert!(note.contains("Pinned"), "{note}");
    let err = ok_in(&w, &bob, &second, &["app", "list"]);
    assert!(!err.contains("for the first time"), "{err}");
    assert_eq!(w.ok(&bob, &["get", "shop", "WECHAT_APPSECRET"]), APPSECRET);

    // Both are now known here; a third is still another vault.
    let out = succeeded(run_in(&w, &bob, &second, &["trust", "--json"], ""));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["known_vault_ids"].as_array().unwrap().len(), 2);
    assert_eq!(report["pinned_vault_id"], report["vault_id"]);
    let fake = lookalike_vault(&w, &alice, &bob);
    let third = w.path("third");
    std::fs::create_dir(&third).unwrap();
    std::fs::write(third.join("mpvault.json"), fake).unwrap();
    refused_in(
        &w,
        &bob,
        &third,
        &["app", "list"],
        exit::CORRUPT,
        "another vault",
    );
}

/// First contact with a repository's vault is trusted on first use, its owners' fingerprints
/// printed; `MPVAULT_TRUSTED_OWNERS` still decides in CI.
#[test]
fn first_contact_in_a_repository_is_trusted_on_first_use() {
    let w = World::new();
    let (alice, _, _) = team_in_git(&w);
    let dave = w.person("dave");
    let out = succeeded(w.cmd(&dave).args(["app", "list"]).output().unwrap());
    let note = String::from_utf8(out.stderr).unwrap();
    assert!(note.contains("for the first time"), "{note}");
    let report: serde_json::Value =
        serde_json::from_str(&w.ok(&alice, &["trust", "--json"])).unwrap();
    let print = report["owners_in_vault"][0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(note.contains(&print), "{note}");
    let again = succeeded(w.cmd(&dave).args(["app", "list"]).output().unwrap());
    assert!(!String::from_utf8_lossy(&again.stderr).contains("for the first time"));

    let ci = w.stranger("ci");
    let key = std::fs::read_to_string(alice.home.join(".config/mpvault/identity.txt")).unwrap();
    let get = |owners: &str| {
        w.cmd(&ci)
            .env("MPVAULT_IDENTITY", &key)
            .env("MPVAULT_TRUSTED_OWNERS", owners)
            .args(["get", "shop", "WECHAT_APPSECRET"])
            .output()
            .unwrap()
    };
    assert_eq!(succeeded(get(&print)).stdout, APPSECRET.as_bytes());
    let out = get("0000 0000 0000 0000 0000");
    assert_eq!(out.status.code(), Some(exit::CORRUPT));
}
