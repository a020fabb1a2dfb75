//! The one source of randomness: the operating system's generator. Data keys, nonces, vault
//! ids, generated secrets and the `$GITHUB_ENV` delimiter all come from here, so nothing can
//! quietly fall back to a weaker source.

use std::fmt::Write as _;

/// The system random number generator failed. Nothing is made from a weaker source instead.
#[derive(Debug, thiserror::Error)]
#[error("the system random number generator failed ({0})")]
pub struct Unavailable(getrandom::Error);

/// What to do when the generator fails: it is not the user's input, nor a path to fix.
pub const HINT: &str = "nothing was changed; run the command again, and if it keeps failing, check that the system's random source (getrandom, /dev/urandom) is available where mpvault runs";

/// Fills `buf` with random bytes.
pub fn fill(buf: &mut [u8]) -> Result<(), Unavailable> {
    getrandom::getrandom(buf).map_err(Unavailable)
}

/// 16 random bytes as 32 lower-case hex digits (vault ids, heredoc delimiters).
pub fn hex128() -> Result<String, Unavailable> {
    let mut bytes = [0u8; 16];
    fill(&mut bytes)?;
    Ok(bytes.iter().fold(String::with_capacity(32), |mut hex, b| {
        let _ = write!(hex, "{b:02x}");
        hex
    }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn hex_ids_are_32_digits_and_differ() {
        let (a, b) = (super::hex128().unwrap(), super::hex128().unwrap());
        assert_eq!(a.len(), 32);
        assert!(a
            .bytes()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_ne!(a, b);
    }
}
