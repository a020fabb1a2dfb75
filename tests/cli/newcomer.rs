//! The rough edges a newcomer hits: feedback after every write, confirmation before removals,
//! did-you-mean, help for every argument, man pages and completions from the vault.

use crate::common;

use clap::CommandFactory;
use common::*;

fn stderr_of(w: &World, who: &Person, args: &[&str]) -> String {
    let out = w.cmd(who).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn every_write_says_what_changed_and_reminds_to_commit_inside_git() {
    let w = World::new();
    let alice = w.owner_with_app();
    let bob = w.person("bob");
    let key = w.public_line(&bob);
    w.ok(&alice, &["member", "add", "bob", "--key", &key]);
    // Outside a git work tree: the sentence, and no reminder.
    let said = stderr_of(
        &w,
        &alice,
        &["config", "set", "shop", "API_BASE=https://api.example.com"],
    );
    assert_eq!(said, "Set API_BASE for 'shop'.\n");
    w.git_with_vault();
    let reminder =
        "mpvault.json has uncommitted changes: `git add mpvault.json && git commit` to share them.";
    for (args, says) in [
        (
            &[
                "app",
                "set",
                "shop",
                "--verified-until",
                "2027-03-31",
                "--icp",
                "粤ICP备12345678号",
            ][..],
            "Updated 'shop': Verified until, ICP filing.",
        ),
        (
            &[
                "app",
                "contact",
                "shop",
                "--name",
                "Wang",
                "--wechat",
                "wxid_admin1",
            ],
            "Updated the administrator's contact for 'shop': Name, WeChat ID.",
        ),
        (
            &["config", "unset", "shop", "API_BASE"],
            "Removed API_BASE from 'shop'.",
        ),
        (
            &["role", "grant", "bob", "shop", "开发者", "tester"],
            "Granted bob developer, tester on 'shop'.",
        ),
        (
            &["role", "revoke", "bob", "shop", "tester"],
            "Revoked tester from bob on 'shop'.",
        ),
    ] {
        let said = stderr_of(&w, &alice, args);
        assert!(said.starts_with(says), "{args:?}: {said}");
        assert!(said.ends_with(&format!("{reminder}\n")), "{args:?}: {said}");
        w.git(&["commit", "-qam", "change"]);
    }
    // Nothing left to commit: no reminder.
    let said = stderr_of(&w, &alice, &["app", "list"]);
    assert!(!said.contains("uncommitted"), "{said}");
}

#[test]
fn removals_need_yes_without_a_terminal_and_leave_the_vault_unchanged() {
    let w = World::new();
    let alice = w.owner_with_app();
    w.ok_stdin(&alice, &["add-secret", "shop", "--stdin"], APPSECRET);
    let bob = w.person("bob");
    w.join(&alice, &bob, &["developer"]);
    for (args, what) in [
        (
            &["app", "remove", "shop"][..],
            "\"Remove app 'shop' and every value stored for it?\" needs a yes",
        ),
        (
            &["member", "remove", "bob"],
            "\"Remove member 'bob' and replace every data key they could read?\" needs a yes",
        ),
        (
            &["remove-secret", "shop", "WECHAT_APPSECRET"],
            "\"Remove WECHAT_APPSECRET and its history from 'shop'?\" needs a yes",
        ),
    ] {
        let saved = w.vault_text();
        let (code, err) = w.fails(&alice, args);
        assert_eq!(code, exit::USAGE, "{args:?}: {err}");
        assert!(err.contains(what), "{args:?}: {err}");
        assert!(err.contains("pass --yes to confirm"), "{err}");
        assert_eq!(w.vault_text(), saved);
    }
    // A refusal comes before the question: bob may not remove the app at all.
    let (code, err) = w.fails(&bob, &["app", "remove", "shop"]);
    assert_eq!(code, exit::DENIED, "{err}");
    w.ok(
        &alice,
        &["remove-secret", "shop", "WECHAT_APPSECRET", "--yes"],
    );
    w.ok(&alice, &["member", "remove", "bob", "-y"]);
    w.ok(&alice, &["app", "remove", "shop", "--yes"]);
    assert!(!app_listed(&w, "shop"));
}

/// Whether the vault file lists `app` among its apps (a removed app's signed tombstone still
/// names it, so the file's text is no test).
fn app_listed(w: &World, app: &str) -> bool {
    let vault: serde_json::Value = serde_json::from_str(&w.vault_text()).unwrap();
    vault["apps"].get(app).is_some()
}

#[test]
fn at_a_terminal_a_removal_asks_and_only_yes_goes_ahead() {
    let w = World::new();
    let alice = w.owner_with_app();
    let saved = w.vault_text();
    let out = w.at_terminal(&alice, "app remove shop", "n\\n", &[]);
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(
        screen.contains("Remove app 'shop' and every value stored for it? [y/N]"),
        "{screen}"
    );
    assert!(!out.status.success(), "{screen}");
    assert!(screen.contains("nothing was changed"), "{screen}");
    assert_eq!(w.vault_text(), saved);
    let out = w.at_terminal(&alice, "app remove shop", "y\\n", &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(!app_listed(&w, "shop"));
}

#[test]
fn typos_get_a_suggestion_and_values_are_never_echoed_or_suggested() {
    let w = World::new();
    let alice = w.owner_with_app();
    w.ok_stdin(&alice, &["add-secret", "shop", "--stdin"], APPSECRET);
    let bob = w.person("bob");
    w.join(&alice, &bob, &["developer"]);
    for (args, says) in [
        (
            &["get", "shop", "WECHAT_APPSECRT"][..],
            "did you mean WECHAT_APPSECRET?",
        ),
        (&["get", "shpo", "WECHAT_APPSECRET"], "did you mean 'shop'?"),
        (&["member", "remove", "bbo", "--yes"], "did you mean 'bob'?"),
        (
            &["role", "grant", "bob", "shop", "develper"],
            "did you mean developer?",
        ),
    ] {
        let (_, err) = w.fails(&alice, args);
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(
            !err.contains("add-secret"),
            "a typo is never offered for creation: {err}"
        );
    }
    // A pasted secret where a name belongs: not repeated, not offered as a name.
    // (Refused as bad input before the vault is read.)
    let (code, err) = w.fails(&alice, &["get", "shop", "fedcba9876543210fedcba9876543210"]);
    assert_eq!(code, exit::USAGE);
    assert!(!err.contains("fedcba9876543210"), "{err}");
    assert!(
        err.contains("looks like a secret value, so it is not repeated here"),
        "{err}"
    );
    assert!(!err.contains("add-secret"), "{err}");
    // No close name: the way to add it.
    let (_, err) = w.fails(&alice, &["get", "shop", "SENTRY_DSN"]);
    assert!(
        err.contains("`mpvault add-secret shop SENTRY_DSN` to add it"),
        "{err}"
    );
}

/// Every argument and option of every command has a help line.
#[test]
fn every_argument_has_help() {
    fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
        for arg in cmd.get_arguments() {
            let has = arg
                .get_help()
                .is_some_and(|h| !h.to_string().trim().is_empty());
            if !has && !arg.is_hide_set() {
                missing.push(format!("{path} {}", arg.get_id()));
            }
        }
        if cmd
            .get_about()
            .is_none_or(|a| a.to_string().trim().is_empty())
            && !path.is_empty()
        {
            missing.push(format!("{path} (no about)"));
        }
        for sub in cmd.get_subcommands() {
            walk(sub, &format!("{path} {}", sub.get_name()), missing);
        }
    }
    let mut cmd = mpvault::cli::Cli::command();
    cmd.build();
    let mut missing = Vec::new();
    walk(&cmd, "", &mut missing);
    assert!(missing.is_empty(), "no help: {missing:#?}");
}

#[test]
fn role_grant_help_lists_the_roles_with_their_chinese_names() {
    let w = World::new();
    let alice = w.person("alice");
    let help = w.ok(&alice, &["role", "grant", "--help"]);
    for (role, chinese) in [
        ("admin", "管理员"),
        ("developer", "开发者"),
        ("operator", "运营者"),
        ("data-analyst", "数据分析者"),
        ("transactions-analyst", "交易分析者"),
        ("tester", "体验者"),
    ] {
        let line = help
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{role} ")))
            .unwrap_or_else(|| panic!("{role}: {help}"));
        assert!(line.contains(chinese), "{line}");
        // Every Chinese name listed is one `role grant` accepts.
        assert_eq!(
            chinese.parse::<mpvault::wechat::Role>().unwrap().as_str(),
            role
        );
    }
}

#[test]
fn man_writes_one_page_per_command_with_exit_status_and_environment() {
    fn names(cmd: &clap::Command, prefix: &str, out: &mut Vec<String>) {
        let name = format!("{prefix}{}", cmd.get_name());
        // Hidden commands (the agent's server, which `unlock` starts) are not for people.
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            names(sub, &format!("{name}-"), out);
        }
        out.push(format!("{name}.1"));
    }
    let w = World::new();
    let alice = w.person("alice");
    let dir = w.path("man");
    w.ok(&alice, &["man", "--dir", dir.to_str().unwrap()]);
    let mut expected = Vec::new();
    names(&mpvault::cli::Cli::command(), "", &mut expected);
    for page in &expected {
        let text =
            std::fs::read_to_string(dir.join(page)).unwrap_or_else(|_| panic!("{page} missing"));
        assert!(text.contains(".SH \"EXIT STATUS\""), "{page}");
        assert!(
            text.contains(".SH ENVIRONMENT") && text.contains("MPVAULT_WECHAT_API"),
            "{page}"
        );
    }
    // Every page the main page refers to exists.
    let main = std::fs::read_to_string(dir.join("mpvault.1")).unwrap();
    for reference in main
        .split("\\fB")
        .filter_map(|s| s.split("\\fR(1)").next())
        .filter(|s| s.starts_with("mpvault-"))
    {
        assert!(
            dir.join(format!("{reference}.1")).exists(),
            "{reference}(1) is referred to but missing"
        );
    }
    let stdout = w.ok(&alice, &["man"]);
    assert!(stdout.contains(".SH \"EXIT STATUS\""));
    assert!(expected.len() > 30, "{expected:?}");
}

#[test]
fn completions_offer_app_secret_and_member_names_from_the_vault() {
    let w = World::new();
    let alice = w.owner_with_app();
    w.add_blog(&alice);
    w.ok_stdin(&alice, &["add-secret", "shop", "--stdin"], APPSECRET);
    let bob = w.person("bob");
    w.join(&alice, &bob, &["developer"]);
    let complete = |line: &[&str]| {
        let out = w
            .cmd(&alice)
            .env("MPVAULT_COMPLETE", "fish")
            .arg("--")
            .args(line)
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let apps = complete(&["mpvault", "get", ""]);
    assert!(
        apps.lines().any(|l| l == "blog") && apps.lines().any(|l| l == "shop"),
        "{apps}"
    );
    let secrets = complete(&["mpvault", "get", "shop", "WE"]);
    assert_eq!(secrets.trim(), "WECHAT_APPSECRET");
    let members = complete(&["mpvault", "member", "remove", "b"]);
    assert_eq!(members.trim(), "bob");
    let roles = complete(&["mpvault", "role", "grant", "bob", "shop", "te"]);
    assert_eq!(roles.trim(), "tester");
    // The hook the user installs calls mpvault back with COMPLETE set.
    let hook = w.ok(&alice, &["completions", "bash"]);
    assert!(hook.contains("MPVAULT_COMPLETE=\"bash\""), "{hook}");
    // A COMPLETE set for something else does not turn a command into a completion request.
    let out = w
        .cmd(&alice)
        .env("COMPLETE", "1")
        .args(["app", "list"])
        .output()
        .unwrap();
    assert!(out.status.success() && String::from_utf8_lossy(&out.stdout).contains("shop"));
}
