//! `age-plugin-mpvtest`: an age plugin for tests, standing in for age-plugin-yubikey and the
//! like without any hardware. Its recipients (`age1mpvtest1…`) and identities
//! (`AGE-PLUGIN-MPVTEST-1…`) carry an ordinary X25519 key pair, and it wraps file keys exactly
//! as age's X25519 recipients do, under its own stanza tag. It speaks the real plugin protocol
//! through the `age-plugin` crate, so mpvault talks to it as it would to a hardware plugin.
//!
//! `age-plugin-mpvtest --generate` prints a new identity file.

use std::collections::{HashMap, HashSet};
use std::io;
use std::str::FromStr;

use age::secrecy::ExposeSecret;
use age::{Identity as _, Recipient as _};
use age_core::format::{FileKey, Stanza};
use age_plugin::identity::{self, IdentityPluginV1};
use age_plugin::recipient::{self, RecipientPluginV1};
use age_plugin::{run_state_machine, Callbacks, PluginHandler};
use bech32::{FromBase32, ToBase32, Variant};

const TAG: &str = "mpvtest";
const X25519_TAG: &str = "X25519";

fn bytes_of(text: &str) -> [u8; 32] {
    let (_, data, _) = bech32::decode(text).expect("age writes valid Bech32");
    Vec::<u8>::from_base32(&data)
        .expect("valid base32")
        .try_into()
        .expect("32 bytes")
}

fn x25519_recipient(bytes: &[u8]) -> Option<age::x25519::Recipient> {
    let text = bech32::encode("age", bytes.to_base32(), Variant::Bech32).ok()?;
    age::x25519::Recipient::from_str(&text).ok()
}

fn x25519_identity(bytes: &[u8]) -> Option<age::x25519::Identity> {
    let text = bech32::encode("age-secret-key-", bytes.to_base32(), Variant::Bech32).ok()?;
    age::x25519::Identity::from_str(&text.to_uppercase()).ok()
}

struct Handler;

impl PluginHandler for Handler {
    type RecipientV1 = RecipientPlugin;
    type IdentityV1 = IdentityPlugin;

    fn recipient_v1(self) -> io::Result<RecipientPlugin> {
        Ok(RecipientPlugin(Vec::new()))
    }

    fn identity_v1(self) -> io::Result<IdentityPlugin> {
        Ok(IdentityPlugin(Vec::new()))
    }
}

struct RecipientPlugin(Vec<age::x25519::Recipient>);

impl RecipientPluginV1 for RecipientPlugin {
    fn add_recipient(
        &mut self,
        index: usize,
        _: &str,
        bytes: &[u8],
    ) -> Result<(), recipient::Error> {
        let r = x25519_recipient(bytes).ok_or(recipient::Error::Recipient {
            index,
            message: "not an mpvtest recipient".into(),
        })?;
        self.0.push(r);
        Ok(())
    }

    fn add_identity(&mut self, index: usize, _: &str, _: &[u8]) -> Result<(), recipient::Error> {
        Err(recipient::Error::Identity {
            index,
            message: "mpvtest encrypts to recipients only".into(),
        })
    }

    fn labels(&mut self) -> HashSet<String> {
        HashSet::new()
    }

    fn wrap_file_keys(
        &mut self,
        file_keys: Vec<FileKey>,
        _: impl Callbacks<recipient::Error>,
    ) -> io::Result<Result<Vec<Vec<Stanza>>, Vec<recipient::Error>>> {
        let mut out = Vec::new();
        for file_key in &file_keys {
            let mut stanzas = Vec::new();
            for r in &self.0 {
                let (wrapped, _) = r
                    .wrap_file_key(file_key)
                    .map_err(|e| io::Error::other(e.to_string()))?;
                stanzas.extend(wrapped.into_iter().map(|s| Stanza {
                    tag: TAG.into(),
                    args: s.args,
                    body: s.body,
                }));
            }
            out.push(stanzas);
        }
        Ok(Ok(out))
    }
}

struct IdentityPlugin(Vec<age::x25519::Identity>);

impl IdentityPluginV1 for IdentityPlugin {
    fn add_identity(&mut self, index: usize, _: &str, bytes: &[u8]) -> Result<(), identity::Error> {
        let i = x25519_identity(bytes).ok_or(identity::Error::Identity {
            index,
            message: "not an mpvtest identity".into(),
        })?;
        self.0.push(i);
        Ok(())
    }

    fn unwrap_file_keys(
        &mut self,
        files: Vec<Vec<Stanza>>,
        _: impl Callbacks<identity::Error>,
    ) -> io::Result<HashMap<usize, Result<FileKey, Vec<identity::Error>>>> {
        let mut out = HashMap::new();
        for (file, stanzas) in files.iter().enumerate() {
            let key = stanzas.iter().filter(|s| s.tag == TAG).find_map(|s| {
                let native = Stanza {
                    tag: X25519_TAG.into(),
                    args: s.args.clone(),
                    body: s.body.clone(),
                };
                self.0.iter().find_map(|i| i.unwrap_stanza(&native)?.ok())
            });
            if let Some(key) = key {
                out.insert(file, Ok(key));
            }
        }
        Ok(out)
    }
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(machine) = args.iter().find_map(|a| a.strip_prefix("--age-plugin=")) {
        return run_state_machine(machine, Handler);
    }
    if args.iter().any(|a| a == "--generate") {
        let identity = age::x25519::Identity::generate();
        let secret = bytes_of(identity.to_string().expose_secret());
        let public = bytes_of(&identity.to_public().to_string());
        let recipient = bech32::encode(&format!("age1{TAG}"), public.to_base32(), Variant::Bech32)
            .map_err(io::Error::other)?;
        let plugin_identity = bech32::encode(
            &format!("age-plugin-{TAG}-"),
            secret.to_base32(),
            Variant::Bech32,
        )
        .map_err(io::Error::other)?
        .to_uppercase();
        println!("#    Recipient: {recipient}\n{plugin_identity}");
        return Ok(());
    }
    Err(io::Error::other("run with --generate, or let age start it"))
}
