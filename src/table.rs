//! Every table mpvault draws, drawn by comfy-table: one renderer, so a table looks and
//! measures the same wherever it is. Two forms: a boxed grid whose cells wrap on a terminal
//! (lists of members, secrets, config), and the plain table `status` fits to the terminal by
//! abbreviating, then dropping, columns, so that a token such as an AppID is never split
//! across lines. Also word wrapping for the text printed around tables.

use comfy_table::presets::{NOTHING, UTF8_FULL_CONDENSED};
use comfy_table::{ContentArrangement, Table};
use unicode_width::UnicodeWidthStr;

/// Spaces between the columns of a plain table.
const GAP: u16 = 2;

/// A boxed grid with a header, its cells wrapped to fit a terminal. Cells are drawn as they
/// are: the caller escapes text from the file.
pub fn grid<const N: usize>(
    header: [&str; N],
    rows: impl IntoIterator<Item = [String; N]>,
) -> String {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header);
    for row in rows {
        table.add_row(row);
    }
    table.to_string()
}

/// Terminal colours for a cell; only used when colour is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Color {
    Red,
    Yellow,
    Green,
}

impl Color {
    /// Text outside a table in this colour.
    pub fn paint(self, text: &str) -> String {
        let code = match self {
            Color::Red => "31",
            Color::Yellow => "33",
            Color::Green => "32",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }

    fn of_cell(self) -> comfy_table::Color {
        match self {
            Color::Red => comfy_table::Color::DarkRed,
            Color::Yellow => comfy_table::Color::DarkYellow,
            Color::Green => comfy_table::Color::DarkGreen,
        }
    }
}

/// A cell of a plain table: its full text, the abbreviation shown when the table is too
/// wide, and a colour.
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

    fn text(&self, mode: Mode) -> &str {
        if mode == Mode::Full {
            &self.full
        } else {
            &self.short
        }
    }

    fn draw(&self, mode: Mode, color: bool) -> comfy_table::Cell {
        let cell = comfy_table::Cell::new(self.text(mode));
        match self.color {
            Some(c) if color => cell.fg(c.of_cell()),
            _ => cell,
        }
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

impl Column {
    fn header_in(&self, mode: Mode) -> &'static str {
        if mode == Mode::Full {
            self.header
        } else {
            self.short_header
        }
    }
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
    if mode == Mode::Dropped {
        return 0;
    }
    col.cells
        .iter()
        .map(|c| c.text(mode).width())
        .chain([col.header_in(mode).width()])
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
    shown.iter().sum::<usize>() + usize::from(GAP) * shown.len().saturating_sub(1)
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

/// Renders the plain table within `width` columns where it can; colour only when `color`.
/// It never wraps a cell: a table wider than `width` after every drop runs over.
pub fn render(cols: &[Column], width: usize, color: bool) -> (String, Layout) {
    let modes = fit(cols, width);
    let shown: Vec<(&Column, Mode)> = cols
        .iter()
        .zip(modes.iter().copied())
        .filter(|(_, m)| *m != Mode::Dropped)
        .collect();
    let mut table = Table::new();
    table
        .load_preset(NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(shown.iter().map(|(c, m)| c.header_in(*m)));
    if color {
        table.enforce_styling().style_text_only();
    }
    let rows = cols.first().map_or(0, |c| c.cells.len());
    for row in 0..rows {
        table.add_row(shown.iter().map(|(c, m)| c.cells[row].draw(*m, color)));
    }
    for column in table.column_iter_mut() {
        column.set_padding((0, GAP));
    }
    let mut out = table.trim_fmt();
    out.push('\n');
    (out, layout(cols, &modes))
}

/// Which columns were abbreviated (where that changed a cell) and which dropped.
fn layout(cols: &[Column], modes: &[Mode]) -> Layout {
    let mut layout = Layout::default();
    for (c, m) in cols.iter().zip(modes) {
        match m {
            Mode::Short if c.cells.iter().any(|cell| cell.short != cell.full) => {
                layout.abbreviated.push(c.header);
            }
            Mode::Dropped => layout.dropped.push(c.header),
            _ => {}
        }
    }
    layout
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
    fn plain_tables_pad_by_display_width_and_colour_only_the_text() {
        let mut state = col("STATE", &[("broken", "broken"), ("ok", "ok")], 9, None);
        state.cells[0].color = Some(Color::Red);
        let cols = vec![
            col("APP", &[("商城", "商城"), ("blog", "blog")], 9, None),
            state,
            col("ICP", &[("", ""), ("ok", "ok")], 9, None),
        ];
        let plain = render(&cols, 80, false).0;
        assert_eq!(plain, "APP   STATE   ICP\n商城  broken\nblog  ok      ok\n");
        let colored = render(&cols, 80, true).0;
        assert_eq!(
            colored,
            "APP   STATE   ICP\n商城  \u{1b}[38;5;1mbroken\u{1b}[39m\nblog  ok      ok\n"
        );
    }

    #[test]
    fn grids_are_boxed() {
        let grid = grid(["NAME", "VALUE"], [["A".to_string(), "1".to_string()]]);
        assert_eq!(
            grid,
            "┌──────┬───────┐\n│ NAME ┆ VALUE │\n╞══════╪═══════╡\n│ A    ┆ 1     │\n└──────┴───────┘"
        );
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
