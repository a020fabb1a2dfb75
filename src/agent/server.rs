//! The agent's side: `mpvault agent serve`, started by `mpvault unlock`.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use age_core::format::Stanza;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use secrecy::ExposeSecret;
use zeroize::Zeroizing;

use super::client::check_private;
use super::{folder, socket_path, Request, Response, WireStanza, MAX_LINE, REQUEST_TIMEOUT_MS};
use crate::error::{Error, Result};
use crate::key::{Holder, LocalKey};

/// When the agent ends unless used again.
struct Deadline {
    at: Mutex<Instant>,
    idle: Duration,
}

impl Deadline {
    fn extend(&self) {
        *self.at.lock().unwrap_or_else(PoisonError::into_inner) = Instant::now() + self.idle;
    }
    fn remaining(&self) -> Duration {
        self.at
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .saturating_duration_since(Instant::now())
    }
    fn unix(&self) -> i64 {
        let left = i64::try_from(self.remaining().as_secs()).unwrap_or(i64::MAX / 2);
        time::OffsetDateTime::now_utc().unix_timestamp() + left
    }
}

/// Reads the key on standard input, listens, says `ready <until>` (or `error <why>`) on
/// standard output, and serves until idle for `idle` or locked.
pub fn serve(idle: Duration) -> Result<()> {
    // Its own session: closing the terminal `unlock` ran in does not end it.
    let _ = rustix::process::setsid();
    let key = read_key()?;
    let listener = match listen() {
        Ok(listener) => listener,
        Err(why) => {
            println!("error {why}");
            return Err(Error::denied(
                format!("the agent cannot listen: {why}"),
                "check the folder named",
            ));
        }
    };
    let locked_in_memory = lock_memory();
    let deadline = Arc::new(Deadline {
        at: Mutex::new(Instant::now() + idle),
        idle,
    });
    watch(Arc::clone(&deadline));
    println!("ready {}", deadline.unix());
    let _ = std::io::stdout().flush();
    let me = rustix::process::getuid();
    for stream in listener.incoming().flatten() {
        let peer = rustix::net::sockopt::socket_peercred(&stream).map(|c| c.uid);
        if peer.ok() != Some(me) {
            // Another user (the folder's mode was changed): told no, and nothing more.
            answer(
                &stream,
                &refusal("this agent answers only the user who started it"),
            );
            continue;
        }
        let _ = stream.set_read_timeout(Some(Duration::from_millis(REQUEST_TIMEOUT_MS)));
        handle(&stream, &key, &deadline, locked_in_memory);
    }
    Ok(())
}

fn read_key() -> Result<LocalKey> {
    let mut line = Zeroizing::new(String::new());
    std::io::stdin()
        .lock()
        .take(4096)
        .read_line(&mut line)
        .map_err(|e| Error::stdin("cannot read the key", e))?;
    let secret = Zeroizing::new(line.trim().to_string());
    age::x25519::Identity::from_str(&secret)
        .map(LocalKey::new)
        .map_err(|_| {
            println!("error the key handed to the agent is not an mpvault identity");
            Error::invalid(
                "the key handed to the agent is not an mpvault identity",
                "start the agent with `mpvault unlock`",
            )
        })
}

/// Binds the socket in the private folder, replacing a stale one nothing listens on.
fn listen() -> std::result::Result<UnixListener, String> {
    let dir = folder();
    if std::fs::symlink_metadata(&dir).is_err() {
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    check_private(&dir)?;
    let path = socket_path();
    if UnixStream::connect(&path).is_ok() {
        return Err(format!("another agent listens on {}", path.display()));
    }
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path)
        .map_err(|e| format!("cannot listen on {}: {e}", path.display()))?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| format!("cannot protect {}: {e}", path.display()))?;
    Ok(listener)
}

/// Keeps the pages the key is in out of swap where the system allows (Linux, within the
/// memory-lock limit); the agent works without it.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn lock_memory() -> bool {
    rustix::mm::mlockall(rustix::mm::MlockAllFlags::CURRENT).is_ok()
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn lock_memory() -> bool {
    false
}

/// Ends the agent, socket removed, once it has been idle until its deadline.
fn watch(deadline: Arc<Deadline>) {
    std::thread::spawn(move || loop {
        let left = deadline.remaining();
        if left.is_zero() {
            end();
        }
        std::thread::sleep(left.min(Duration::from_secs(1)));
    });
}

fn end() -> ! {
    let _ = std::fs::remove_file(socket_path());
    std::process::exit(0)
}

fn refusal(why: &str) -> Response {
    Response {
        error: Some(why.to_string()),
        ..Response::default()
    }
}

fn answer(mut stream: &UnixStream, response: &Response) {
    let mut line = serde_json::to_vec(response).expect("responses serialize");
    line.push(b'\n');
    let _ = stream.write_all(&line);
}

fn handle(stream: &UnixStream, key: &LocalKey, deadline: &Deadline, locked_in_memory: bool) {
    let mut line = Zeroizing::new(String::new());
    if BufReader::new(stream.take(MAX_LINE))
        .read_line(&mut line)
        .is_err()
    {
        return;
    }
    let Ok(request) = serde_json::from_str::<Request>(&line) else {
        answer(stream, &refusal("the request is not understood"));
        return;
    };
    let response = match request {
        Request::Hello => Response {
            public: Some(key.public_line()),
            until: Some(deadline.unix()),
            locked_in_memory: Some(locked_in_memory),
            ..Response::default()
        },
        Request::Unwrap { stanzas } => {
            deadline.extend();
            unwrap(key, &stanzas)
        }
        Request::Sign { message } => {
            deadline.extend();
            sign(key, &message)
        }
        Request::Lock => {
            answer(stream, &Response::default());
            end();
        }
    };
    answer(stream, &response);
}

fn unwrap(key: &LocalKey, stanzas: &[WireStanza]) -> Response {
    let stanzas: Option<Vec<Stanza>> = stanzas
        .iter()
        .map(|s| {
            Some(Stanza {
                tag: s.tag.clone(),
                args: s.args.clone(),
                body: B64.decode(&s.body).ok()?,
            })
        })
        .collect();
    let Some(stanzas) = stanzas else {
        return refusal("a stanza's body is not base64");
    };
    match key.unwrap(&stanzas) {
        None => Response::default(),
        Some(Ok(file_key)) => Response {
            file_key: Some(B64.encode(file_key.expose_secret())),
            ..Response::default()
        },
        Some(Err(_)) => refusal("the stanza for this key does not open"),
    }
}

/// Signs only messages of mpvault's: a value's (a length, then `mpvault value …`) or a
/// policy's (`{"domain":"mpvault policy …`), so the agent is no signing oracle for anything
/// else that might trust this key.
fn sign(key: &LocalKey, message: &str) -> Response {
    let Ok(message) = B64.decode(message) else {
        return refusal("the message is not base64");
    };
    let value = message
        .get(4..)
        .is_some_and(|m| m.starts_with(b"mpvault value "));
    let policy = message.starts_with(b"{\"domain\":\"mpvault policy ");
    if !value && !policy {
        return refusal("the agent signs only mpvault's values and policies");
    }
    match key.sign(&message) {
        Ok(signature) => Response {
            signature: Some(B64.encode(signature.to_bytes())),
            ..Response::default()
        },
        Err(_) => refusal("cannot sign"),
    }
}
