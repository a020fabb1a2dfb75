//! Vault parsing and verification on arbitrary bytes: `Vault::parse` (bounds, JSON, the
//! model's rules), then what every command does next with a file it accepted: verify the
//! policy signature, judge it against a clone's memory (none, and its own), compute the
//! rotations due, count and unwrap each wrapped data key with a fixed identity, and
//! write it back. Nothing may panic, and what parses must write back to a file that parses
//! to the same vault.
#![no_main]

use std::str::FromStr;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use mpvault::vault::crypto::DataKey;
use mpvault::vault::{limits, policy, Vault};
use mpvault::wechat::Level;

fn identity() -> &'static age::x25519::Identity {
    static ID: OnceLock<age::x25519::Identity> = OnceLock::new();
    // bob of tests/vectors/format-2, so the seeds' keys really open.
    ID.get_or_init(|| {
        let text = include_str!("../../tests/vectors/format-2/bob.key");
        let line = text.lines().find(|l| l.starts_with("AGE-SECRET-KEY-")).unwrap();
        age::x25519::Identity::from_str(line).unwrap()
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(vault) = Vault::parse(data) else {
        return;
    };
    let _ = policy::verify(&vault);
    let _ = policy::Policy::of(&vault);
    // What a clone without memory (and with one, of this very file) makes of it.
    let _ = mpvault::trust::assess(&vault, None, None, "2026-01-01T00:00:00Z");
    let seen = mpvault::trust::pin_now(&vault, "2026-01-01T00:00:00Z");
    let _ = mpvault::trust::assess(&vault, Some(&seen), None, "2026-01-01T00:00:00Z");
    let _ = mpvault::vault::offboarding::rotations_due(&vault);
    for app in vault.apps.values() {
        for key in app.data_keys.values() {
            let Ok(age_file) = DataKey::decode(&key.wrapped) else {
                continue;
            };
            // As the keyring does: age reads only a header whose recipients were counted.
            if limits::recipients("app", Level::Team, key.readers.len(), &age_file).is_ok() {
                let _ = DataKey::unwrap(&age_file, identity());
            }
        }
    }
    let json = vault.to_json();
    let again = Vault::parse(json.as_bytes()).expect("a vault we write parses");
    assert_eq!(again, vault);
});
