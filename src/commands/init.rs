//! `init`: a new vault with the user as its first owner.

use std::path::PathBuf;

use super::{check_name, now, Context};
use crate::cli::InitArgs;
use crate::error::{Error, Result};
use crate::trust::{self, Memory};
use crate::vault::crypto::random_id;
use crate::vault::policy;
use crate::vault::{Member, Vault};
use crate::{output, store};

pub fn run(ctx: &Context, InitArgs { owner }: InitArgs) -> Result<()> {
    let handle = match owner {
        Some(h) => h,
        None => default_handle()?,
    };
    check_name("member", &handle)?;
    let identity = ctx.identity()?;
    identity.require_writer()?;
    let Some(signing) = &identity.signing else {
        return Err(Error::denied(
            "an SSH identity cannot sign the vault's roster, which owners must do",
            "create an mpvault identity with `mpvault identity new` and use it",
        ));
    };
    let path = ctx
        .vault_flag
        .clone()
        .unwrap_or_else(|| PathBuf::from(store::FILE_NAME));
    let now = now();
    let mut vault = Vault::new(random_id()?, now.clone());
    vault.revision = 1;
    let member = Member {
        key: identity.public.clone(),
        signing_key: Some(crate::key::encode_signing_key(&signing.verifying_key())),
        owner: true,
        service: false,
        added_by: handle.clone(),
        added_at: now.clone(),
    };
    vault.members.insert(handle.clone(), member);
    policy::sign(&mut vault, &handle, signing)?;
    store::create(&path, &vault)?;
    Memory::load()?.remember(&trust::location(&path), trust::pin_now(&vault, &now))?;
    output::note(&format!(
        "Created {} with {handle} as its owner.",
        path.display()
    ));
    output::note("Next: `mpvault app add NAME --appid wx…`, then commit the file.");
    Ok(())
}

fn default_handle() -> Result<String> {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_default();
    let handle = user.to_lowercase();
    if crate::vault::model::is_name(&handle) {
        Ok(handle)
    } else {
        Err(Error::invalid(
            "cannot make a member handle from your user name",
            "pass --owner HANDLE",
        ))
    }
}
