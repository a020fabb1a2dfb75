//! Bad input: one clear sentence, a non-zero exit code and a vault left byte for byte as it was.

mod common;

use common::*;

enum Who {
    Alice,
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
        code,
        says,
    }
}

fn cases() -> Vec<Case> {
    vec![
        case(
            "malformed AppID",
            &["app", "add", "blog", "--appid", "wx12345"],
            2,
            "is not a Mini Program AppID",
        ),
        case(
            "uppercase AppID",
            &["app", "add", "blog", "--appid", "WX0123456789ABCDEF"],
            2,
            "is not a Mini Program AppID",
        ),
        Case {
            stdin: b"not-an-appsecret\n",
            ..case(
                "malformed AppSecret",
                &["rotate-secret", "shop", "--stdin"],
                2,
                "is not an AppSecret",
            )
        },
        Case {
            stdin: b"hello",
            ..case(
                "PEM key that is not PEM",
                &["add-secret", "shop", "WECHAT_UPLOAD_KEY", "--stdin"],
                2,
                "is not a PEM key",
            )
        },
        case(
            "unknown app",
            &["get", "nope", "WECHAT_APPSECRET"],
            3,
            "there is no app named 'nope'",
        ),
        case(
            "unknown secret",
            &["get", "shop", "NOPE"],
            3,
            "has no secret named NOPE",
        ),
        case(
            "unknown member",
            &["role", "grant", "zed", "shop", "developer"],
            3,
            "there is no member named 'zed'",
        ),
        case(
            "unknown role",
            &["role", "grant", "bob", "shop", "boss"],
            2,
            "'boss' is not a console role",
        ),
        case(
            "unknown access level",
            &["add-secret", "shop", "X", "--access", "root", "--stdin"],
            2,
            "'root' is not an access level",
        ),
        case(
            "bad date",
            &["app", "set", "shop", "--verified-until", "31/03/2027"],
            2,
            "is not a date",
        ),
        case(
            "config key that is not an env name",
            &["config", "set", "shop", "1BAD=x"],
            2,
            "not a valid environment variable name",
        ),
        case(
            "secret passed as config",
            &["config", "set", "shop", "MY_SECRET=hunter2"],
            2,
            "looks like a secret",
        ),
        case(
            "secret with a bundle prefix",
            &["add-secret", "shop", "TARO_APP_SECRET", "--stdin"],
            2,
            "shipped Mini Program package",
        ),
        Case {
            stdin: b"",
            ..case(
                "empty stdin",
                &["add-secret", "shop", "OTHER", "--stdin"],
                2,
                "no value was given",
            )
        },
        Case {
            stdin: b"\xff\xfe",
            ..case(
                "non-UTF-8 stdin",
                &["add-secret", "shop", "OTHER", "--stdin"],
                2,
                "is not UTF-8",
            )
        },
        case(
            "no terminal and no --stdin",
            &["add-secret", "shop", "OTHER"],
            2,
            "pass --stdin",
        ),
        case(
            "secret that already exists",
            &["add-secret", "shop", "--stdin"],
            6,
            "already has a secret named WECHAT_APPSECRET",
        ),
        case(
            "rotating a secret that does not exist",
            &["rotate-secret", "shop", "NOPE", "--stdin"],
            3,
            "has no secret named NOPE",
        ),
        case(
            "app that already exists",
            &["app", "add", "shop", "--appid", "wx00000000000000ff"],
            6,
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
            2,
            "that is a private key",
        ),
        case(
            "garbage member key",
            &["member", "add", "eve", "--key", "hello"],
            2,
            "is not an age public key",
        ),
        case(
            "removing the only owner",
            &["member", "remove", "alice"],
            2,
            "only owner",
        ),
        case(
            "history that does not exist",
            &["get", "shop", "WECHAT_APPSECRET", "--previous", "3"],
            3,
            "earlier version",
        ),
        case(
            "existing output file",
            &["export", "shop", "-o", "mpvault.json"],
            6,
            "already exists",
        ),
        case(
            "value the python dialect cannot carry",
            &["export", "shop", "--dialect", "python"],
            2,
            "GREETING cannot be written losslessly for the python dialect",
        ),
        case(
            "unknown --only key",
            &["export", "shop", "--only", "NOPE"],
            3,
            "nothing exported as NOPE",
        ),
        Case {
            who: Who::Outsider,
            ..case(
                "wrong identity",
                &["get", "shop", "WECHAT_APPSECRET"],
                4,
                "is not a member of this vault",
            )
        },
        Case {
            who: Who::Nobody,
            ..case(
                "missing identity",
                &["get", "shop", "WECHAT_APPSECRET"],
                3,
                "no identity found",
            )
        },
        Case {
            who: Who::Outsider,
            ..case(
                "outsider writes",
                &["config", "set", "shop", "A=1"],
                4,
                "is not a member of this vault",
            )
        },
        Case {
            damage: Some(|t| t[..t.len() / 2].to_string()),
            ..case(
                "truncated vault",
                &["get", "shop", "WECHAT_APPSECRET"],
                5,
                "the vault file is truncated",
            )
        },
        Case {
            damage: Some(|_| "this is not json".to_string()),
            ..case("non-JSON vault", &["app", "list"], 5, "is not valid JSON")
        },
        Case {
            damage: Some(|t| t.replacen("\"format\": 3", "\"format\": 4", 1)),
            ..case(
                "newer-format vault",
                &["config", "set", "shop", "A=1"],
                5,
                "uses format 4, newer than",
            )
        },
        Case {
            damage: Some(|_| "{\"hello\": 1}".to_string()),
            ..case(
                "JSON that is not a vault",
                &["app", "list"],
                5,
                "not an mpvault vault",
            )
        },
        case(
            "import of a missing file",
            &["import", "shop", "nope.env"],
            3,
            "nope.env does not exist",
        ),
        case(
            "malformed mode name",
            &["config", "set", "shop", "A=1", "--mode", "Prod"],
            2,
            "'Prod' is not a valid mode name",
        ),
        case(
            "unset in a mode the app does not have",
            &["config", "unset", "shop", "GREETING", "--mode", "dev"],
            3,
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
            2,
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
                5,
                "malformed mode name",
            )
        },
        Case {
            damage: Some(|t| t.replacen(APPID, "wx_tampered", 1)),
            ..case(
                "malformed AppID in the file",
                &["app", "list"],
                5,
                "malformed AppID",
            )
        },
    ]
}

#[test]
fn bad_input_gets_one_sentence_a_nonzero_exit_and_an_unchanged_vault() {
    let w = World::new();
    let alice = w.owner_with_app();
    let bob = w.person("bob");
    w.join(&alice, &bob, &["developer"]);
    w.ok_stdin(&alice, &["add-secret", "shop", "--stdin"], APPSECRET);
    w.ok(
        &alice,
        &["config", "set", "shop", "GREETING=hello ${USER_NAME}"],
    );
    let outsider = w.person("outsider");
    let nobody = w.stranger("nobody");
    // Their first look pins the vault's owners (and says so); the cases below are about errors.
    for person in [&outsider, &nobody] {
        let out = w.cmd(person).args(["app", "list"]).output().unwrap();
        assert!(String::from_utf8_lossy(&out.stderr).contains("for the first time"));
    }
    let pristine = std::fs::read(w.vault_path()).unwrap();

    for case in cases() {
        std::fs::write(w.vault_path(), &pristine).unwrap();
        if let Some(damage) = case.damage {
            std::fs::write(
                w.vault_path(),
                damage(&String::from_utf8(pristine.clone()).unwrap()),
            )
            .unwrap();
        }
        let before = std::fs::read(w.vault_path()).unwrap();
        let person = match case.who {
            Who::Alice => &alice,
            Who::Outsider => &outsider,
            Who::Nobody => &nobody,
        };
        let out = w
            .cmd(person)
            .args(case.args)
            .write_stdin(case.stdin)
            .output()
            .unwrap();
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
        assert!(
            !err.contains("panicked") && !err.contains(APPSECRET) && !err.contains("USER_NAME"),
            "{name}: {err}"
        );
        assert_eq!(
            std::fs::read(w.vault_path()).unwrap(),
            before,
            "{name}: the vault changed"
        );
    }
}

#[test]
fn usage_errors_exit_with_code_2() {
    let w = World::new();
    let p = w.stranger("p");
    w.cmd(&p).args(["app", "frobnicate"]).assert().code(2);
    w.cmd(&p).args(["run", "shop"]).assert().code(2);
}
