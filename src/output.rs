//! Writing to standard output: tables for people, JSON for programs. A closed pipe ends quietly.

use std::io::Write;

use serde::Serialize;

use crate::display::{escape_json, escape_lines};
use crate::error::{Error, Result};
use crate::table;

/// Writes bytes to standard output as they are.
pub fn write(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|e| Error::io("cannot write to standard output", e))
}

/// Writes a line of text for people; control characters are escaped.
pub fn line(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", escape_lines(text))
        .and_then(|()| out.flush())
        .map_err(|e| Error::io("cannot write to standard output", e))
}

/// A value as JSON, to print later (in one document with others).
pub fn to_json(value: &impl Serialize) -> Result<serde_json::Value> {
    serde_json::to_value(value)
        .map_err(|e| Error::io("cannot write JSON to standard output", e.into()))
}

/// Pretty JSON for programs, every object's keys in sorted order whatever the order of the
/// fields that made them; control characters inside strings are escaped.
pub fn json(value: &impl Serialize) -> Result<()> {
    let cannot = |e: serde_json::Error| Error::io("cannot write JSON to standard output", e.into());
    let sorted = to_json(value)?;
    let text = serde_json::to_string_pretty(&sorted).map_err(cannot)?;
    line(&escape_json(&text))
}

/// One row of a read command's output: the same value renders a table row for people and,
/// serialized, an element of the command's `--json` array.
pub trait Row<const N: usize>: Serialize {
    const HEADER: [&'static str; N];
    fn cells(&self) -> [String; N];
}

/// The rows as a table, or as a JSON array with `json`.
pub fn rows<const N: usize, R: Row<N>>(rows: &[R], json: bool) -> Result<()> {
    if json {
        self::json(&rows)
    } else {
        table(R::HEADER, rows.iter().map(Row::cells))
    }
}

/// A boxed table with a header; control characters in cells are escaped.
pub fn table<const N: usize>(
    header: [&str; N],
    rows: impl IntoIterator<Item = [String; N]>,
) -> Result<()> {
    let escaped = rows
        .into_iter()
        .map(|row| row.map(|cell| escape_lines(&cell).into_owned()));
    line(&table::grid(header, escaped))
}

/// A note for the person at the terminal, on standard error so it never mixes with data.
pub fn note(text: &str) {
    eprintln!("{}", escape_lines(text));
}
