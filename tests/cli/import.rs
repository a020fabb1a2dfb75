//! `mpvault import`: hand-written .env files in each dialect, what becomes a secret or config,
//! the AppID check, --dry-run, --update, modes, what is refused, and the round trip
//! export -> import -> export.

use crate::common;

use common::interop;
use common::*;

const PAY_KEY: &str = "Zx8Qm3VtR7pLk2Nw9Hs4Jd6Fg1Bc5Ya0";

/// A Taro project's hand-written .env.production: a BOM, CRLF line ends, comments, `export`,
/// every quote kind, a multi-line PEM, a `$` escaped for dotenv-expand.
fn taro_file() -> String {
    let pem = PEM.trim_end_matches('\n');
    format!(
        "\u{feff}# Taro build settings\r\n\
         TARO_APP_ID={APPID}\r\n\
         export TARO_APP_API_BASE=https://api.example.com   # production API\r\n\
         TARO_APP_TITLE='Shop 商城 #1'\r\n\
         TARO_APP_GREETING=\"it's here\"\r\n\
         TARO_APP_PRICE=`costs \\$5`\r\n\
         \r\n\
         WECHAT_APPSECRET={APPSECRET}\r\n\
         WECHAT_UPLOAD_KEY=\"{pem}\"\r\n\
         MERCHANT_SIGN=\"{PAY_KEY}\"\r\n\
         SENTRY_DSN=https://k@sentry.io/1\r\n"
    )
}

fn write(w: &World, name: &str, text: &str) -> String {
    std::fs::write(w.path(name), text).unwrap();
    name.to_string()
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap()
}

#[test]
fn a_hand_written_taro_file_is_sorted_into_secrets_and_config() {
    let w = World::new();
    let alice = w.owner_with_app();
    let file = write(&w, ".env.production", &taro_file());
    let out = w
        .cmd(&alice)
        .args(["import", "shop", &file])
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains(".env.production starts with a byte-order mark"),
        "{err}"
    );
    assert!(
        err.contains(".env.production still holds those secrets in plain text, and mpvault leaves it alone: delete it"),
        "{err}"
    );

    let show = json(&w.ok(&alice, &["app", "show", "shop", "--json"]));
    let config = &show["config"];
    assert_eq!(config["API_BASE"], "https://api.example.com", "{show}");
    assert_eq!(config["TITLE"], "Shop 商城 #1");
    assert_eq!(config["GREETING"], "it's here");
    assert_eq!(config["PRICE"], "costs $5");
    // Unprefixed in the file, so build config: named as is, never shipped (issue 18).
    assert!(config.get("SENTRY_DSN").is_none(), "{show}");
    assert_eq!(show["build"]["SENTRY_DSN"], "https://k@sentry.io/1");
    assert!(config.get("TARO_APP_ID").is_none() && config.get("ID").is_none());
    let secrets: Vec<(String, String)> = show["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().into(),
                s["access"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        secrets,
        vec![
            ("MERCHANT_SIGN".to_string(), "developer".to_string()),
            ("WECHAT_APPSECRET".to_string(), "developer".to_string()),
            ("WECHAT_UPLOAD_KEY".to_string(), "developer".to_string()),
        ]
    );
    assert_eq!(
        w.ok(&alice, &["get", "shop", "WECHAT_APPSECRET"]),
        APPSECRET
    );
    assert_eq!(w.ok(&alice, &["get", "shop", "MERCHANT_SIGN"]), PAY_KEY);
    assert_eq!(
        w.ok(&alice, &["get", "shop", "WECHAT_UPLOAD_KEY"]),
        PEM.trim_end_matches('\n')
    );
    // the file is left alone, and the user is told to delete it
    assert!(w.path(&file).exists());
    let out = w
        .cmd(&alice)
        .args(["import", "shop", &file, "--update"])
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{err}");
    assert!(err.contains("8 value(s) were already stored"), "{err}");
    assert!(
        !err.contains("still holds"),
        "nothing was imported this time: {err}"
    );
}

#[test]
fn the_plan_names_kinds_and_levels_and_never_a_value() {
    let w = World::new();
    let alice = w.owner_with_app();
    let file = write(&w, ".env", &taro_file());
    let before = w.vault_text();
    let out = w
        .cmd(&alice)
        .args(["import", "shop", &file, "--dry-run"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let plan = String::from_utf8(out.stdout).unwrap();
    let all = format!("{plan}{}", String::from_utf8_lossy(&out.stderr));
    for secret in [
        APPSECRET,
        PAY_KEY,
        "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7",
        "api.example.com",
        "商城",
    ] {
        assert!(!all.contains(secret), "the plan shows a value: {all}");
    }
    let row = |name: &str| {
        plan.lines()
            .find(|l| l.contains(&format!(" {name} ")))
            .unwrap_or_else(|| panic!("no row for {name}: {plan}"))
            .to_string()
    };
    assert!(row("TARO_APP_API_BASE").contains("API_BASE"));
    assert!(row("TARO_APP_API_BASE").contains("config"));
    assert!(row("WECHAT_APPSECRET").contains("secret"));
    assert!(row("WECHAT_APPSECRET").contains("developer"));
    assert!(row("MERCHANT_SIGN").contains("value"), "{plan}");
    assert!(row("TARO_APP_ID").contains("matches the app"));
    assert!(row("SENTRY_DSN").contains("add"));
    assert_eq!(w.vault_text(), before, "a dry run changed the vault");
}

#[test]
fn existing_names_need_update_which_rotates() {
    let w = World::new();
    let alice = w.owner_with_app();
    w.ok_stdin(&alice, &["add-secret", "shop", "--stdin"], APPSECRET);
    w.ok(
        &alice,
        &["config", "set", "shop", "API_BASE=https://old.example.com"],
    );
    let new_secret = "fedcba9876543210fedcba9876543210";
    let file = write(
        &w,
        ".env",
        &format!("WECHAT_APPSECRET={new_secret}\nVITE_API_BASE=https://new.example.com\n"),
    );
    let before = w.vault_text();
    let (code, err) = w.fails(&alice, &["import", "shop", &file]);
    assert_eq!(code, exit::EXISTS, "{err}");
    assert!(err.contains("'shop' already has WECHAT_APPSECRET"), "{err}");
    assert!(err.contains("--update"), "{err}");
    assert!(!err.contains(new_secret));
    assert_eq!(w.vault_text(), before);

    w.ok(&alice, &["import", "shop", &file, "--update"]);
    assert_eq!(
        w.ok(&alice, &["get", "shop", "WECHAT_APPSECRET"]),
        new_secret
    );
    assert_eq!(
        w.ok(
            &alice,
            &["get", "shop", "WECHAT_APPSECRET", "--previous", "1"]
        ),
        APPSECRET
    );
    assert_eq!(
        w.ok(&alice, &["get", "shop", "API_BASE"]),
        "https://new.example.com"
    );
}

/// Files `import` refuses: the text, extra arguments, the exit code and what the error says.
const REFUSALS: &[(&str, &[&str], i32, &str)] = &[
    (
        "TARO_APP_ID=wxfedcba9876543210\n",
        &[],
        exit::USAGE,
        "TARO_APP_ID in .env is wxfedcba9876543210, but this app's AppID is wx0123456789abcdef",
    ),
    (
        "API_URL=${API_BASE}/v1\n",
        &[],
        exit::USAGE,
        "API_URL in .env cannot be imported: it refers to another variable",
    ),
    (
        "PASS='a\\\\$HOME'\n",
        &["--secrets", "PASS"],
        exit::USAGE,
        "PASS in .env cannot be imported: dotenv-expand 11 and dotenv-expand 12/13 read",
    ),
    (
        "NOTE=\"line\\rbreak\"\n",
        &[],
        exit::USAGE,
        ".env reads differently in dotenv and in Node's built-in env parser, which Vite 8 uses, from NOTE on",
    ),
    (
        "GREETING=\"say \\\"hi\\\"\"\n",
        &[],
        exit::USAGE,
        ".env reads differently in dotenv and in Node's built-in env parser, which Vite 8 uses, from GREETING on",
    ),
    (
        "A=1\rB=2\n",
        &[],
        exit::USAGE,
        ".env has a carriage return without a line feed",
    ),
    (
        "VITE_API_SECRET=s3cr3t-in-the-bundle\n",
        &[],
        exit::USAGE,
        "VITE_API_SECRET in .env looks like a secret (by its name), but its VITE_ prefix ships it",
    ),
    (
        "WECHAT_APPSECRET=not-hex-s3cr3t\n",
        &[],
        exit::USAGE,
        "the value for WECHAT_APPSECRET is not an AppSecret",
    ),
    (
        "DB_PASSWORD=\n",
        &[],
        exit::USAGE,
        "DB_PASSWORD in .env looks like a secret (by its name) but is empty",
    ),
    (
        "my.name=1\n",
        &[],
        exit::USAGE,
        "\"my.name\" is not a valid environment variable name",
    ),
    (
        "MERCHANT_NAME=s3cr3t-value\n",
        &["--secrets", "MERCHANT_NAME"],
        exit::EXISTS,
        "MERCHANT_NAME would be stored as MERCHANT_NAME, which 'shop' already has as config",
    ),
    (
        "A=1\n",
        &["--secrets", "B"],
        exit::NOT_FOUND,
        ".env has no variable named B",
    ),
    (
        "VITE_API=1\nTARO_APP_API=2\n",
        &[],
        exit::USAGE,
        "VITE_API and TARO_APP_API in .env would both be stored as API",
    ),
];

#[test]
fn what_import_refuses_leaves_the_vault_unchanged() {
    let w = World::new();
    let alice = w.owner_with_app();
    w.ok(&alice, &["config", "set", "shop", "MERCHANT_NAME=x"]);
    let before = w.vault_text();
    for (text, extra, code, says) in REFUSALS {
        let file = write(&w, ".env", text);
        let mut args = vec!["import", "shop", file.as_str()];
        args.extend_from_slice(extra);
        let (got, err) = w.fails(&alice, &args);
        assert_eq!(got, *code, "{text:?}: {err}");
        assert!(err.contains(says), "{text:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(!err.contains("s3cr3t"), "an error shows a value: {err}");
        assert_eq!(w.vault_text(), before, "{text:?} changed the vault");
    }
    let (code, err) = w.fails(&alice, &["import", "shop", "missing.env"]);
    assert_eq!(code, exit::NOT_FOUND, "{err}");
    std::fs::write(w.path("bin.env"), b"A=\xff\n").unwrap();
    let (code, err) = w.fails(&alice, &["import", "shop", "bin.env"]);
    assert_eq!(code, exit::USAGE);
    assert!(err.contains("bin.env is not UTF-8 text"), "{err}");
}

#[test]
fn config_flag_keeps_a_public_bundle_value_and_secrets_flag_makes_a_secret() {
    let w = World::new();
    let alice = w.owner_with_app();
    let file = write(
        &w,
        ".env",
        "VITE_MAP_API_KEY=public-map-key\nSUPPORT_PHONE=400-000-0000\n",
    );
    w.ok(
        &alice,
        &[
            "import",
            "shop",
            &file,
            "--config",
            "VITE_MAP_API_KEY",
            "--secrets",
            "SUPPORT_PHONE",
        ],
    );
    let show = json(&w.ok(&alice, &["app", "show", "shop", "--json"]));
    assert_eq!(show["config"]["MAP_API_KEY"], "public-map-key");
    assert_eq!(show["secrets"][0]["name"], "SUPPORT_PHONE");
}

#[test]
fn python_and_node_files_are_read_their_own_way() {
    let w = World::new();
    let alice = w.owner_with_app();
    let file = write(
        &w,
        ".env",
        "# python\nexport GREETING='it\\'s' # note\nPATH_LIKE=a#b\nPRICE=$5 \n",
    );
    w.ok(&alice, &["import", "shop", &file, "--dialect", "python"]);
    assert_eq!(w.ok(&alice, &["get", "shop", "GREETING"]), "it's");
    assert_eq!(w.ok(&alice, &["get", "shop", "PATH_LIKE"]), "a#b");
    assert_eq!(w.ok(&alice, &["get", "shop", "PRICE"]), "$5");
    let file = write(&w, ".env", "RAW='a\\'b'\nDOLLAR=$NOT_A_REF\n");
    w.ok(&alice, &["import", "shop", &file, "--dialect", "node"]);
    assert_eq!(w.ok(&alice, &["get", "shop", "RAW"]), "a\\'b");
    assert_eq!(w.ok(&alice, &["get", "shop", "DOLLAR"]), "$NOT_A_REF");
    let file = write(&w, ".env", "X=${HOME}\n");
    let (code, err) = w.fails(&alice, &["import", "shop", &file, "--dialect", "python"]);
    assert_eq!(code, exit::USAGE);
    assert!(
        err.contains("python-dotenv replaces the ${…} in it"),
        "{err}"
    );
}

/// A vault elsewhere with the same AppID, for round trips.
fn second_vault(w: &World, alice: &Person) -> String {
    let other = w.path("other");
    std::fs::create_dir_all(&other).unwrap();
    let vault = other.join("mpvault.json").display().to_string();
    w.ok(alice, &["--vault", &vault, "init", "--owner", "alice"]);
    w.ok(
        alice,
        &["--vault", &vault, "app", "add", "shop", "--appid", APPID],
    );
    vault
}

/// alice's shop with values that test quoting: `$`, quotes, `#`, a line break, CJK, a PEM, and
/// a mode.
fn shop_with_awkward_values(w: &World) -> Person {
    let alice = w.owner_with_app();
    w.ok(
        &alice,
        &[
            "config",
            "set",
            "shop",
            "API_BASE=https://api.example.com/$v1",
            "TITLE=Shop 商城 'quoted' \"too\" #1",
            "MULTI=line one\nline two",
            "PERCENT=%s $(cmd) ${ x",
        ],
    );
    w.ok(
        &alice,
        &[
            "config",
            "set",
            "shop",
            "API_BASE=https://staging.example.com",
            "--mode",
            "staging",
        ],
    );
    w.ok_stdin(&alice, &["add-secret", "shop", "--stdin"], APPSECRET);
    w.ok_stdin(
        &alice,
        &["add-secret", "shop", "WECHAT_UPLOAD_KEY", "--stdin"],
        PEM,
    );
    w.ok_stdin(
        &alice,
        &["add-secret", "shop", "MINCLOUD_CLIENT_SECRET", "--stdin"],
        "p$ss w0rd `x`",
    );
    alice
}

/// What shop_with_awkward_values stored, as a real reader must read it back from an export
/// (names differ by preset; the values do not).
fn awkward_values(mode: Option<&str>) -> Vec<&'static str> {
    let api_base = match mode {
        Some("staging") => "https://staging.example.com",
        _ => "https://api.example.com/$v1",
    };
    vec![
        api_base,
        "Shop 商城 'quoted' \"too\" #1",
        "line one\nline two",
        "%s $(cmd) ${ x",
        APPSECRET,
        PEM,
        "p$ss w0rd `x`",
    ]
}

/// The exported file as the dialect's own reader reads it (npm dotenv + dotenv-expand, npm
/// dotenv, python-dotenv), not mpvault: every stored value comes out as it was stored, so the
/// round trip's equality is not mpvault agreeing with itself.
fn read_by_the_real_reader(dialect: &str, text: &str, mode: Option<&str>) {
    if !interop::readers_ready("import round trip") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(".env");
    std::fs::write(&file, text).unwrap();
    let file = file.to_str().unwrap();
    let read: std::collections::BTreeMap<String, String> = match dialect {
        "expand" => interop::read_expand(text),
        "node" => serde_json::from_value(interop::node(&["read_node.js", "node", file])).unwrap(),
        "python" => serde_json::from_value(interop::python(&["file", file])).unwrap(),
        _ => unreachable!("{dialect}"),
    };
    for value in awkward_values(mode) {
        assert!(
            read.values().any(|v| v == value),
            "{dialect} {mode:?}: the real reader does not read {value:?} back: {read:#?}"
        );
    }
}

#[test]
fn export_import_export_gives_the_same_file() {
    let w = World::new();
    let alice = shop_with_awkward_values(&w);
    for (i, (dialect, preset, mode)) in [
        ("expand", "plain", None),
        ("expand", "taro", None),
        ("expand", "vue-cli", Some("staging")),
        ("node", "vite", None),
        ("python", "plain", Some("staging")),
    ]
    .into_iter()
    .enumerate()
    {
        let mut export = vec![
            "export",
            "shop",
            "--include-secrets",
            "--dialect",
            dialect,
            "--preset",
            preset,
        ];
        if let Some(mode) = mode {
            export.extend(["--mode", mode]);
        }
        let first = w.ok(&alice, &export);
        let file = write(&w, &format!("rt{i}.env"), &first);
        let vault = second_vault(&w, &alice);
        let mut import = vec![
            "--vault",
            vault.as_str(),
            "import",
            "shop",
            file.as_str(),
            "--dialect",
            dialect,
        ];
        if let Some(mode) = mode {
            import.extend(["--mode", mode]);
        }
        w.ok(&alice, &import);
        let mut again = vec!["--vault", vault.as_str()];
        again.extend(&export);
        let second = w.ok(&alice, &again);
        assert_eq!(
            first, second,
            "{dialect} {preset} {mode:?}: the round trip changed the file"
        );
        read_by_the_real_reader(dialect, &first, mode);
        std::fs::remove_dir_all(w.path("other")).unwrap();
    }
}

#[test]
fn a_mode_file_goes_into_that_mode() {
    let w = World::new();
    let alice = w.owner_with_app();
    w.ok(
        &alice,
        &["config", "set", "shop", "API_BASE=https://api.example.com"],
    );
    let file = write(
        &w,
        ".env.development",
        "VITE_API_BASE=http://localhost:3000\nVITE_DEBUG=1\n",
    );
    w.ok(&alice, &["import", "shop", &file, "--mode", "development"]);
    let dev = w.ok(
        &alice,
        &[
            "export",
            "shop",
            "--preset",
            "vite",
            "--mode",
            "development",
        ],
    );
    assert!(
        dev.contains("VITE_API_BASE=http://localhost:3000\n"),
        "{dev}"
    );
    assert!(dev.contains("VITE_DEBUG=1\n"), "{dev}");
    let base = w.ok(&alice, &["export", "shop", "--preset", "vite"]);
    assert!(
        base.contains("VITE_API_BASE=https://api.example.com\n"),
        "{base}"
    );
    assert!(!base.contains("DEBUG"), "{base}");
}

#[test]
fn a_tester_cannot_import_secrets() {
    let w = World::new();
    let alice = w.owner_with_app();
    let bob = w.person("bob");
    w.join(&alice, &bob, &["tester"]);
    let before = w.vault_text();
    let file = write(
        &w,
        ".env",
        &format!("API_BASE=x\nWECHAT_APPSECRET={APPSECRET}\n"),
    );
    // A tester writes no config either (issue 18: config steers builds).
    let (code, err) = w.fails(&bob, &["import", "shop", &file]);
    assert_eq!(code, exit::DENIED, "{err}");
    assert!(
        err.contains("bob cannot change the config of 'shop'"),
        "{err}"
    );
    assert_eq!(
        w.vault_text(),
        before,
        "a partly refused import stored something"
    );
    let file = write(&w, ".env", &format!("WECHAT_APPSECRET={APPSECRET}\n"));
    let (code, err) = w.fails(&bob, &["import", "shop", &file]);
    assert_eq!(code, exit::DENIED, "{err}");
    assert!(
        err.contains("bob cannot read developer-level values of 'shop'"),
        "{err}"
    );
    assert_eq!(w.vault_text(), before);
}
