//! In-process cost of the steps every command is made of, on generated vaults of 10, 100 and
//! 1000 apps (5 secrets each; 20, 20 and 200 members): parse (whole, and as read commands
//! scope it: one app, the policy alone, the app list), the trust check (first and later),
//! opening one app's level, exporting one app, and the three kinds of write (rotate a secret,
//! grant a role, remove a member), each up to the serialized file a write produces.
//!
//!     cargo bench --bench vault                 all of them (about two minutes)
//!     cargo bench --bench vault -- parse        one step, every size
//!
//! Whole processes against `rage -d` are `bench/compare.sh`'s; these say which step a change
//! moved. Vaults are built through the library (`benches/support`), once per size.

mod support;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use divan::Bencher;
use mpvault::export::{self, Entry, Format};
use mpvault::identity;
use mpvault::key::Identity;
use mpvault::trust::{self, Seen};
use mpvault::vault::guard::Guard;
use mpvault::vault::{offboarding, policy, DepartureKind, Field, Keyring, Scope, Vault};
use mpvault::wechat::{Level, Role};

fn main() {
    divan::main();
}

/// Apps per vault; members are 20, or 200 for the largest.
const SIZES: [usize; 3] = [10, 100, 1000];
const NOW: &str = "2030-01-01T00:00:00Z";

struct Fixture {
    _dir: tempfile::TempDir,
    bytes: Vec<u8>,
    vault: Vault,
    owner: Identity,
    /// The owner's trust memory of the vault, as a command finds it.
    seen: Seen,
    /// That memory once a command has verified the policy's signature.
    verified: Seen,
    /// The middle app, and its developer.
    app: String,
    developer: String,
}

impl Fixture {
    fn new(apps: usize) -> Self {
        let members = if apps >= 1000 { 200 } else { 20 };
        let dir = tempfile::tempdir().unwrap();
        let vault = support::build_vault(dir.path(), apps, members);
        let owner = identity::resolve(Some(&support::identity_path(dir.path(), "owner"))).unwrap();
        let mid = apps.div_ceil(2);
        let seen = trust::pin_now(&vault, NOW);
        let verified = trust::assess(&vault, Some(&seen), None, NOW)
            .unwrap()
            .remember
            .expect("a first verification is remembered");
        Fixture {
            bytes: vault.to_json().into_bytes(),
            seen,
            verified,
            vault,
            owner,
            app: format!("app{mid}"),
            developer: format!("m{}", mid % (members - 1) + 1),
            _dir: dir,
        }
    }

    fn guard(&self) -> Guard {
        trust::guard_of(&self.seen)
    }

    fn keyring(&self) -> Keyring<'_> {
        Keyring::open(&self.vault, &self.owner, self.guard()).unwrap()
    }
}

thread_local! {
    static FIXTURES: RefCell<BTreeMap<usize, Rc<Fixture>>> = RefCell::default();
}

/// The vault of `apps` apps, built on first use.
fn fixture(apps: usize) -> Rc<Fixture> {
    FIXTURES.with(|f| {
        f.borrow_mut()
            .entry(apps)
            .or_insert_with(|| Rc::new(Fixture::new(apps)))
            .clone()
    })
}

/// Reading the file: bounds on the raw bytes, parsing into the model, structural checks.
#[divan::bench(args = SIZES, max_time = 3)]
fn parse(b: Bencher, apps: usize) {
    let f = fixture(apps);
    b.bench_local(|| Vault::parse(&f.bytes).unwrap());
}

/// `parse` for a command that reads one app (`get`, `export`, `roster`, `history`, …): every
/// app's policy, that app's values.
#[divan::bench(args = SIZES, max_time = 3)]
fn parse_app(b: Bencher, apps: usize) {
    let f = fixture(apps);
    let scope = Scope::app(&f.app);
    b.bench_local(|| Vault::parse_scoped(&f.bytes, &scope).unwrap());
}

/// `parse` for a command that reads no app's values (`member list`, `policy`).
#[divan::bench(args = SIZES, max_time = 3)]
fn parse_policy(b: Bencher, apps: usize) {
    let f = fixture(apps);
    b.bench_local(|| Vault::parse_scoped(&f.bytes, &Scope::POLICY).unwrap());
}

/// `parse` for `app list`: every app's info, and its secrets without their ciphertexts.
#[divan::bench(args = SIZES, max_time = 3)]
fn parse_listing(b: Bencher, apps: usize) {
    let f = fixture(apps);
    b.bench_local(|| Vault::parse_scoped(&f.bytes, &Scope::Listing).unwrap());
}

/// The trust check of every command: the policy's signature, the remembered owners and the
/// secrets' versions. A first sight: the owner's signature is verified.
#[divan::bench(args = SIZES, max_time = 3)]
fn verify(b: Bencher, apps: usize) {
    let f = fixture(apps);
    b.bench_local(|| trust::assess(&f.vault, Some(&f.seen), None, NOW).unwrap());
}

/// `verify` as every later command meets it: the signature this clone verified before is
/// recognised by a hash of the policy.
#[divan::bench(args = SIZES, max_time = 3)]
fn verify_again(b: Bencher, apps: usize) {
    let f = fixture(apps);
    b.bench_local(|| trust::assess(&f.vault, Some(&f.verified), None, NOW).unwrap());
}

/// `verify_again` of a vault read for one app (`parse_app`): only its secrets are checked.
#[divan::bench(args = SIZES, max_time = 3)]
fn verify_app(b: Bencher, apps: usize) {
    let f = fixture(apps);
    let vault = Vault::parse_scoped(&f.bytes, &Scope::app(&f.app)).unwrap();
    b.bench_local(|| trust::assess(&vault, Some(&f.verified), None, NOW).unwrap());
}

/// Unwrapping one app's admin data key (age X25519) and checking its commitment.
#[divan::bench(args = SIZES, max_time = 3)]
fn open_level(b: Bencher, apps: usize) {
    let f = fixture(apps);
    b.bench_local(|| {
        let mut keys = f.keyring();
        keys.unlock(&f.vault, &f.app, Level::Admin).unwrap();
        keys
    });
}

/// Every config value and secret of one app, decrypted and rendered as JSON.
#[divan::bench(args = SIZES, max_time = 3)]
fn export_app(b: Bencher, apps: usize) {
    let f = fixture(apps);
    let app = f.vault.app(&f.app).unwrap();
    let fields: Vec<(String, Field)> = app
        .config
        .keys()
        .map(|n| (n.clone(), Field::Config(n.clone())))
        .chain(
            app.secrets
                .keys()
                .map(|n| (n.clone(), Field::Secret(n.clone()))),
        )
        .collect();
    b.bench_local(|| {
        let mut keys = f.keyring();
        let entries: Vec<Entry> = fields
            .iter()
            .map(|(name, field)| {
                let value = keys.read(&f.vault, &f.app, field, 0).unwrap().unwrap();
                Entry::new(name, value.as_str(), matches!(field, Field::Secret(_)))
            })
            .collect();
        export::render(Format::Json, &entries).unwrap()
    });
}

/// A write's work after the file is read and trusted: the change, then the file to write.
fn write(b: Bencher, apps: usize, change: impl Fn(&Fixture, &mut Vault, &mut Keyring)) {
    let f = fixture(apps);
    b.with_inputs(|| f.vault.clone())
        .bench_local_values(|mut vault| {
            let mut keys = f.keyring();
            change(&f, &mut vault, &mut keys);
            vault.to_json()
        });
}

/// A new value for one secret of one app: sealed, signed, and the older versions checked.
#[divan::bench(args = SIZES, max_time = 3)]
fn rotate_secret(b: Bencher, apps: usize) {
    write(b, apps, |f, vault, keys| {
        let level = vault.app(&f.app).unwrap().secrets["SECRET_1"].access;
        keys.set_secret(vault, &f.app, "SECRET_1", level, "a new value", NOW)
            .unwrap();
    });
}

/// `role grant DEV APP tester`: the roster, the data keys whose readers change, the departure
/// record and the policy's signature.
#[divan::bench(args = SIZES, max_time = 3)]
fn grant_role(b: Bencher, apps: usize) {
    write(b, apps, |f, vault, keys| {
        let roster = &mut vault.app_mut(&f.app).unwrap().roster;
        roster
            .entry(f.developer.clone())
            .or_default()
            .push(Role::Tester);
        keys.sync_readers(vault, &f.app, false).unwrap();
        sign(f, vault, keys);
    });
}

/// `member remove m1`: every key m1 could read replaced and its values re-sealed, the
/// departure recorded, the policy signed.
#[divan::bench(args = SIZES, max_time = 3, sample_count = 10)]
fn remove_member(b: Bencher, apps: usize) {
    write(b, apps, |f, vault, keys| {
        let before = offboarding::readable(vault, "m1");
        let key = vault.members.remove("m1").unwrap().key;
        let names: Vec<String> = vault.apps.keys().cloned().collect();
        for app in &names {
            vault.app_mut(app).unwrap().roster.remove("m1");
            keys.sync_readers(vault, app, false).unwrap();
        }
        let by = keys.actor.clone();
        offboarding::record(vault, "m1", &key, DepartureKind::Removed, &before, &by, NOW);
        sign(f, vault, keys);
    });
}

fn sign(f: &Fixture, vault: &mut Vault, keys: &Keyring) {
    vault.revision += 1;
    policy::sign(vault, &keys.actor, f.owner.signing.as_ref().unwrap()).unwrap();
}
