//! A plain table that fits a width by abbreviating, then dropping, columns: a token such as an
//! AppID is never split across lines.

use unicode_width::UnicodeWidthStr;

const GAP: usize = 2;

/// Terminal colours for a cell; only used when colour is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Color {
    Red,
    Yellow,
    Green,
}

impl Color {
    pub fn paint(self, text: &str) -> String {
        let code = match self {
            Color::Red => "31",
            Color::Yellow => "33",
            Color::Green => "32",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }
}

#[derive(Clone, Debug)]
pub struct Cell {
    pub full: String,
    pub short: String,
    pub color: Option<Color>,
}

impl Cell {
    pub fn new(full: impl Into<String>, short: impl Into<String>) -> Self {
        Cell {
            full: full.into(),
            short: short.into(),
            color: None,
        }
    }
    pub fn same(text: impl Into<String>) -> Self {
        let text = text.into();
        Cell::new(text.clone(), text)
    }
    #[must_use]
    pub fn colored(mut self, color: Option<Color>) -> Self {
        self.color = color;
        self
    }
}

#[derive(Clone, Debug)]
pub struct Column {
    pub header: &'static str,
    pub short_header: &'static str,
    pub cells: Vec<Cell>,
    /// Columns are abbreviated in this order (lowest first) when the table is too wide.
    pub shorten_rank: u8,
    /// Then dropped in this order; `None` is never dropped.
    pub drop_rank: Option<u8>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Full,
    Short,
    Dropped,
}

/// How the table was laid out, so the caller can explain abbreviations.
#[derive(Debug, Default)]
pub struct Layout {
    pub abbreviated: Vec<&'static str>,
    pub dropped: Vec<&'static str>,
}

fn column_width(col: &Column, mode: Mode) -> usize {
    let (header, cells): (&str, Box<dyn Iterator<Item = &String>>) = match mode {
        Mode::Full => (col.header, Box::new(col.cells.iter().map(|c| &c.full))),
        Mode::Short => (
            col.short_header,
            Box::new(col.cells.iter().map(|c| &c.short)),
        ),
        Mode::Dropped => return 0,
    };
    cells
        .map(|c| c.width())
        .chain([header.width()])
        .max()
        .unwrap_or(0)
}

fn total_width(cols: &[Column], modes: &[Mode]) -> usize {
    let shown: Vec<usize> = cols
        .iter()
        .zip(modes)
        .filter(|(_, m)| **m != Mode::Dropped)
        .map(|(c, m)| column_width(c, *m))
        .collect();
    shown.iter().sum::<usize>() + GAP * shown.len().saturating_sub(1)
}

/// Chooses, for each column, full, short or dropped: the fullest table within `width`.
fn fit(cols: &[Column], width: usize) -> Vec<Mode> {
    let mut modes = vec![Mode::Full; cols.len()];
    // Columns of one rank are abbreviated together, so alike columns read alike.
    let mut ranks: Vec<u8> = cols.iter().map(|c| c.shorten_rank).collect();
    ranks.sort_unstable();
    ranks.dedup();
    for rank in ranks {
        if total_width(cols, &modes) <= width {
            return modes;
        }
        for (i, c) in cols.iter().enumerate() {
            if c.shorten_rank == rank {
                modes[i] = Mode::Short;
            }
        }
    }
    let mut by_drop: Vec<usize> = (0..cols.len())
        .filter(|i| cols[*i].drop_rank.is_some())
        .collect();
    by_drop.sort_by_key(|i| cols[*i].drop_rank);
    for i in by_drop {
        if total_width(cols, &modes) <= width {
            break;
        }
        modes[i] = Mode::Dropped;
    }
    modes
}

/// Renders the table within `width` columns where it can; colour only when `color`.
pub fn render(cols: &[Column], width: usize, color: bool) -> (String, Layout) {
    let modes = fit(cols, width);
    let mut layout = Layout::default();
    for (c, m) in cols.iter().zip(&modes) {
        match m {
            Mode::Short if c.cells.iter().any(|cell| cell.short != cell.full) => {
                layout.abbreviated.push(c.header);
            }
            Mode::Dropped => layout.dropped.push(c.header),
            _ => {}
        }
    }
    let shown: Vec<(&Column, Mode, usize)> = cols
        .iter()
        .zip(&modes)
        .filter(|(_, m)| **m != Mode::Dropped)
        .map(|(c, m)| (c, *m, column_width(c, *m)))
        .collect();
    let rows = cols.first().map_or(0, |c| c.cells.len());
    let mut out = String::new();
    let header: Vec<(String, Option<Color>)> = shown
        .iter()
        .map(|(c, m, _)| {
            let h = if *m == Mode::Full {
                c.header
            } else {
                c.short_header
            };
            (h.to_string(), None)
        })
        .collect();
    push_line(&mut out, &header, &shown, color);
    for row in 0..rows {
        let cells: Vec<(String, Option<Color>)> = shown
            .iter()
            .map(|(c, m, _)| {
                let cell = &c.cells[row];
                let text = if *m == Mode::Full {
                    &cell.full
                } else {
                    &cell.short
                };
                (text.clone(), cell.color)
            })
            .collect();
        push_line(&mut out, &cells, &shown, color);
    }
    (out, layout)
}

fn push_line(
    out: &mut String,
    cells: &[(String, Option<Color>)],
    shown: &[(&Column, Mode, usize)],
    color: bool,
) {
    let mut line = String::new();
    for (i, ((text, paint), (_, _, w))) in cells.iter().zip(shown).enumerate() {
        if i > 0 {
            line.push_str(&" ".repeat(GAP));
        }
        match paint {
            Some(p) if color => line.push_str(&p.paint(text)),
            _ => line.push_str(text),
        }
        line.push_str(&" ".repeat(w.saturating_sub(text.width())));
    }
    out.push_str(line.trim_end());
    out.push('\n');
}

/// Wraps words to lines of `width` columns for text that starts `indent` columns in;
/// continuation lines are indented to match. A word is never split.
pub fn wrap(text: &str, width: usize, indent: usize) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    // The first line's indent is already printed by the caller.
    let mut offset = indent;
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let candidate = if line.trim().is_empty() {
            offset + word.width()
        } else {
            offset + line.width() + 1 + word.width()
        };
        if candidate > width && !line.trim().is_empty() {
            lines.push(std::mem::take(&mut line));
            line = " ".repeat(indent);
            offset = 0;
        }
        if !line.trim().is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines.join("\n")
}

/// The display width of a line.
pub fn width(text: &str) -> usize {
    text.width()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(header: &'static str, cells: &[(&str, &str)], shorten: u8, drop: Option<u8>) -> Column {
        Column {
            header,
            short_header: header,
            cells: cells.iter().map(|(f, s)| Cell::new(*f, *s)).collect(),
            shorten_rank: shorten,
            drop_rank: drop,
        }
    }

    #[test]
    fn abbreviates_then_drops_but_never_splits() {
        let cols = vec![
            col(
                "APPID",
                &[("wx0123456789abcdef", "wx0123456789abcdef")],
                9,
                None,
            ),
            col(
                "WHEN",
                &[("2027-03-31 (20 days left)", "20d left")],
                1,
                Some(2),
            ),
            col("NOTE", &[("a long note here", "note")], 2, Some(1)),
        ];
        let wide = render(&cols, 200, false).0;
        assert!(wide.contains("2027-03-31 (20 days left)"));
        let (mid, layout) = render(&cols, 40, false);
        assert!(mid.contains("20d left") && mid.contains("note"), "{mid}");
        assert_eq!(layout.abbreviated, ["WHEN", "NOTE"]);
        let (narrow, layout) = render(&cols, 20, false);
        assert!(narrow.contains("wx0123456789abcdef"));
        assert_eq!(layout.dropped, ["WHEN", "NOTE"]);
        for line in mid.lines() {
            assert!(width(line) <= 40, "{line}");
        }
    }

    #[test]
    fn wrapping_keeps_words_whole() {
        let text = wrap("one two three `mpvault rotate-secret shop --verify`", 20, 4);
        assert_eq!(
            text,
            "one two three\n    `mpvault\n    rotate-secret\n    shop --verify`"
        );
    }
}
