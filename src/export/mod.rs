//! Env-file writers (interim: conservative quoting until the dialect writers land).

use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

pub struct Entry {
    pub name: String,
    pub value: SecretString,
    pub secret: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Expand,
    Node,
    Python,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Dotenv(Dialect),
    Shell,
    Json,
    Github,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("'{0}' is not a valid environment variable name")]
    InvalidName(String),
    #[error(
        "{key} cannot be written losslessly in this format; use --format shell or --format json"
    )]
    Unrepresentable { key: String },
}

impl ExportError {
    pub fn hint(&self) -> Option<String> {
        None
    }
}

pub fn validate_name(name: &str) -> Result<(), ExportError> {
    let mut chars = name.chars();
    let ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(ExportError::InvalidName(name.to_string()))
    }
}

pub fn render(format: Format, entries: &[Entry]) -> Result<Zeroizing<String>, ExportError> {
    let mut out = Zeroizing::new(String::new());
    for e in entries {
        let v = e.value.expose_secret();
        match format {
            Format::Shell => out.push_str(&format!(
                "export {}='{}'\n",
                e.name,
                v.replace('\'', "'\\''")
            )),
            Format::Dotenv(_) => {
                if v.contains(['\'', '$', '\\', '\r', '\0']) {
                    return Err(ExportError::Unrepresentable {
                        key: e.name.clone(),
                    });
                }
                out.push_str(&format!("{}='{}'\n", e.name, v));
            }
            Format::Json | Format::Github => {
                return Err(ExportError::Unrepresentable {
                    key: e.name.clone(),
                })
            }
        }
    }
    Ok(out)
}

pub fn github_masks(_entries: &[Entry]) -> String {
    String::new()
}
