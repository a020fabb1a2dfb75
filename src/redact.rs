//! Arguments that may be secrets pasted in the wrong place. Secrets come from a hidden
//! prompt or `--stdin`, never from arguments; but people paste. `add-secret shop <value>`
//! must not answer with the value in an error (terminal scrollback, CI logs, screenshots),
//! nor suggest a command line that repeats it.

use std::ffi::OsString;

/// Commands that take secrets, or whose arguments are names of secrets or keys.
const SECRET_COMMANDS: [&str; 8] = [
    "add-secret",
    "rotate-secret",
    "get",
    "remove-secret",
    "history",
    "config",
    "member",
    "import",
];

/// The subcommand of a command line, if it is one of those that take secrets.
pub fn secret_command(args: &[OsString]) -> Option<&'static str> {
    let mut rest = args.iter().skip(1).map(|a| a.to_string_lossy());
    while let Some(arg) = rest.next() {
        match arg.as_ref() {
            "--" => return None,
            "--vault" | "--identity" => {
                rest.next();
            }
            a if a.starts_with('-') => {}
            a => return SECRET_COMMANDS.iter().find(|c| **c == a).copied(),
        }
    }
    None
}

/// The one sentence a usage error of such a command gets, in place of clap's (which quotes
/// the offending argument and may suggest a command line that repeats it).
pub fn usage_error(command: &str) -> String {
    format!(
        "mpvault: the arguments to {command} are not what it takes, and they are not repeated here in case one is a secret; secrets come from the hidden prompt or --stdin, never from arguments (see `mpvault {command} --help`)."
    )
}

/// Whether `text`, given where a name was expected, looks like a secret value: a PEM block,
/// a long run of hex digits (an AppSecret is 32), a long mixed-case base64 string (an APIv3
/// key, a token), or `NAME=value`, or anything with spaces or control characters.
pub fn looks_like_value(text: &str) -> bool {
    let len = text.chars().count();
    if text.contains("-----") || text.contains("PRIVATE KEY") || text.contains('=') {
        return true;
    }
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return true;
    }
    if len >= 16 && text.chars().all(|c| c.is_ascii_hexdigit()) {
        return true;
    }
    // Ignoring one leading letter, which a paste next to a name can add.
    let hex_tail = text.get(1..).unwrap_or_default();
    if hex_tail.len() >= 24 && hex_tail.chars().all(|c| c.is_ascii_hexdigit()) {
        return true;
    }
    let base64 = text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "+/_-".contains(c));
    let lower = text.chars().any(|c| c.is_ascii_lowercase());
    let upper = text.chars().any(|c| c.is_ascii_uppercase());
    let symbol = text.contains(['+', '/']);
    let digits = text.chars().filter(char::is_ascii_digit).count();
    (len >= 20 && base64 && ((lower && upper) || symbol))
        || text.contains([':', '$', '\'', '"', '`'])
        || len > 40
        || (len >= 16 && digits * 4 >= len)
        || (len >= 16 && lower && upper && digits > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_told_from_names() {
        for value in [
            "0123456789abcdef0123456789abcdef",
            "a0123456789abcdef0123456789abcdef",
            "Zq8xW3rT5yU7iO9pA1sD3fG5hJ7kL9zX",
            "dGhpcyBpcyBhIHNlY3JldA+/",
            "-----BEGIN PRIVATE KEY-----",
            "WECHAT_APPSECRET=0123",
            "two words",
            "Ab3dEf7hIj9kLm1nOp",
            "key=value",
            "has space",
        ] {
            assert!(looks_like_value(value), "{value}");
        }
        for name in [
            "WECHAT_APPSECRET",
            "WECHAT_PAY_API_V3_KEY",
            "WECHAT_PAY_PLATFORM_CERT_SERIAL",
            "MINCLOUD_CLIENT_SECRET",
            "shop",
            "my-app.v2",
            "mall-2",
            "bob",
            "deadbeef",
        ] {
            assert!(!looks_like_value(name), "{name}");
        }
    }

    #[test]
    fn the_subcommand_is_found_past_global_options() {
        let args = |a: &[&str]| a.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            secret_command(&args(&["mpvault", "--vault", "x", "add-secret", "shop"])),
            Some("add-secret")
        );
        assert_eq!(secret_command(&args(&["mpvault", "app", "list"])), None);
        assert_eq!(
            secret_command(&args(&["mpvault", "--identity=k", "config", "set"])),
            Some("config")
        );
    }
}
