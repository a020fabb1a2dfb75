//! Writes a generated vault for `bench/compare.sh`: `bench_vault DIR APPS MEMBERS`.
//! See `benches/support/mod.rs` for what it holds and where the members' identities go; the
//! owner's key also goes, protected with a passphrase, to `owner/c/mpvault/protected.txt`.

#[path = "../benches/support/mod.rs"]
mod support;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, dir, apps, members] = &args[..] else {
        eprintln!("usage: bench_vault DIR APPS MEMBERS");
        std::process::exit(2);
    };
    let (Ok(apps), Ok(members)) = (apps.parse(), members.parse()) else {
        eprintln!("bench_vault: APPS and MEMBERS are numbers");
        std::process::exit(2);
    };
    let dir = std::path::Path::new(dir);
    std::fs::create_dir_all(dir).expect("create the folder");
    let path = support::write_vault(dir, apps, members);
    support::protect_copy(dir, "owner");
    println!("{}", path.display());
}
