//! Asking WeChat whether an AppID and AppSecret belong together: `POST /cgi-bin/stable_token`
//! with `force_refresh: false`. Never `/cgi-bin/token` and never a forced refresh: both would
//! replace the access token production is using. The secret travels only in the request body.

use std::time::Duration;

use serde::Deserialize;
use zeroize::Zeroizing;

use crate::display::escape;
use crate::error::{Error, Result};

pub const DEFAULT_API: &str = "https://api.weixin.qq.com";
pub const API_ENV: &str = "MPVAULT_WECHAT_API";
pub const PATH: &str = "/cgi-bin/stable_token";
const TIMEOUT: Duration = Duration::from_secs(10);
/// WeChat's answers are tiny; a larger one is not WeChat.
const MAX_ANSWER: u64 = 64 * 1024;

/// The base URL: `MPVAULT_WECHAT_API` or WeChat's own. Plain `http://` only to this machine,
/// so an AppSecret never crosses a network unencrypted.
pub fn base_url() -> Result<String> {
    let Ok(base) = std::env::var(API_ENV) else {
        return Ok(DEFAULT_API.to_string());
    };
    let base = base.trim().trim_end_matches('/').to_string();
    if base.starts_with("https://") || is_loopback_http(&base) {
        Ok(base)
    } else {
        Err(Error::invalid(
            format!("{API_ENV} must be an https:// URL (or http:// to this machine)"),
            format!("set it like {DEFAULT_API}, or unset it"),
        ))
    }
}

/// `http://` to 127.0.0.1, localhost or [::1], with at most a port and a path: nothing that
/// could make the host part say something else (`http://127.0.0.1:80@example.com`).
fn is_loopback_http(url: &str) -> bool {
    ["http://127.0.0.1", "http://localhost", "http://[::1]"]
        .iter()
        .any(|prefix| {
            let Some(rest) = url.strip_prefix(prefix) else {
                return false;
            };
            let authority = rest.split_once('/').map_or(rest, |(a, _)| a);
            match authority.strip_prefix(':') {
                None => authority.is_empty(),
                Some(port) => !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()),
            }
        })
}

#[derive(Deserialize)]
struct Reply {
    #[serde(default)]
    errcode: i64,
    #[serde(default)]
    errmsg: String,
    /// Present when WeChat issued (or reused) a token; its value is never kept.
    #[serde(default)]
    access_token: Option<serde::de::IgnoredAny>,
}

/// Asks WeChat about the pair. `Ok` when it accepted them; otherwise an error whose sentence
/// and hint say what WeChat meant (`Rejected` for a wrong pair, `Unverified` when it did not say).
pub fn verify(app: &str, appid: &str, secret: &str) -> Result<()> {
    let base = base_url()?;
    let url = format!("{base}{PATH}");
    let body = Zeroizing::new(
        serde_json::json!({
            "grant_type": "client_credential",
            "appid": appid,
            "secret": secret,
            "force_refresh": false,
        })
        .to_string(),
    );
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(TIMEOUT))
        .http_status_as_error(false)
        // A redirect would carry the body somewhere else.
        .max_redirects(0)
        .build()
        .into();
    let mut response = agent
        .post(&url)
        .header("Content-Type", "application/json")
        .send(body.as_bytes())
        .map_err(|e| unreachable(&base, &e))?;
    let status = response.status().as_u16();
    let text = Zeroizing::new(
        response
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER)
            .read_to_string()
            .map_err(|e| unreachable(&base, &e))?,
    );
    let reply: Reply = serde_json::from_str(&text).map_err(|_| Error::Unverified {
        what: format!("the answer from {base} was not WeChat's (HTTP {status}, not JSON)"),
        hint: format!("check {API_ENV} and any proxy, then try again"),
    })?;
    interpret(app, appid, &reply)
}

fn unreachable(base: &str, error: &ureq::Error) -> Error {
    let what = match error {
        ureq::Error::Timeout(_) => {
            format!("{base} did not answer within {} seconds", TIMEOUT.as_secs())
        }
        other => format!("cannot reach {base} ({})", escape(&other.to_string())),
    };
    Error::Unverified {
        what,
        hint: "check this machine's network (and HTTPS_PROXY), then try again".into(),
    }
}

fn rejected(what: String, hint: String) -> Result<()> {
    Err(Error::Rejected { what, hint })
}

fn unverified(what: String, hint: String) -> Result<()> {
    Err(Error::Unverified { what, hint })
}

/// What each of WeChat's answers means for the person at the terminal.
fn interpret(app: &str, appid: &str, reply: &Reply) -> Result<()> {
    let message = escape(&reply.errmsg.chars().take(200).collect::<String>()).into_owned();
    match reply.errcode {
        0 if reply.access_token.is_some() => Ok(()),
        0 => unverified(
            "WeChat answered without an error or a token".into(),
            "try again; if it persists, check the proxy in front of the API".into(),
        ),
        40013 => rejected(
            format!("WeChat says {appid} ('{app}') is not a valid AppID"),
            "compare it with 小程序ID under 开发管理 → 开发设置 in the console".into(),
        ),
        40001 | 40125 => rejected(
            format!("WeChat rejected the AppSecret of '{app}' ({appid})"),
            format!("paste it again with `mpvault rotate-secret {app} --verify`; if it was reset since, reset it under 开发管理 → 开发设置 and store the new one"),
        ),
        40164 => {
            let ip = whitelist_ip(&reply.errmsg);
            unverified(
                format!(
                    "this machine's IP{} is not on the API IP whitelist of '{app}'",
                    ip.map(|ip| format!(" {ip}")).unwrap_or_default()
                ),
                "an administrator adds it under 开发管理 → 开发设置 → IP白名单 in the console, or run verify from a listed machine".into(),
            )
        }
        40243 => rejected(
            format!("the AppSecret of '{app}' is frozen"),
            "an administrator unfreezes it under 开发管理 → 开发设置 in the console, then verify again".into(),
        ),
        89501 => unverified(
            format!("WeChat is waiting for the administrator of '{app}' to allow calls from this IP"),
            "ask the administrator to confirm it in WeChat, then verify again".into(),
        ),
        89503 => unverified(
            format!("this call needs the confirmation of the administrator of '{app}'"),
            "the administrator confirms it in WeChat; verify again afterwards".into(),
        ),
        89506 => unverified(
            format!("the administrator of '{app}' refused calls from this IP twice, so WeChat blocks it for 24 hours"),
            "ask the administrator to allow this machine, or verify from another one".into(),
        ),
        89507 => unverified(
            format!("the administrator of '{app}' refused calls from this IP, so WeChat blocks it for an hour"),
            "ask the administrator to allow this machine, or verify again after an hour".into(),
        ),
        -1 => unverified(
            "WeChat is busy (error -1)".into(),
            "try again in a minute".into(),
        ),
        code => unverified(
            format!("WeChat answered error {code} ({message})"),
            "look the code up in WeChat's global error codes (全局返回码)".into(),
        ),
    }
}

/// The IP named in a 40164 message such as "invalid ip 203.0.113.7 ipv6 ::ffff:…, not in
/// whitelist"; only a well-formed address is repeated.
fn whitelist_ip(message: &str) -> Option<std::net::IpAddr> {
    let rest = message.split("invalid ip ").nth(1)?;
    let token = rest.split([' ', ',']).next()?;
    token.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_this_machine() {
        for ok in [
            "http://127.0.0.1",
            "http://127.0.0.1:8080",
            "http://localhost:1/api",
            "http://[::1]:9",
        ] {
            assert!(is_loopback_http(ok), "{ok}");
        }
        for bad in [
            "http://127.0.0.1:80@example.com",
            "http://127.0.0.1@example.com",
            "http://localhost.example.com",
            "http://127.0.0.1:/x",
            "http://example.com",
        ] {
            assert!(!is_loopback_http(bad), "{bad}");
        }
    }

    #[test]
    fn the_ip_is_read_from_the_message_only_when_well_formed() {
        assert_eq!(
            whitelist_ip("invalid ip 203.0.113.7 ipv6 ::ffff:203.0.113.7, not in whitelist rid: 1"),
            Some("203.0.113.7".parse().unwrap())
        );
        assert_eq!(
            whitelist_ip("invalid ip \x1b[31mevil, not in whitelist"),
            None
        );
        assert_eq!(whitelist_ip("something else"), None);
    }
}
