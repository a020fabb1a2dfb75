//! Asking the agent: used by identities (unwrap, sign), `unlock`, `lock` and `identity show`.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use age_core::format::{FileKey, Stanza};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ed25519_dalek::Signature;
use secrecy::{ExposeSecret, SecretString};

use super::{
    enabled, folder, socket_path, Request, Response, Status, WireStanza, MAX_LINE,
    REQUEST_TIMEOUT_MS,
};
use crate::error::{Error, Result};
use crate::key::Holder;

/// Why no agent answered.
enum Absent {
    NotRunning,
    /// Something is there that must not be used (another user's socket or folder).
    Refused(String),
}

/// The folder is this user's own and closed to everyone else; anything else is never used.
pub(super) fn check_private(dir: &Path) -> std::result::Result<(), String> {
    let meta = std::fs::symlink_metadata(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let me = rustix::process::getuid().as_raw();
    if !meta.file_type().is_dir() {
        return Err(format!("{} is not a folder", dir.display()));
    }
    if meta.uid() != me {
        return Err(format!("{} belongs to another user", dir.display()));
    }
    if meta.mode() & 0o077 != 0 {
        return Err(format!("{} is open to other users", dir.display()));
    }
    Ok(())
}

/// A connection to this user's agent, checked to be served by this user.
fn connect() -> std::result::Result<UnixStream, Absent> {
    let dir = folder();
    if std::fs::symlink_metadata(&dir).is_err() {
        return Err(Absent::NotRunning);
    }
    check_private(&dir).map_err(Absent::Refused)?;
    let path = socket_path();
    let stream = match UnixStream::connect(&path) {
        Ok(stream) => stream,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Absent::NotRunning),
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            remove_stale(&path);
            return Err(Absent::NotRunning);
        }
        Err(e) => return Err(Absent::Refused(format!("{}: {e}", path.display()))),
    };
    let me = rustix::process::getuid();
    match rustix::net::sockopt::socket_peercred(&stream) {
        Ok(peer) if peer.uid == me => {}
        _ => {
            return Err(Absent::Refused(format!(
                "{} is served by another user",
                path.display()
            )))
        }
    }
    let timeout = Some(Duration::from_millis(REQUEST_TIMEOUT_MS));
    let _ = stream.set_read_timeout(timeout);
    let _ = stream.set_write_timeout(timeout);
    Ok(stream)
}

/// A socket file nothing listens on (an agent that was killed) is removed when it is this
/// user's, in this user's private folder (checked before connecting).
fn remove_stale(path: &Path) {
    let ours = std::fs::symlink_metadata(path)
        .is_ok_and(|m| m.file_type().is_socket() && m.uid() == rustix::process::getuid().as_raw());
    if ours {
        let _ = std::fs::remove_file(path);
    }
}

fn ask(request: &Request) -> std::result::Result<Response, Absent> {
    let mut stream = connect()?;
    let lost = |e: std::io::Error| Absent::Refused(format!("the agent stopped answering: {e}"));
    let mut line = serde_json::to_vec(request).expect("requests serialize");
    line.push(b'\n');
    stream.write_all(&line).map_err(lost)?;
    let mut answer = String::new();
    BufReader::new(stream.take(MAX_LINE))
        .read_line(&mut answer)
        .map_err(lost)?;
    let response: Response = serde_json::from_str(&answer)
        .map_err(|_| Absent::Refused("the agent's answer is not understood".into()))?;
    match response.error {
        Some(error) => Err(Absent::Refused(format!("the agent refused: {error}"))),
        None => Ok(response),
    }
}

/// What `identity show` says: whether an agent answers, for whom and until when.
pub fn status() -> Status {
    if !enabled() {
        return Status::Off;
    }
    match ask(&Request::Hello) {
        Ok(r) => Status::Holds {
            public: r.public.unwrap_or_default(),
            until: r.until.map(rfc3339).unwrap_or_default(),
            locked_in_memory: r.locked_in_memory.unwrap_or(false),
        },
        Err(Absent::NotRunning) => Status::NotRunning,
        Err(Absent::Refused(why)) => Status::Refused(why),
    }
}

fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// The agent, when it is running and holds the identity with this public line.
pub fn for_public_line(public: &str) -> Option<Box<dyn Holder>> {
    if !enabled() {
        return None;
    }
    let hello = ask(&Request::Hello).ok()?;
    (hello.public.as_deref() == Some(public)).then(|| Box::new(AgentKey) as Box<dyn Holder>)
}

/// Ends the running agent; whether there was one.
pub fn lock() -> Result<bool> {
    match ask(&Request::Lock) {
        Ok(_) => Ok(true),
        Err(Absent::NotRunning) => Ok(false),
        Err(Absent::Refused(why)) => Err(Error::denied(
            format!("the agent cannot be stopped: {why}"),
            "check who owns the folder it names; an agent you started ends on its own after its idle time",
        )),
    }
}

/// Starts an agent holding `secret` (an `AGE-SECRET-KEY-1…` line) that ends after `idle`
/// without use, replacing one already running; returns until when it is unlocked (RFC 3339).
pub fn start(secret: &SecretString, idle: Duration) -> Result<String> {
    lock()?;
    let exe = std::env::current_exe().map_err(|e| Error::io("cannot find this program", e))?;
    let mut child = Command::new(exe)
        .args(["agent", "serve", "--idle", &idle.as_secs().to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| Error::io("cannot start the agent", e))?;
    let failed = |e: std::io::Error| Error::io("cannot hand the key to the agent", e);
    {
        let mut stdin = child.stdin.take().expect("stdin is piped");
        stdin
            .write_all(secret.expose_secret().as_bytes())
            .and_then(|()| stdin.write_all(b"\n"))
            .map_err(failed)?;
    }
    let mut line = String::new();
    let stdout = child.stdout.take().expect("stdout is piped");
    BufReader::new(stdout.take(4096))
        .read_line(&mut line)
        .map_err(failed)?;
    match line.trim().split_once(' ') {
        Some(("ready", until)) => Ok(rfc3339(until.parse().unwrap_or_default())),
        _ => {
            let _ = child.kill();
            let _ = child.wait();
            let why = line
                .trim()
                .strip_prefix("error ")
                .unwrap_or("it ended at once");
            Err(Error::denied(
                format!("the agent did not start: {why}"),
                "commands still work and ask for the passphrase; check the folder named, or set XDG_RUNTIME_DIR",
            ))
        }
    }
}

/// The agent holding this user's identity, asked for each unwrap and signature.
struct AgentKey;

impl Holder for AgentKey {
    fn unwrap(
        &self,
        stanzas: &[Stanza],
    ) -> Option<std::result::Result<FileKey, age::DecryptError>> {
        let request = Request::Unwrap {
            stanzas: stanzas
                .iter()
                .map(|s| WireStanza {
                    tag: s.tag.clone(),
                    args: s.args.clone(),
                    body: B64.encode(&s.body),
                })
                .collect(),
        };
        let stopped = || {
            age::DecryptError::Io(std::io::Error::new(
                std::io::ErrorKind::ConnectionAborted,
                "the mpvault agent stopped answering",
            ))
        };
        let Ok(response) = ask(&request) else {
            return Some(Err(stopped()));
        };
        let encoded = response.file_key?;
        let bytes = zeroize::Zeroizing::new(B64.decode(encoded).unwrap_or_default());
        let Ok(key) = <[u8; 16]>::try_from(bytes.as_slice()) else {
            return Some(Err(stopped()));
        };
        Some(Ok(FileKey::new(Box::new(key))))
    }

    fn sign(&self, message: &[u8]) -> Result<Signature> {
        let request = Request::Sign {
            message: B64.encode(message),
        };
        let stopped = |why: String| {
            Error::denied(
                format!("the mpvault agent did not sign: {why}"),
                "run the command again: with no agent it asks for the passphrase (`mpvault unlock` starts the agent again)",
            )
        };
        let response = ask(&request).map_err(|e| match e {
            Absent::NotRunning => stopped("it is no longer running".into()),
            Absent::Refused(why) => stopped(why),
        })?;
        let bytes = response
            .signature
            .and_then(|s| B64.decode(s).ok())
            .and_then(|b| <[u8; 64]>::try_from(b).ok())
            .ok_or_else(|| stopped("its answer is not a signature".into()))?;
        Ok(Signature::from_bytes(&bytes))
    }
}
