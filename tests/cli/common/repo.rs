//! A team's git repository for end-to-end tests: a bare origin and one clone per person,
//! each with their own HOME (identity, trust memory, git config), merging through mpvault's
//! driver.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use super::*;

/// One person's clone of the team repository.
pub struct Clone<'w> {
    pub w: &'w World,
    pub who: &'w Person,
    pub dir: PathBuf,
}

pub fn git_cmd(_w: &World, who: &Person, dir: &Path) -> std::process::Command {
    let mut git = git_command(dir, &who.home, &who.name);
    git.env("XDG_DATA_HOME", who.home.join(".local/share"))
        .env("USER", &who.name);
    git
}

impl Clone<'_> {
    pub fn git_output(&self, args: &[&str]) -> Output {
        git_cmd(self.w, self.who, &self.dir)
            .args(args)
            .output()
            .unwrap()
    }

    pub fn git(&self, args: &[&str]) -> String {
        let out = self.git_output(args);
        assert!(
            out.status.success(),
            "{}: git {args:?} failed: {}{}",
            self.who.name,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn run(&self, args: &[&str], input: Option<&str>) -> Output {
        let mut cmd = self.w.cmd(self.who);
        cmd.current_dir(&self.dir).args(args);
        if let Some(input) = input {
            cmd.write_stdin(input);
        }
        cmd.output().unwrap()
    }

    pub fn mp(&self, args: &[&str]) -> String {
        self.mp_in(args, None)
    }

    pub fn mp_in(&self, args: &[&str], input: Option<&str>) -> String {
        let out = self.run(args, input);
        assert!(
            out.status.success(),
            "{}: mpvault {args:?} failed: {}",
            self.who.name,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn mp_fails(&self, args: &[&str]) -> (i32, String) {
        let out = self.run(args, None);
        assert!(
            !out.status.success(),
            "{}: mpvault {args:?} should fail",
            self.who.name
        );
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8(out.stderr).unwrap(),
        )
    }

    pub fn commit(&self, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", message]);
    }

    pub fn vault(&self) -> String {
        std::fs::read_to_string(self.dir.join("mpvault.json")).unwrap()
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.vault()).unwrap()
    }

    pub fn get(&self, name: &str) -> String {
        self.mp(&["get", "shop", name])
    }
}

/// A bare origin, and a team: alice (owner), bob (developer), carol (tester), with the
/// AppSecret stored and the driver set up and committed by alice.
pub struct Team {
    pub w: World,
    pub origin: PathBuf,
    pub people: Vec<Person>,
}

impl Team {
    pub fn new(extra: &[(&str, &[&str], bool)]) -> Team {
        let w = World::new();
        let root = w.project().parent().unwrap().to_path_buf();
        let origin = root.join("origin.git");
        let status = git_command(&root, &root, "origin")
            .args(["init", "-q", "--bare", "-b", "main"])
            .arg(&origin)
            .status()
            .unwrap();
        assert!(status.success());
        let (alice, bob, carol) = team(&w);
        let mut people = vec![alice, bob, carol];
        for (name, roles, owner) in extra {
            let p = w.person(name);
            let key = w.public_line(&p);
            let mut args = vec!["member", "add", name, "--key", &key];
            if *owner {
                args.push("--owner");
            }
            w.ok(&people[0], &args);
            if !roles.is_empty() {
                let mut args = vec!["role", "grant", name, "shop"];
                args.extend(roles.iter());
                w.ok(&people[0], &args);
            }
            people.push(p);
        }
        let t = Team { w, origin, people };
        // alice turns the project folder into the team's repository.
        let alice = t.clone_of("alice");
        alice.git(&["init", "-q", "-b", "main"]);
        alice.mp(&["git", "setup"]);
        alice.commit("the team's vault");
        alice.git(&["remote", "add", "origin", t.origin.to_str().unwrap()]);
        alice.git(&["push", "-q", "-u", "origin", "main"]);
        t
    }

    pub fn person(&self, name: &str) -> &Person {
        self.people.iter().find(|p| p.name == name).unwrap()
    }

    /// alice works in the project folder; everyone else clones into their own.
    pub fn clone_of(&self, name: &str) -> Clone<'_> {
        let who = self.person(name);
        let dir = if name == "alice" {
            self.w.project()
        } else {
            self.w
                .project()
                .parent()
                .unwrap()
                .join(format!("clone-{name}"))
        };
        Clone {
            w: &self.w,
            who,
            dir,
        }
    }

    /// Clones the origin for `name`, sets up the driver and opens the vault once (pinning).
    pub fn join(&self, name: &str, setup: bool) -> Clone<'_> {
        let c = self.clone_of(name);
        let parent = c.dir.parent().unwrap().to_path_buf();
        succeeded(
            git_cmd(&self.w, c.who, &parent)
                .args(["clone", "-q", self.origin.to_str().unwrap()])
                .arg(&c.dir)
                .output()
                .unwrap(),
        );
        if setup {
            c.mp(&["git", "setup"]);
        }
        c.mp(&["app", "list"]);
        c
    }
}

pub fn sealed_value<'v>(v: &'v Value, path: &[&str]) -> &'v str {
    let mut at = &v["apps"]["shop"];
    for p in path {
        at = match p.parse::<usize>() {
            Ok(i) => &at[i],
            Err(_) => &at[*p],
        };
    }
    at["value"].as_str().unwrap()
}

pub fn no_markers(c: &Clone) {
    let text = c.vault();
    assert!(
        !text.contains("<<<<<<<") && !text.contains(">>>>>>>"),
        "{text}"
    );
}
