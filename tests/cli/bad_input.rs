//! Bad input: one clear sentence, a non-zero exit code and a vault left byte for byte as it was.

use crate::common;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use common::*;
use mpvault::vault::limits;

const PAY_KEY: &str = "Zq8xW3rT5yU7iO9pA1sD3fG5hJ7kL9zX";

enum Who {
    Alice,
    /// A developer on shop: reads the AppSecret, not the admin-level WeChat Pay key.
    Bob,
    /// Someone with an identity that is not in the vault.
    Outsider,
    /// Someone with no identity at all.
    Nobody,
}

struct Case {
    name: &'static str,
    who: Who,
    args: &'static [&'static str],
    stdin: &'static [u8],
    /// Changes the vault file before the command, for damaged-vault cases.
    damage: Option<fn(&str) -> String>,
    /// Prepares the project folder (a planted link, say) before the command.
    prepare: Option<fn(&std::path::Path)>,
    code: i32,
    says: &'static str,
}

const fn case(
    name: &'static str,
    args: &'static [&'static str],
    code: i32,
    says: &'static str,
) -> Case {
    Case {
        name,
        who: Who::Alice,
        args,
        stdin: b"",
        damage: None,
        prepare: None,
        code,
        says,
    }
}

#[expect(clippy::too_many_lines, reason = "a table of cases")]
fn cases() -> Vec<Case> {
    vec![
        case(
            "malformed AppID",
            &["app", "add", "blog", "--appid", "wx12345"],
            exit::USAGE,
            "is not a Mini Program AppID",
        ),
        case(
            "uppercase AppID",
            &["app", "add", "blog", "--appid", "WX0123456789ABCDEF"],
            exit::USAGE,
            "is not a Mini Program AppID",
        ),
        Case {
            stdin: b"not-an-appsecret\n",
            ..case(
                "malformed AppSecret",
                &["rotate-secret", "shop", "--stdin"],
                exit::USAGE,
                "is not an AppSecret",
            )
        },
        Case {
            stdin: b"hello",
            ..case(
                "PEM key that is not PEM",
                &["add-secret", "shop", "WECHAT_UPLOAD_KEY", "--stdin"],
                exit::USAGE,
                "is not a PEM key",
            )
        },
        case(
            "unknown app",
            &["get", "nope", "WECHAT_APPSECRET"],
            exit::NOT_FOUND,
            "there is no app named 'nope'",
        ),
        case(
            "unknown secret",
            &["get", "shop", "NOPE"],
            exit::NOT_FOUND,
            "has no secret named NOPE",
        ),
        case(
            "unknown member",
            &["role", "grant", "zed", "shop", "developer"],
            exit::NOT_FOUND,
            "there is no member named 'zed'",
        ),
        case(
            "unknown role",
            &["role", "grant", "bob", "shop", "boss"],
            exit::USAGE,
            "'boss' is not a console role",
        ),
        case(
            "unknown access level",
            &["add-secret", "shop", "X", "--access", "root", "--stdin"],
            exit::USAGE,
            "'root' is not an access level",
        ),
        case(
            "bad date",
            &["app", "set", "shop", "--verified-until", "31/03/2027"],
            exit::USAGE,
            "is not a date",
        ),
        case(
            "config key that is not an env name",
            &["config", "set", "shop", "1BAD=x"],
            exit::USAGE,
            "not a valid environment variable name",
        ),
        case(
            "secret passed as config",
            &["config", "set", "shop", "MY_SECRET=hunter2"],
            exit::USAGE,
            "looks like a secret",
        ),
        case(
            "secret with a bundle prefix",
            &["add-secret", "shop", "TARO_APP_SECRET", "--stdin"],
            exit::USAGE,
            "shipped Mini Program package",
        ),
        Case {
            stdin: b"",
            ..case(
                "empty stdin",
                &["add-secret", "shop", "OTHER", "--stdin"],
                exit::USAGE,
                "no value was given",
            )
        },
        Case {
            stdin: b"\xff\xfe",
            ..case(
                "non-UTF-8 stdin",
                &["add-secret", "shop", "OTHER", "--stdin"],
                exit::USAGE,
                "is not UTF-8",
            )
        },
        case(
            "no terminal and no --stdin",
            &["add-secret", "shop", "OTHER"],
            exit::USAGE,
            "pass --stdin",
        ),
        case(
            "secret that already exists",
            &["add-secret", "shop", "--stdin"],
            exit::EXISTS,
            "already has a secret named WECHAT_APPSECRET",
        ),
        case(
            "rotating a secret that does not exist",
            &["rotate-secret", "shop", "NOPE", "--stdin"],
            exit::NOT_FOUND,
            "has no secret named NOPE",
        ),
        case(
            "app that already exists",
            &["app", "add", "shop", "--appid", "wx00000000000000ff"],
            exit::EXISTS,
            "already exists",
        ),
        case(
            "private key as a member key",
            &[
                "member",
                "add",
                "eve",
                "--key",
                "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ",
            ],
            exit::USAGE,
            "that is a private key",
        ),
        case(
            "garbage member key",
            &["member", "add", "eve", "--key", "hello"],
            exit::USAGE,
            "is not an age public key",
        ),
        case(
            "removing the only owner",
            &["member", "remove", "alice"],
            exit::USAGE,
            "only owner",
        ),
        case(
            "history that does not exist",
            &["get", "shop", "WECHAT_APPSECRET", "--previous", "3"],
            exit::NOT_FOUND,
            "earlier version",
        ),
        case(
            "existing output file",
            &["export", "shop", "-o", "mpvault.json"],
            exit::EXISTS,
            "already exists",
        ),
        case(
            "value the python dialect cannot carry",
            &["export", "shop", "--dialect", "python"],
            exit::USAGE,
            "GREETING cannot be written losslessly for the python dialect",
        ),
        case(
            "unknown --only key",
            &["export", "shop", "--only", "NOPE"],
            exit::NOT_FOUND,
            "nothing exported as NOPE",
        ),
        Case {
            who: Who::Outsider,
            ..case(
                "wrong identity",
                &["get", "shop", "WECHAT_APPSECRET"],
                exit::DENIED,
                "is not a member of this vault",
            )
        },
        Case {
            who: Who::Nobody,
            ..case(
                "missing identity",
                &["get", "shop", "WECHAT_APPSECRET"],
                exit::NOT_FOUND,
                "no identity found",
            )
        },
        Case {
            who: Who::Outsider,
            ..case(
                "outsider writes",
                &["config", "set", "shop", "A=1"],
                exit::DENIED,
                "is not a member of this vault",
            )
        },
        Case {
            damage: Some(|t| t[..t.len() / 2].to_string()),
            ..case(
                "truncated vault",
                &["get", "shop", "WECHAT_APPSECRET"],
                exit::CORRUPT,
                "the vault file is truncated",
            )
        },
        Case {
            damage: Some(|_| "this is not json".to_string()),
            ..case(
                "non-JSON vault",
                &["app", "list"],
                exit::CORRUPT,
                "is not valid JSON",
            )
        },
        Case {
            damage: Some(|t| t.replacen("\"format\": 4", "\"format\": 7", 1)),
            ..case(
                "newer-format vault",
                &["config", "set", "shop", "A=1"],
                exit::CORRUPT,
                "uses format 7, newer than",
            )
        },
        Case {
            damage: Some(|_| "{\"hello\": 1}".to_string()),
            ..case(
                "JSON that is not a vault",
                &["app", "list"],
                exit::CORRUPT,
                "not an mpvault vault",
            )
        },
        case(
            "import of a missing file",
            &["import", "shop", "nope.env"],
            exit::NOT_FOUND,
            "nope.env does not exist",
        ),
        case(
            "malformed mode name",
            &["config", "set", "shop", "A=1", "--mode", "Prod"],
            exit::USAGE,
            "'Prod' is not a valid mode name",
        ),
        case(
            "unset in a mode the app does not have",
            &["config", "unset", "shop", "GREETING", "--mode", "dev"],
            exit::NOT_FOUND,
            "app 'shop' has no config for mode 'dev'",
        ),
        case(
            "a hardware key as an owner",
            &[
                "member",
                "add",
                "carol",
                "--key",
                "age1mpvtest1mnetrc7yh7zal96vrppqrzdrcx827nwtyqaqhz5qyjl8ay4fy4zqdym4ct",
                "--owner",
            ],
            exit::USAGE,
            "an owner signs the roster, which a hardware key (age plugin) cannot do",
        ),
        Case {
            damage: Some(|t| {
                t.replacen(
                    "\"config\": {",
                    "\"modes\": {\"../x\": {}},\n      \"config\": {",
                    1,
                )
            }),
            ..case(
                "malformed mode name in the file",
                &["app", "list"],
                exit::CORRUPT,
                "malformed mode name",
            )
        },
        Case {
            damage: Some(|t| t.replacen(APPID, "wx_tampered", 1)),
            ..case(
                "malformed AppID in the file",
                &["app", "list"],
                exit::CORRUPT,
                "malformed AppID",
            )
        },
        // ---- every command, and what the hardening added ----
        case(
            "identity over an existing one",
            &["identity", "new"],
            exit::EXISTS,
            "already",
        ),
        Case {
            who: Who::Nobody,
            ..case(
                "identity show without one",
                &["identity", "show"],
                exit::NOT_FOUND,
                "no identity found",
            )
        },
        case(
            "init where a vault exists",
            &["init"],
            exit::EXISTS,
            "already exists",
        ),
        case(
            "init with a bad handle",
            &["init", "--owner", "Bad Handle"],
            exit::USAGE,
            "is not a valid member name",
        ),
        case(
            "app add with a bad name",
            &["app", "add", "Bad Name", "--appid", "wx00000000000000aa"],
            exit::USAGE,
            "is not a valid app name",
        ),
        case(
            "app add with an AppID already used",
            &["app", "add", "blog", "--appid", APPID],
            exit::EXISTS,
            "is already in the vault",
        ),
        case(
            "app show of an unknown app",
            &["app", "show", "nope"],
            exit::NOT_FOUND,
            "there is no app named 'nope'",
        ),
        case(
            "app remove of an unknown app",
            &["app", "remove", "nope"],
            exit::NOT_FOUND,
            "there is no app named 'nope'",
        ),
        case(
            "app set with nothing to set",
            &["app", "set", "shop"],
            exit::USAGE,
            "nothing to set",
        ),
        case(
            "app set with a control character",
            &["app", "set", "shop", "--icp", "a\u{1b}[2Jb"],
            exit::USAGE,
            "must be one line",
        ),
        case(
            "app contact with a bad email",
            &["app", "contact", "shop", "--email", "nope"],
            exit::USAGE,
            "email is not valid",
        ),
        case(
            "config unset of a missing key",
            &["config", "unset", "shop", "NOPE"],
            exit::NOT_FOUND,
            "has no config value NOPE",
        ),
        case(
            "config set PATH",
            &["config", "set", "shop", "PATH=/tmp/evil"],
            exit::USAGE,
            "PATH cannot be stored in a vault, because",
        ),
        case(
            "config set LD_PRELOAD",
            &["config", "set", "shop", "LD_PRELOAD=/tmp/x.so"],
            exit::USAGE,
            "dynamic loader",
        ),
        case(
            "config set BASH_ENV",
            &["config", "set", "shop", "BASH_ENV=/tmp/evil.sh"],
            exit::USAGE,
            "shells run or obey it",
        ),
        case(
            "config set NODE_OPTIONS",
            &["config", "set", "shop", "NODE_OPTIONS=--require=/tmp/x"],
            exit::USAGE,
            "an interpreter loads",
        ),
        case(
            "config set GIT_SSH_COMMAND",
            &["config", "set", "shop", "GIT_SSH_COMMAND=sh"],
            exit::USAGE,
            "git runs programs",
        ),
        case(
            "config set MPVAULT_IDENTITY",
            &["config", "set", "shop", "MPVAULT_IDENTITY=x"],
            exit::USAGE,
            "mpvault reads it",
        ),
        case(
            "config set with a bare secret",
            &["config", "set", "shop", APPSECRET],
            exit::USAGE,
            "not repeated here",
        ),
        case(
            "add-secret with the value as its name",
            &["add-secret", "shop", APPSECRET],
            exit::USAGE,
            "looks like a secret value",
        ),
        case(
            "add-secret with NAME=value",
            &[
                "add-secret",
                "shop",
                "WECHAT_APPSECRET=0123456789abcdef0123456789abcdef",
            ],
            exit::USAGE,
            "looks like a secret value",
        ),
        case(
            "add-secret with the value after the name",
            &["add-secret", "shop", "WECHAT_APPSECRET", APPSECRET],
            exit::USAGE,
            "not repeated here in case one is a secret",
        ),
        case(
            "add-secret named BASH_ENV",
            &["add-secret", "shop", "BASH_ENV", "--stdin"],
            exit::USAGE,
            "cannot be stored in a vault",
        ),
        case(
            "rotate-secret with the value as its name",
            &["rotate-secret", "shop", APPSECRET],
            exit::USAGE,
            "looks like a secret value",
        ),
        case(
            "rotate-secret with an unknown flag",
            &["rotate-secret", "shop", "--value", APPSECRET],
            exit::USAGE,
            "secrets come from the hidden prompt or --stdin",
        ),
        case(
            "rotate-secret --generate for the AppSecret",
            &["rotate-secret", "shop", "--generate"],
            exit::USAGE,
            "only WeChat issues",
        ),
        Case {
            stdin: b"0123456789abcdef0123456789abcdeg\n",
            ..case(
                "an AppSecret one digit off",
                &["rotate-secret", "shop", "--stdin"],
                exit::USAGE,
                "is not an AppSecret",
            )
        },
        Case {
            stdin: &[b'x'; limits::MAX_VALUE_BYTES + 1],
            ..case(
                "a value larger than a vault keeps",
                &["add-secret", "shop", "BIG", "--stdin"],
                exit::USAGE,
                "more than the 128 KiB a vault keeps",
            )
        },
        case(
            "get with the value as its name",
            &["get", "shop", PAY_KEY],
            exit::USAGE,
            "looks like a secret value",
        ),
        case(
            "history of an unknown secret",
            &["history", "shop", "NOPE"],
            exit::NOT_FOUND,
            "has no secret named NOPE",
        ),
        case(
            "remove-secret of an unknown secret",
            &["remove-secret", "shop", "NOPE"],
            exit::NOT_FOUND,
            "has no secret named NOPE",
        ),
        case(
            "member add with a bad handle",
            &["member", "add", "Eve!", "--key", "age1x"],
            exit::USAGE,
            "is not a valid member name",
        ),
        case(
            "member remove of an unknown member",
            &["member", "remove", "zed"],
            exit::NOT_FOUND,
            "there is no member named 'zed'",
        ),
        case(
            "role revoke of a role not held",
            &["role", "revoke", "bob", "shop", "admin"],
            exit::NOT_FOUND,
            "does not hold the admin role",
        ),
        case(
            "role grant on an unknown app",
            &["role", "grant", "bob", "nope", "developer"],
            exit::NOT_FOUND,
            "there is no app named 'nope'",
        ),
        case(
            "roster of an unknown app",
            &["roster", "nope"],
            exit::NOT_FOUND,
            "there is no app named 'nope'",
        ),
        case(
            "rekey of an unknown app",
            &["rekey", "nope"],
            exit::NOT_FOUND,
            "there is no app named 'nope'",
        ),
        case(
            "run of a missing command",
            &["run", "shop", "--", "no-such-command-mpvault"],
            exit::NOT_FOUND,
            "was not found",
        ),
        case(
            "github export without GITHUB_ENV",
            &["export", "shop", "--format", "github"],
            exit::USAGE,
            "GITHUB_ENV is not set",
        ),
        case(
            "upload key that is not there",
            &["export", "shop", "--upload-key-file"],
            exit::NOT_FOUND,
            "has no upload key",
        ),
        Case {
            prepare: Some(|dir| {
                std::os::unix::fs::symlink(dir.join("../outside.env"), dir.join("link.env"))
                    .unwrap();
            }),
            ..case(
                "export through a symlink",
                &[
                    "export",
                    "shop",
                    "--include-secrets",
                    "-o",
                    "link.env",
                    "--force",
                ],
                exit::USAGE,
                "is a symbolic link",
            )
        },
        Case {
            prepare: Some(|dir| {
                std::os::unix::fs::symlink(dir.join("../outside.env"), dir.join("gh.env")).unwrap();
            }),
            ..case(
                "github export through a symlink",
                &[
                    "export",
                    "shop",
                    "--include-secrets",
                    "--format",
                    "github",
                    "-o",
                    "gh.env",
                ],
                exit::USAGE,
                "is a symbolic link",
            )
        },
        Case {
            who: Who::Bob,
            ..case(
                "export --only a secret the member may not read",
                &[
                    "export",
                    "shop",
                    "--include-secrets",
                    "--only",
                    "WECHAT_PAY_API_V3_KEY",
                ],
                exit::DENIED,
                "bob cannot read WECHAT_PAY_API_V3_KEY",
            )
        },
        Case {
            who: Who::Bob,
            ..case(
                "run --only a secret the member may not read",
                &[
                    "run",
                    "shop",
                    "--include-secrets",
                    "--only",
                    "WECHAT_PAY_API_V3_KEY",
                    "--",
                    "true",
                ],
                exit::DENIED,
                "which is kept at the admin level",
            )
        },
        Case {
            who: Who::Bob,
            ..case(
                "a developer reads an admin secret",
                &["get", "shop", "WECHAT_PAY_API_V3_KEY"],
                exit::DENIED,
                "cannot read admin-level values",
            )
        },
        Case {
            who: Who::Bob,
            ..case(
                "a developer removes an admin secret",
                &["remove-secret", "shop", "WECHAT_PAY_API_V3_KEY"],
                exit::DENIED,
                "cannot remove admin-level secrets",
            )
        },
        Case {
            who: Who::Bob,
            ..case(
                "a developer rekeys",
                &["rekey"],
                exit::DENIED,
                "only a vault owner can rekey",
            )
        },
        Case {
            who: Who::Bob,
            ..case(
                "a developer grants roles",
                &["role", "grant", "bob", "shop", "admin"],
                exit::DENIED,
                "only a vault owner can change roles",
            )
        },
        Case {
            who: Who::Bob,
            ..case(
                "a developer removes an app",
                &["app", "remove", "shop"],
                exit::DENIED,
                "only a vault owner can remove apps",
            )
        },
        Case {
            who: Who::Outsider,
            stdin: APPSECRET.as_bytes(),
            ..case(
                "an outsider rotates",
                &["rotate-secret", "shop", "--stdin"],
                exit::DENIED,
                "is not a member of this vault",
            )
        },
        Case {
            damage: Some(|t| t.replacen("\"ed25519\": \"", "\"ed25519\": \"AAAA", 1)),
            ..case(
                "trust --repin of a broken signature",
                &["trust", "--repin"],
                exit::CORRUPT,
                "does not verify",
            )
        },
        Case {
            damage: Some(|t| format!("{t}{}", " ".repeat(limits::MAX_FILE_BYTES))),
            ..case(
                "a vault over the size limit",
                &["status"],
                exit::CORRUPT,
                "larger than",
            )
        },
        Case {
            damage: Some(|t| {
                t.replacen(
                    '{',
                    &format!("{{\"x\": {}{},", "[".repeat(64), "]".repeat(64)),
                    1,
                )
            }),
            ..case(
                "a vault nested too deep",
                &["app", "list"],
                exit::CORRUPT,
                "nested deeper than",
            )
        },
        Case {
            damage: Some(inflate_developer_key),
            ..case(
                "a wrapped key inflated with recipients",
                &["get", "shop", "WECHAT_APPSECRET"],
                exit::CORRUPT,
                "recipients",
            )
        },
        Case {
            damage: Some(|t| {
                edit(t, |v| {
                    let versions = v["apps"]["shop"]["secrets"]["WECHAT_APPSECRET"]["versions"]
                        .as_array_mut()
                        .unwrap();
                    let first = versions[0].clone();
                    versions.extend(std::iter::repeat_n(first, 10));
                })
            }),
            ..case(
                "a history longer than kept",
                &["history", "shop"],
                exit::CORRUPT,
                "malformed history",
            )
        },
        Case {
            damage: Some(|t| {
                edit(t, |v| {
                    let secrets = v["apps"]["shop"]["secrets"].as_object_mut().unwrap();
                    let s = secrets.remove("WECHAT_APPSECRET").unwrap();
                    secrets.insert("X\u{1b}]0;pwned\u{7}".into(), s);
                })
            }),
            ..case(
                "a control character in a secret name",
                &["app", "show", "shop"],
                exit::CORRUPT,
                "malformed secret name",
            )
        },
        Case {
            damage: Some(|t| {
                edit(t, |v| {
                    v["apps"]["shop"]["secrets"]["WECHAT_APPSECRET"]["versions"][0]["set_by"] =
                        "alice\r\u{1b}[2K".into();
                })
            }),
            ..case(
                "a set_by that is not a handle",
                &["history", "shop"],
                exit::CORRUPT,
                "set_by",
            )
        },
        Case {
            damage: Some(|t| {
                edit(t, |v| {
                    let greeting = v["apps"]["shop"]["config"]["GREETING"].clone();
                    v["apps"]["shop"]["config"]["WECHAT_APPSECRET"] = greeting;
                })
            }),
            ..case(
                "a name that is both config and a secret",
                &["export", "shop"],
                exit::CORRUPT,
                "is both a config value and a secret",
            )
        },
    ]
}

fn edit(text: &str, change: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut v: serde_json::Value = serde_json::from_str(text).unwrap();
    change(&mut v);
    serde_json::to_string_pretty(&v).unwrap()
}

/// The developer key's first recipient stanza, copied 800 times.
fn inflate_developer_key(text: &str) -> String {
    edit(text, |v| {
        let key = &mut v["apps"]["shop"]["keys"]["developer"]["wrapped"];
        let bytes = B64.decode(key.as_str().unwrap()).unwrap();
        let at = |from: usize, pat: &[u8]| {
            from + bytes[from..]
                .windows(pat.len())
                .position(|w| w == pat)
                .unwrap()
        };
        let first = at(0, b"\n-> ") + 1;
        let second = at(first, b"\n") + 1;
        let end = at(second, b"\n") + 1;
        let mut out = bytes[..first].to_vec();
        for _ in 0..800 {
            out.extend_from_slice(&bytes[first..end]);
        }
        out.extend_from_slice(&bytes[first..]);
        *key = B64.encode(out).into();
    })
}

/// The people the cases run as, in a vault with a secret, a config value and a pay key.
struct People {
    alice: Person,
    bob: Person,
    outsider: Person,
    nobody: Person,
}

impl People {
    fn get(&self, who: &Who) -> &Person {
        match who {
            Who::Alice => &self.alice,
            Who::Bob => &self.bob,
            Who::Outsider => &self.outsider,
            Who::Nobody => &self.nobody,
        }
    }
}

fn people(w: &World) -> People {
    let alice = w.owner_with_app();
    let bob = w.person("bob");
    w.join(&alice, &bob, &["developer"]);
    w.ok_stdin(&alice, &["add-secret", "shop", "--stdin"], APPSECRET);
    w.ok(
        &alice,
        &["config", "set", "shop", "GREETING=hello ${USER_NAME}"],
    );
    w.ok_stdin(
        &alice,
        &["add-secret", "shop", "WECHAT_PAY_API_V3_KEY", "--stdin"],
        PAY_KEY,
    );
    w.ok(&bob, &["app", "list"]);
    let outsider = w.person("outsider");
    let nobody = w.stranger("nobody");
    // Their first look pins the vault's owners (and says so); the cases are about errors.
    for person in [&outsider, &nobody] {
        let out = w.cmd(person).args(["app", "list"]).output().unwrap();
        assert!(String::from_utf8_lossy(&out.stderr).contains("for the first time"));
    }
    People {
        alice,
        bob,
        outsider,
        nobody,
    }
}

/// One sentence on stderr with the case's code and words; no panic, secret or variable name
/// in either stream.
fn assert_refused(case: &Case, out: &std::process::Output) {
    let err = String::from_utf8_lossy(&out.stderr);
    let name = case.name;
    assert_eq!(
        out.status.code(),
        Some(case.code),
        "{name}: wrong exit code; stderr: {err}"
    );
    assert!(
        err.contains(case.says),
        "{name}: expected '{}' in: {err}",
        case.says
    );
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "{name}: not one line: {err}"
    );
    assert!(
        err.starts_with("mpvault: ") && err.trim_end().ends_with('.'),
        "{name}: not one sentence: {err}"
    );
    let out_text = String::from_utf8_lossy(&out.stdout);
    for text in [&err, &out_text] {
        assert!(
            !text.contains("panicked")
                && !text.contains(APPSECRET)
                && !text.contains(PAY_KEY)
                && !text.contains("USER_NAME"),
            "{name}: {text}"
        );
    }
}

#[test]
fn bad_input_gets_one_sentence_a_nonzero_exit_and_an_unchanged_vault() {
    let w = World::new();
    let people = people(&w);
    let pristine = std::fs::read(w.vault_path()).unwrap();

    let cases = cases();
    assert!(cases.len() >= 60, "{} cases", cases.len());
    for case in cases {
        std::fs::write(w.vault_path(), &pristine).unwrap();
        if let Some(prepare) = case.prepare {
            prepare(&w.project());
        }
        if let Some(damage) = case.damage {
            std::fs::write(
                w.vault_path(),
                damage(&String::from_utf8(pristine.clone()).unwrap()),
            )
            .unwrap();
        }
        let before = std::fs::read(w.vault_path()).unwrap();
        let out = w
            .cmd(people.get(&case.who))
            .args(case.args)
            .write_stdin(case.stdin)
            .output()
            .unwrap();
        assert_refused(&case, &out);
        assert_eq!(
            std::fs::read(w.vault_path()).unwrap(),
            before,
            "{}: the vault changed",
            case.name
        );
    }
}

#[test]
fn usage_errors_exit_with_code_2() {
    let w = World::new();
    let p = w.stranger("p");
    w.cmd(&p)
        .args(["app", "frobnicate"])
        .assert()
        .code(exit::USAGE);
    w.cmd(&p).args(["run", "shop"]).assert().code(exit::USAGE);
}
