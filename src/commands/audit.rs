//! `audit`: walks the vault's git history and verifies every committed state and change.

use super::Context;
use crate::error::Result;

pub fn run(_ctx: &Context, _since: Option<u64>, _json: bool) -> Result<i32> {
    Ok(0)
}
