//! `import` reads only a regular file it reaches without a link, and applies to what it reads
//! every check `config set` and `add-secret` apply (issue 18, case 4).

use crate::common;

use std::os::unix::fs::symlink;

use common::*;

/// bob (developer) imports `file` into shop: refused with one sentence, the vault unchanged.
fn import_refused(w: &World, bob: &Person, file: &str, says: &str) {
    refused_as(w, bob, &["import", "shop", file], exit::USAGE, says);
}

#[test]
fn a_committed_env_file_linked_to_proc_self_environ_is_refused() {
    let w = World::new();
    let (_alice, bob, _carol) = team(&w);
    symlink("/proc/self/environ", w.path(".env.staging")).unwrap();
    import_refused(&w, &bob, ".env.staging", ".env.staging is a symbolic link");
}

#[test]
fn a_committed_env_file_linked_outside_the_repository_is_refused() {
    let w = World::new();
    let (_alice, bob, _carol) = team(&w);
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("credentials");
    std::fs::write(&target, "AWS_SECRET=abc\n").unwrap();
    symlink(&target, w.path(".env.staging")).unwrap();
    import_refused(&w, &bob, ".env.staging", ".env.staging is a symbolic link");
}

#[test]
fn an_env_file_under_a_linked_folder_is_refused() {
    let w = World::new();
    let (_alice, bob, _carol) = team(&w);
    symlink("/proc/self", w.path("env")).unwrap();
    import_refused(
        &w,
        &bob,
        "env/environ",
        "env/environ is reached through the symbolic link env",
    );
}

#[test]
fn proc_self_environ_named_directly_is_refused() {
    let w = World::new();
    let (_alice, bob, _carol) = team(&w);
    import_refused(
        &w,
        &bob,
        "/proc/self/environ",
        "/proc/self/environ is not a regular file",
    );
}

#[test]
fn a_fifo_a_device_and_a_folder_are_refused_without_waiting() {
    let w = World::new();
    let (_alice, bob, _carol) = team(&w);
    let fifo = w.path(".env.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    std::fs::create_dir(w.path(".env.d")).unwrap();
    for file in [".env.fifo", "/dev/zero", ".env.d"] {
        // Opening a pipe nobody writes to would wait forever: the test must not.
        let before = w.vault_text();
        let out = w
            .cmd(&bob)
            .args(["import", "shop", file])
            .timeout(std::time::Duration::from_secs(20))
            .output()
            .unwrap();
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(exit::USAGE), "{file}: {err}");
        assert!(
            err.contains(&format!("{file} is not a regular file")),
            "{file}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
        assert_eq!(w.vault_text(), before);
    }
}

#[test]
fn a_file_over_one_mebibyte_is_refused() {
    let w = World::new();
    let (_alice, bob, _carol) = team(&w);
    let line = format!("API_BASE={}\n", "x".repeat(1023));
    std::fs::write(w.path(".env.big"), line.repeat(1025)).unwrap();
    import_refused(&w, &bob, ".env.big", ".env.big is larger than 1 MiB");
}

#[test]
fn import_refuses_names_that_take_over_startup_as_config_set_does() {
    let w = World::new();
    let (_alice, bob, _carol) = team(&w);
    for name in ["HOME", "NODE_OPTIONS"] {
        std::fs::write(
            w.path(".env"),
            format!("API_BASE=https://a.example\n{name}=/x\n"),
        )
        .unwrap();
        import_refused(
            &w,
            &bob,
            ".env",
            &format!("{name} cannot be stored in a vault"),
        );
    }
}

#[test]
fn import_refuses_a_value_over_the_vault_value_bound_as_add_secret_does() {
    let w = World::new();
    let (_alice, bob, _carol) = team(&w);
    let big = "x".repeat(128 * 1024 + 1);
    std::fs::write(w.path(".env"), format!("API_NOTES={big}\n")).unwrap();
    import_refused(
        &w,
        &bob,
        ".env",
        "the value for API_NOTES is 131073 bytes, more than the 128 KiB a vault keeps",
    );
}

#[test]
fn a_normal_env_file_still_imports() {
    let w = World::new();
    let (_alice, bob, _carol) = team(&w);
    std::fs::create_dir(w.path("config")).unwrap();
    std::fs::write(
        w.path("config/.env"),
        "API_BASE=https://api.example.com\nSENTRY_API_TOKEN=tok-1234\n",
    )
    .unwrap();
    w.ok(&bob, &["import", "shop", "config/.env"]);
    assert_eq!(
        w.ok(&bob, &["get", "shop", "API_BASE"]),
        "https://api.example.com"
    );
    assert_eq!(w.ok(&bob, &["get", "shop", "SENTRY_API_TOKEN"]), "tok-1234");
}
