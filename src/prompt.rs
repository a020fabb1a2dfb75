//! Asking the person at the terminal: the callbacks age uses when an SSH key or an age plugin
//! needs a passphrase, a PIN or to show a message. Nothing here reads or writes files.

use secrecy::SecretString;

/// Asks for passphrases and PINs on the terminal and shows plugins' messages on standard error.
#[derive(Clone, Copy)]
pub struct TerminalPrompt;

impl age::Callbacks for TerminalPrompt {
    fn display_message(&self, message: &str) {
        eprintln!("{message}");
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
