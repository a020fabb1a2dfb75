//! Fixed vectors: the same small vault written by format 1 (no signed roster), format 2 (signed
//! roster) and format 3 (format 2 adopted by its owner: revisions, signed values), with its
//! members' identities. Every later version of mpvault must keep opening them and reading the
//! same values.

use crate::common;

use std::path::PathBuf;

use common::*;

const FORMATS: [u32; 3] = [1, 2, 3];

fn vectors_of(format: u32) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/vectors/format-{format}"))
}

/// The identities are the same in every format.
fn vectors() -> PathBuf {
    vectors_of(1)
}

/// Runs mpvault as one of the vector members on a copy of the vector vault.
fn as_member(w: &World, who: &str, args: &[&str]) -> std::process::Output {
    let person = w.stranger(who);
    w.cmd(&person)
        .arg("--vault")
        .arg(w.vault_path())
        .arg("--identity")
        .arg(vectors().join(format!("{who}.key")))
        .args(args)
        .output()
        .unwrap()
}

fn copy_vault(w: &World, format: u32) {
    std::fs::copy(vectors_of(format).join("mpvault.json"), w.vault_path()).unwrap();
}

fn read(w: &World, who: &str, args: &[&str]) -> Result<String, String> {
    let out = as_member(w, who, args);
    if out.status.success() {
        Ok(String::from_utf8(out.stdout).unwrap())
    } else {
        Err(String::from_utf8(out.stderr).unwrap())
    }
}

#[test]
fn every_format_opens_with_the_same_values() {
    for format in FORMATS {
        opens_with_the_same_values(format);
    }
}

fn opens_with_the_same_values(format: u32) {
    let w = World::new();
    copy_vault(&w, format);
    let pem = "-----BEGIN PRIVATE KEY-----\nMIIBVAIBADANBgkqhkiG9w0BAQEFAASCAT4wggE6AgEAAkEA\n-----END PRIVATE KEY-----\n";
    assert_eq!(
        read(&w, "alice", &["get", "shop", "WECHAT_APPSECRET"]).unwrap(),
        "fedcba9876543210fedcba9876543210"
    );
    assert_eq!(
        read(
            &w,
            "alice",
            &["get", "shop", "WECHAT_APPSECRET", "--previous", "1"]
        )
        .unwrap(),
        "0123456789abcdef0123456789abcdef"
    );
    assert_eq!(
        read(&w, "bob", &["get", "shop", "WECHAT_UPLOAD_KEY"]).unwrap(),
        pem
    );
    assert_eq!(
        read(&w, "alice", &["get", "shop", "WECHAT_PAY_API_V3_KEY"]).unwrap(),
        "PAYKEYpaykey0123456789PAYKEYpayk"
    );
    // Denied for the level, not for any other reason, with nothing on stdout.
    for (who, name, level) in [
        ("bob", "WECHAT_PAY_API_V3_KEY", "admin"),
        ("carol", "WECHAT_APPSECRET", "developer"),
    ] {
        let before = w.vault_text();
        let out = as_member(&w, who, &["get", "shop", name]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(exit::DENIED), "{who} {name}: {err}");
        assert!(
            err.contains(&format!("{who} cannot read {level}-level values of 'shop'")),
            "{who} {name}: {err}"
        );
        assert!(out.stdout.is_empty(), "{who} {name}");
        assert_eq!(w.vault_text(), before);
    }
    assert_eq!(
        read(&w, "carol", &["get", "shop", "API_BASE"]).unwrap(),
        "https://api.example.com/v1?a=1&b=$x"
    );

    let show: serde_json::Value =
        serde_json::from_str(&read(&w, "carol", &["app", "show", "shop", "--json"]).unwrap())
            .unwrap();
    assert_eq!(show["info"]["title"], "Shop 商城");
    assert_eq!(show["info"]["verified_until"], "2027-03-31");
    assert_eq!(show["info"]["icp"], "粤ICP备12345678号-1X");
    assert_eq!(show["contact"]["name"], "王小明");
    assert_eq!(show["contact"]["email"], "admin@example.com");

    let history: serde_json::Value = serde_json::from_str(
        &read(
            &w,
            "alice",
            &["history", "shop", "WECHAT_APPSECRET", "--json"],
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(history[0]["set_by"], "bob");
    assert_eq!(history[1]["set_by"], "alice");
}

#[test]
fn every_format_takes_new_writes() {
    for format in FORMATS {
        takes_new_writes(format);
    }
}

/// Older formats are read-only until an owner adopts them with `sign`; then they take writes.
fn takes_new_writes(format: u32) {
    let w = World::new();
    copy_vault(&w, format);
    let set = ["config", "set", "blog", "CDN=https://cdn.example.com"];
    if format < 3 {
        let before = w.vault_text();
        let out = as_member(&w, "alice", &set);
        assert_eq!(out.status.code(), Some(exit::DENIED));
        assert!(String::from_utf8_lossy(&out.stderr).contains("mpvault sign"));
        assert_eq!(w.vault_text(), before);
        let out = as_member(&w, "alice", &["sign", "--yes"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = as_member(&w, "alice", &set);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        read(&w, "alice", &["get", "blog", "CDN"]).unwrap(),
        "https://cdn.example.com"
    );
    assert_eq!(
        read(&w, "bob", &["get", "shop", "WECHAT_APPSECRET"]).unwrap(),
        "fedcba9876543210fedcba9876543210"
    );
    let written: serde_json::Value = serde_json::from_str(&w.vault_text()).unwrap();
    // Issue 20: adopting moves the encrypted verification expiry and ICP number to public
    // facts, which format 5 holds; a member's write to format 3 moves nothing.
    let expected = if format < 3 { 5 } else { 4 };
    assert_eq!(
        written["format"], expected,
        "every write is in the current format"
    );
}

/// A format-3 vault takes writes from any member, not only an owner: its first write makes it
/// format 4 and leaves every value it had as it was (its values carry no policy revision, and
/// their writers' times still order them).
#[test]
fn a_format_3_vault_is_written_as_format_4_by_any_member_with_its_values_untouched() {
    let w = World::new();
    copy_vault(&w, 3);
    let before: serde_json::Value = serde_json::from_str(&w.vault_text()).unwrap();
    let out = as_member(
        &w,
        "bob",
        &["config", "set", "shop", "CDN=https://cdn.example.com"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after: serde_json::Value = serde_json::from_str(&w.vault_text()).unwrap();
    assert_eq!(after["format"], 4);
    assert_eq!(
        after["signature"], before["signature"],
        "no owner was needed"
    );
    assert_eq!(
        after["apps"]["shop"]["secrets"],
        before["apps"]["shop"]["secrets"]
    );
    assert!(after["apps"]["shop"]["config"]["CDN"]["revision"].is_u64());
}

#[test]
fn a_ciphertext_moved_to_another_field_is_refused() {
    let w = World::new();
    let mut vault: serde_json::Value =
        serde_json::from_slice(&std::fs::read(vectors_of(2).join("mpvault.json")).unwrap())
            .unwrap();
    // Both secrets are developer-level, so only the bound path tells them apart.
    let secret = vault["apps"]["shop"]["secrets"]["WECHAT_APPSECRET"]["versions"][0].clone();
    vault["apps"]["shop"]["secrets"]["WECHAT_UPLOAD_KEY"]["versions"][0] = secret.clone();
    std::fs::write(
        w.vault_path(),
        serde_json::to_string_pretty(&vault).unwrap(),
    )
    .unwrap();
    let err = read(&w, "bob", &["get", "shop", "WECHAT_UPLOAD_KEY"]).unwrap_err();
    assert!(
        err.contains("does not belong there or was altered"),
        "{err}"
    );

    // Nor can its author be rewritten: who set a value is bound too.
    let mut vault: serde_json::Value =
        serde_json::from_slice(&std::fs::read(vectors_of(2).join("mpvault.json")).unwrap())
            .unwrap();
    vault["apps"]["shop"]["secrets"]["WECHAT_APPSECRET"]["versions"][0]["set_by"] = "carol".into();
    std::fs::write(
        w.vault_path(),
        serde_json::to_string_pretty(&vault).unwrap(),
    )
    .unwrap();
    let err = read(&w, "alice", &["get", "shop", "WECHAT_APPSECRET"]).unwrap_err();
    assert!(
        err.contains("does not belong there or was altered"),
        "{err}"
    );
}

/// docs/FORMAT.md is precise enough to recover values with age and a short script.
#[test]
fn the_documented_recovery_script_reads_the_vectors() {
    if interop::skipped("recovery script") {
        return;
    }
    for format in FORMATS {
        let values = interop::recover(
            &vectors_of(format).join("mpvault.json"),
            &vectors().join("bob.key"),
        );
        assert_eq!(
            values["shop"]["secrets/WECHAT_APPSECRET"],
            "fedcba9876543210fedcba9876543210"
        );
        assert_eq!(values["shop"]["contact/name"], "王小明");
        assert!(
            values["shop"]
                .get("secrets/WECHAT_PAY_API_V3_KEY")
                .is_none(),
            "bob reads no admin-level value"
        );
        assert_eq!(
            values["blog"],
            serde_json::json!({}),
            "bob is not on blog's roster"
        );
    }
}

/// Format 1 had no signed roster: members may read it, but nothing new is encrypted to it until
/// an owner adopts it with `sign`, which re-keys every level (so each gets a commitment) and
/// signs every value.
#[test]
fn a_format_1_vault_is_adopted_by_an_owners_sign() {
    let w = World::new();
    copy_vault(&w, 1);
    let out = as_member(&w, "bob", &["config", "set", "shop", "X=1"]);
    assert_eq!(out.status.code(), Some(exit::DENIED));
    assert!(String::from_utf8_lossy(&out.stderr).contains("adopt it with `mpvault sign`"));
    let out = as_member(&w, "bob", &["sign", "--yes"]);
    assert_eq!(out.status.code(), Some(exit::DENIED), "only owners sign");
    let out = as_member(&w, "alice", &["sign"]);
    assert_eq!(out.status.code(), Some(exit::USAGE), "asks before signing");

    let out = as_member(&w, "alice", &["sign", "--yes"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("adopt this format-1 vault"));
    let vault: serde_json::Value = serde_json::from_str(&w.vault_text()).unwrap();
    assert_eq!(vault["format"], 5, "adopted into the current format");
    assert!(
        vault["apps"]["shop"]["public"]["verified_until"].is_string(),
        "adoption makes the verification expiry public (issue 20)"
    );
    assert_eq!(vault["revision"], 1);
    assert_eq!(vault["signature"]["signer"], "alice");
    assert!(vault["members"]["alice"]["signing_key"]
        .as_str()
        .unwrap()
        .starts_with("ed25519:"));
    for app in ["shop", "blog"] {
        for (level, key) in vault["apps"][app]["keys"].as_object().unwrap() {
            assert!(
                key["commitment"].is_string(),
                "{app} {level} has a commitment"
            );
        }
    }
    let appsecret = &vault["apps"]["shop"]["secrets"]["WECHAT_APPSECRET"]["versions"];
    assert_eq!(appsecret[0]["version"], 2);
    assert_eq!(appsecret[0]["set_by"], "bob");
    assert_eq!(appsecret[0]["sealed_by"], "alice");
    assert!(appsecret[0]["sig"].is_string());

    let out = as_member(
        &w,
        "bob",
        &["add-secret", "shop", "BAAS_CLIENT_SECRET", "--stdin"],
    );
    assert_eq!(
        out.status.code(),
        Some(exit::USAGE),
        "empty stdin, but past the trust check: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        read(&w, "bob", &["get", "shop", "WECHAT_APPSECRET"]).unwrap(),
        "fedcba9876543210fedcba9876543210"
    );
}
