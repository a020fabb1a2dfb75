//! Asking the person at the terminal: the callbacks age uses when an SSH key or an age plugin
//! needs a passphrase, a PIN or to show a message. Nothing here reads or writes files.

use std::io::Write;

use secrecy::SecretString;

use crate::display::escape_lines;

/// Asks for passphrases and PINs on the terminal and shows plugins' messages on standard error.
#[derive(Clone, Copy)]
pub struct TerminalPrompt;

impl age::Callbacks for TerminalPrompt {
    fn display_message(&self, message: &str) {
        show(&mut std::io::stderr().lock(), message);
    }
    fn confirm(&self, _: &str, _: &str, _: Option<&str>) -> Option<bool> {
        None
    }
    fn request_public_string(&self, _: &str) -> Option<String> {
        None
    }
    fn request_passphrase(&self, description: &str) -> Option<SecretString> {
        rpassword::prompt_password(format!("{description}: "))
            .ok()
            .map(SecretString::from)
    }
}

/// A plugin is any program on PATH: its message is escaped like text from the file, so it
/// cannot clear the screen or retitle the terminal. Its line breaks are kept. A message that
/// cannot be written (standard error closed) is dropped rather than ending the command.
fn show(out: &mut impl Write, message: &str) {
    let _ = writeln!(out, "{}", escape_lines(message));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plugins_message_cannot_drive_the_terminal() {
        let mut out = Vec::new();
        show(
            &mut out,
            "\u{1b}]0;pwned\u{7}\u{1b}[2JTouch your key\u{9b}31m\nthen wait",
        );
        let shown = String::from_utf8(out).unwrap();
        assert_eq!(
            shown,
            "\\e]0;pwned\\x07\\e[2JTouch your key\\x9b31m\nthen wait\n"
        );
    }
}
