//! Generated vaults for the benchmarks: the same vault `mpvault` would build one command at a
//! time (`init`, `member add`, `app add`, `role grant`, `add-secret`), made in one pass through
//! the library so a 1000-app vault takes seconds rather than a quarter of an hour.
//!
//! Layout of `dir`: `mpvault.json`, and one home per member (`owner`, `m1`, …) with its
//! identity at `<home>/c/mpvault/identity.txt`, so `HOME=<home> XDG_CONFIG_HOME=<home>/c`
//! makes the binary act as that member.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use mpvault::identity;
use mpvault::key::Identity;
use mpvault::trust;
use mpvault::vault::crypto::random_id;
use mpvault::vault::guard::Guard;
use mpvault::vault::{policy, App, Keyring, Member, Vault};
use mpvault::wechat::{self, Role};

/// Secrets per app: the AppSecret and four more.
pub const SECRETS: usize = 5;

/// The home folder of member `who` in a generated vault.
pub fn home(dir: &Path, who: &str) -> PathBuf {
    dir.join(who)
}

/// The identity file of member `who`.
pub fn identity_path(dir: &Path, who: &str) -> PathBuf {
    home(dir, who)
        .join("c")
        .join("mpvault")
        .join("identity.txt")
}

/// The passphrase of the protected copies `protect_copy` writes.
pub const PASSPHRASE: &str = "bench passphrase";

/// Writes `protected.txt` beside member `who`'s identity: the same key, protected with
/// PASSPHRASE as `identity new --passphrase` would (its public line in the clear, the key
/// armored and scrypt-encrypted), so the benchmarks can time a careful owner.
pub fn protect_copy(dir: &Path, who: &str) -> PathBuf {
    use std::io::Write;
    let plain = std::fs::read_to_string(identity_path(dir, who)).unwrap();
    let public = plain
        .lines()
        .find(|l| l.starts_with("# public key: "))
        .expect("a generated identity has a public line");
    let mut armored = Vec::new();
    let armor =
        age::armor::ArmoredWriter::wrap_output(&mut armored, age::armor::Format::AsciiArmor)
            .unwrap();
    let mut writer = age::Encryptor::with_user_passphrase(PASSPHRASE.into())
        .wrap_output(armor)
        .unwrap();
    writer.write_all(plain.as_bytes()).unwrap();
    writer.finish().unwrap().finish().unwrap();
    let path = identity_path(dir, who).with_file_name("protected.txt");
    let text = format!(
        "# mpvault identity, protected with a passphrase\n{public}\n{}",
        String::from_utf8(armored).unwrap()
    );
    std::fs::write(&path, text).unwrap();
    #[cfg(unix)]
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    path
}

fn new_identity(dir: &Path, who: &str, now: &str) -> Identity {
    let path = identity_path(dir, who);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    identity::generate(&path, false, false, now).unwrap();
    identity::resolve(Some(&path)).unwrap()
}

fn member(identity: &Identity, owner: bool, now: &str) -> Member {
    Member {
        key: identity.public.clone(),
        signing_key: identity
            .signing
            .as_ref()
            .map(|s| mpvault::key::encode_signing_key(&s.verifying_key())),
        owner,
        service: false,
        added_by: "owner".into(),
        added_at: now.into(),
    }
}

/// Builds a vault of `apps` apps (each with `SECRETS` secrets and one developer) and `members`
/// members (the owner and `m1`…), signed by the owner, in memory.
pub fn build_vault(dir: &Path, apps: usize, members: usize) -> Vault {
    let now = mpvault::commands::now();
    let owner = new_identity(dir, "owner", &now);
    let mut vault = Vault::new(random_id().unwrap(), now.clone());
    vault
        .members
        .insert("owner".into(), member(&owner, true, &now));
    for m in 1..members {
        let who = format!("m{m}");
        let identity = new_identity(dir, &who, &now);
        vault.members.insert(who, member(&identity, false, &now));
    }
    let mut keys = Keyring::open(&vault, &owner, Guard::default()).unwrap();
    for a in 1..=apps {
        let name = format!("app{a}");
        vault
            .apps
            .insert(name.clone(), App::new(format!("wx{a:016x}"), now.clone()));
        if members > 1 {
            let developer = format!("m{}", (a % (members - 1)) + 1);
            vault
                .app_mut(&name)
                .unwrap()
                .roster
                .insert(developer, vec![Role::Developer]);
        }
        keys.create_app_keys(&mut vault, &name).unwrap();
        let appsecret = format!("{a:032x}");
        set(
            &mut keys,
            &mut vault,
            &name,
            wechat::APPSECRET,
            &appsecret,
            &now,
        );
        for s in 1..SECRETS {
            let value = format!("value-{a}-{s}");
            set(
                &mut keys,
                &mut vault,
                &name,
                &format!("SECRET_{s}"),
                &value,
                &now,
            );
        }
    }
    trust::record_floors(&mut vault, &Guard::default());
    vault.revision = 1;
    policy::sign(&mut vault, "owner", owner.signing.as_ref().unwrap()).unwrap();
    vault
}

fn set(keys: &mut Keyring, vault: &mut Vault, app: &str, name: &str, value: &str, now: &str) {
    let level = wechat::secret_kind(name).level;
    keys.set_secret(vault, app, name, level, value, now)
        .unwrap();
}

/// Builds the vault and writes it to `dir/mpvault.json`; returns its path.
pub fn write_vault(dir: &Path, apps: usize, members: usize) -> PathBuf {
    let vault = build_vault(dir, apps, members);
    let path = dir.join(mpvault::store::FILE_NAME);
    mpvault::store::create(&path, &vault).unwrap();
    path
}
