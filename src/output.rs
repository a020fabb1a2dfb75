//! Writing to standard output: tables for people, JSON for programs. A closed pipe ends quietly.

use std::io::Write;

use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};

use crate::error::{Error, Result};

/// Writes bytes to standard output as they are.
pub fn write(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|e| Error::io("cannot write to standard output", e))
}

/// Writes a line of text.
pub fn line(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")
        .and_then(|()| out.flush())
        .map_err(|e| Error::io("cannot write to standard output", e))
}

pub fn json(value: &serde_json::Value) -> Result<()> {
    line(&serde_json::to_string_pretty(value).expect("JSON values always serialize"))
}

pub fn table<const N: usize>(
    header: [&str; N],
    rows: impl IntoIterator<Item = [String; N]>,
) -> Result<()> {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header);
    for row in rows {
        table.add_row(row);
    }
    line(&table.to_string())
}

/// A note for the person at the terminal, on standard error so it never mixes with data.
pub fn note(text: &str) {
    eprintln!("{text}");
}

/// Text from the vault file, with control characters escaped so it cannot move the cursor,
/// recolour the terminal or forge lines.
pub fn escape(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}
