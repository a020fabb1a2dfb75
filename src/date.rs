//! Calendar dates as the vault stores them and the command line takes them: `YYYY-MM-DD`.

use crate::error::{Error, Result};

/// Reads a `YYYY-MM-DD` date; surrounding blanks are ignored.
pub fn parse_date(text: &str) -> Result<time::Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text.trim(), &format).map_err(|_| {
        Error::invalid(
            format!("'{text}' is not a date"),
            "write it as YYYY-MM-DD, for example 2027-03-31",
        )
    })
}
