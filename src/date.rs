//! Dates and times as the vault stores them and the command line takes them: calendar dates
//! `YYYY-MM-DD`, and moments as RFC 3339 UTC text (`Timestamp`).

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

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

/// A moment a writer recorded in the vault, or this clone in its memory: the text exactly as
/// written (so a file is written back byte for byte, whoever wrote it) and the time it reads
/// as, parsed once. Anyone with push access writes these, so a time that does not read as RFC
/// 3339 is kept, shown, and never orders anything.
#[derive(Clone, Debug, Default)]
pub struct Timestamp {
    text: String,
    time: Option<OffsetDateTime>,
}

impl Timestamp {
    /// The current time, UTC, to the second.
    pub fn now() -> Self {
        let now = OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .expect("0 is a valid nanosecond");
        Self::from(now)
    }

    /// The time as written, whether or not it reads as one.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The time it reads as, if it reads as RFC 3339.
    pub fn time(&self) -> Option<OffsetDateTime> {
        self.time
    }

    /// The time, where it may order anything at all: an unreadable time, or one more than a day
    /// ahead of this machine's clock (a writer's clock that is wrong, or a forged time), is
    /// refused as evidence and orders nothing.
    pub fn as_evidence(&self) -> Option<OffsetDateTime> {
        self.time
            .filter(|t| *t <= OffsetDateTime::now_utc() + Duration::days(1))
    }

    /// Whether this is after `other` as evidence (see `as_evidence`): unreadable and future
    /// times are never later, nor is anything later than them.
    pub fn is_later_than(&self, other: &Timestamp) -> bool {
        match (self.as_evidence(), other.as_evidence()) {
            (Some(a), Some(b)) => a > b,
            _ => false,
        }
    }

    /// Whether this is before `other`; an unreadable time on either side counts as before, so a
    /// deadline nobody can read has passed.
    pub fn is_before(&self, other: &Timestamp) -> bool {
        match (self.time, other.time) {
            (Some(a), Some(b)) => a < b,
            _ => true,
        }
    }

    /// Whole days from this time to `now`; a time in the future counts as 0.
    pub fn days_to(&self, now: OffsetDateTime) -> Option<i64> {
        self.time.map(|t| (now - t).whole_days().max(0))
    }

    /// Orders by time where both read as one, and by text otherwise, so sorting is total and
    /// readable times sort as times.
    pub fn cmp_time(&self, other: &Timestamp) -> Ordering {
        match (self.time, other.time) {
            (Some(a), Some(b)) => a.cmp(&b),
            _ => self.text.cmp(&other.text),
        }
    }
}

impl From<OffsetDateTime> for Timestamp {
    fn from(time: OffsetDateTime) -> Self {
        let text = time
            .to_offset(time::UtcOffset::UTC)
            .format(&Rfc3339)
            .expect("RFC 3339 formats every UTC time");
        Self::from(text)
    }
}

impl From<String> for Timestamp {
    fn from(text: String) -> Self {
        let time = OffsetDateTime::parse(&text, &Rfc3339).ok();
        Self { text, time }
    }
}

impl From<&str> for Timestamp {
    fn from(text: &str) -> Self {
        Self::from(text.to_string())
    }
}

/// Two timestamps are equal when they were written the same: the file's bytes are what signatures
/// and merges compare.
impl PartialEq for Timestamp {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for Timestamp {}

impl std::hash::Hash for Timestamp {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.text.hash(state);
    }
}

/// The text as written, where text is wanted (display, bounds, signed bytes): times order only
/// through the methods above, never as text.
impl std::ops::Deref for Timestamp {
    type Target = str;

    fn deref(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timestamp_is_written_back_as_it_was_read() {
        for text in [
            "2026-03-01T08:00:00Z",
            "2026-03-01T16:00:00+08:00",
            "yesterday",
            "",
        ] {
            let t: Timestamp = serde_json::from_str(&format!("\"{text}\"")).unwrap();
            assert_eq!(serde_json::to_string(&t).unwrap(), format!("\"{text}\""));
            assert_eq!(t.as_str(), text);
        }
    }

    #[test]
    fn times_compare_as_time_not_as_text() {
        // The same moment in two offsets, and a later moment whose text sorts first.
        let utc = Timestamp::from("2026-03-01T08:00:00Z");
        let beijing = Timestamp::from("2026-03-01T16:00:00+08:00");
        let later = Timestamp::from("2026-03-01T09:00:00+00:00");
        assert_eq!(utc.cmp_time(&beijing), Ordering::Equal);
        assert!(later.is_later_than(&beijing));
        assert!(!beijing.is_later_than(&utc));
        assert!(utc.is_before(&later));
    }

    #[test]
    fn an_unreadable_or_future_time_orders_nothing() {
        let known = Timestamp::from("2026-03-01T08:00:00Z");
        let future = Timestamp::from(OffsetDateTime::now_utc() + Duration::days(3));
        let garbage = Timestamp::from("not a time");
        for odd in [&future, &garbage] {
            assert!(!odd.is_later_than(&known));
            assert!(!known.is_later_than(odd));
        }
        assert!(garbage.is_before(&known) && known.is_before(&garbage));
    }

    #[test]
    fn age_in_days_never_goes_negative() {
        let now = OffsetDateTime::now_utc();
        assert_eq!(
            Timestamp::from(now - Duration::days(10)).days_to(now),
            Some(10)
        );
        assert_eq!(
            Timestamp::from(now + Duration::days(2)).days_to(now),
            Some(0)
        );
        assert_eq!(Timestamp::from("soon").days_to(now), None);
    }

    #[test]
    fn now_is_whole_seconds_in_utc() {
        let now = Timestamp::now();
        assert!(now.as_str().ends_with('Z'), "{now}");
        assert!(!now.as_str().contains('.'), "{now}");
    }
}
