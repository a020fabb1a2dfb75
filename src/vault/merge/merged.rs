//! What a merge on structure produces and hands to the keyed steps after it: the merged
//! vault, its conflicts, and the work left for someone who can read (values to re-seal,
//! rotations to renumber, keys to re-wrap, contested values). Kept apart from the steps so
//! each of them depends on these types and none on another's internals.

use std::collections::{BTreeMap, BTreeSet};

use crate::vault::model::{Field, Sealed, Vault};
use crate::wechat::Level;

/// Which copy a value or key came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Ours,
    Theirs,
}

/// The two copies being merged, to look a value up on the side it came from.
#[derive(Clone, Copy)]
pub struct Sides<'v> {
    pub ours: &'v Vault,
    pub theirs: &'v Vault,
}

impl Sides<'_> {
    pub fn get(&self, side: Side) -> &Vault {
        match side {
            Side::Ours => self.ours,
            Side::Theirs => self.theirs,
        }
    }
}

/// A value that must be re-encrypted under the data key the merged vault keeps for its level.
#[derive(Clone, Debug, PartialEq)]
pub struct Reseal {
    pub app: String,
    pub level: Level,
    pub field: Field,
    /// The version's index in the merged secret's history (0 for other values).
    pub index: usize,
    /// The copy whose data key opens it now.
    pub from: Side,
}

/// An info, contact or config value both sides set: the merge keeps ours for now, and it is a
/// conflict unless someone who reads both finds they hold the same value.
#[derive(Clone, Debug, PartialEq)]
pub struct Contested {
    pub app: String,
    pub field: Field,
    pub theirs: Sealed,
}

impl Contested {
    pub fn path(&self) -> String {
        format!("apps/{}/{}", self.app, self.field.path())
    }
}

/// Why a merge stops: the places that conflict, one reason for all of them if there is one,
/// and whether the way out is an owner merging rather than redoing a change.
pub struct Stop {
    pub paths: Vec<String>,
    pub why: Option<&'static str>,
    pub needs_owner: bool,
}

/// What the merge produced. `vault` keeps neither side's signature: the caller settles it.
#[derive(Debug)]
pub struct Merged {
    pub vault: Vault,
    /// Each conflicting path, with why.
    pub conflicts: Vec<String>,
    pub reseal: Vec<Reseal>,
    /// Secrets whose later rotation carries a lower number than another kept version: it must
    /// be re-sealed as the next number to stay current (`app`, `NAME`).
    pub renumber: Vec<(String, String)>,
    /// Apps whose data keys must be re-wrapped (or replaced) to the merged readers.
    pub rewrap: BTreeSet<String>,
    /// Everyone each kept data key was ever wrapped to, on either side, by (app, level).
    pub exposed: BTreeMap<(String, Level), BTreeSet<String>>,
    /// Values set on both sides, to compare or to report as conflicts.
    pub contested: Vec<Contested>,
}
