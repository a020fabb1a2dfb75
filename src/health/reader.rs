//! Reading an app's team-level values for the health check. A value that does not open is a
//! broken finding rather than an error, so one damaged value never hides the rest of `status`.

use super::{Finding, Known};
use crate::error::Error;
use crate::vault::{Field, Keyring, Vault};
use crate::wechat::Level;

/// What the app records at its team level, as this reader can see it.
pub(super) struct Facts {
    pub verification: Known<String>,
    pub icp: Known<String>,
    pub admin_contact: Known<bool>,
}

/// Reads the facts `status` judges, then opens every other value this reader may read; a
/// damaged one is added to `problems`.
pub(super) fn read_facts(
    vault: &Vault,
    keyring: Option<&mut Keyring>,
    app: &str,
    problems: &mut Vec<Finding>,
) -> Facts {
    let mut reader = Reader::new(vault, keyring, app, problems);
    let facts = Facts {
        verification: reader.info("verified_until"),
        icp: reader.info("icp"),
        admin_contact: reader.has_contact(),
    };
    reader.check_integrity();
    facts
}

/// Reads team-level values for the health check, turning a damaged value into a finding.
struct Reader<'r, 'k, 'v> {
    vault: &'v Vault,
    keyring: Option<&'r mut Keyring<'k>>,
    app: &'v str,
    problems: &'r mut Vec<Finding>,
}

impl<'r, 'k, 'v> Reader<'r, 'k, 'v> {
    fn new(
        vault: &'v Vault,
        keyring: Option<&'r mut Keyring<'k>>,
        app: &'v str,
        problems: &'r mut Vec<Finding>,
    ) -> Self {
        let keyring = keyring.filter(|k| k.can_read(vault, app, Level::Team));
        Reader {
            vault,
            keyring,
            app,
            problems,
        }
    }

    fn read(&mut self, field: &Field) -> Known<String> {
        let Some(keyring) = self.keyring.as_deref_mut() else {
            return Known::Unknown;
        };
        match keyring.read(self.vault, self.app, field, 0) {
            Ok(Some(v)) if !v.trim().is_empty() => Known::Set(v.to_string()),
            Ok(_) => Known::Missing,
            Err(e) => {
                self.problems.extend(damaged(&e));
                Known::Unknown
            }
        }
    }

    /// A public fact (format 5) as the file shows it, else the encrypted one an earlier
    /// vault kept, which only a team-level reader can judge.
    fn info(&mut self, field: &str) -> Known<String> {
        let public = self
            .vault
            .app(self.app)
            .ok()
            .and_then(|a| a.public.get(field));
        if let Some(value) = public {
            return Known::Set(value.clone());
        }
        let stored = self
            .vault
            .app(self.app)
            .is_ok_and(|a| a.info.contains_key(field));
        if !stored {
            return Known::Missing;
        }
        self.read(&Field::Info(field.to_string()))
    }

    /// Whether any way to reach the administrator is recorded.
    fn has_contact(&mut self) -> Known<bool> {
        // Which contact fields are set shows without a key: a runner without one judges that.
        if self.keyring.is_none() {
            let app = self.vault.app(self.app).ok();
            let set = app.is_some_and(|a| {
                ["wechat", "phone", "email"]
                    .iter()
                    .any(|f| a.contact.contains_key(*f))
            });
            return Known::Set(set);
        }
        let mut any = Known::Set(false);
        for field in ["wechat", "phone", "email"] {
            match self.read(&Field::Contact(field.to_string())) {
                Known::Set(_) => any = Known::Set(true),
                Known::Unknown => return Known::Unknown,
                Known::Missing => {}
            }
        }
        any
    }

    /// Opens every other value this reader may read, so a damaged one is named here rather
    /// than in the middle of a build.
    fn check_integrity(&mut self) {
        let Some(keyring) = self.keyring.as_deref_mut() else {
            return;
        };
        let Ok(app) = self.vault.app(self.app) else {
            return;
        };
        let fields: Vec<Field> = app
            .info
            .keys()
            .filter(|k| !matches!(k.as_str(), "verified_until" | "icp"))
            .map(|k| Field::Info(k.clone()))
            .chain(
                app.contact
                    .keys()
                    .filter(|k| k.as_str() == "name")
                    .map(|k| Field::Contact(k.clone())),
            )
            .chain(app.config.keys().map(|k| Field::Config(k.clone())))
            .chain(app.build.keys().map(|k| Field::Build(k.clone())))
            .collect();
        let mut checks: Vec<(Field, usize)> = fields.into_iter().map(|f| (f, 0)).collect();
        // Every version: a line merge can break a secret's history as well as its current value.
        for (name, secret) in &app.secrets {
            if keyring.can_read(self.vault, self.app, secret.access) {
                checks.extend((0..secret.versions.len()).map(|v| (Field::Secret(name.clone()), v)));
            }
        }
        for (field, version) in checks {
            if let Err(e) = keyring.read(self.vault, self.app, &field, version) {
                self.problems.extend(damaged(&e));
            }
        }
    }
}

/// A value that does not open is broken; a key that is not ours is a gap `key_gaps` names.
fn damaged(error: &Error) -> Option<Finding> {
    matches!(error, Error::Corrupt { .. }).then(|| {
        Finding::broken(
            error.to_string(),
            error
                .hint()
                .unwrap_or_else(|| "restore mpvault.json from git".into()),
        )
    })
}
