//! `verify` and `rotate-secret --verify` against a stub of WeChat's API on 127.0.0.1: every
//! answer's sentence and exit code, and what was sent (POST, the stable_token path,
//! `force_refresh: false`, no secret in the URL).

use crate::common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use common::*;

/// One request as the stub saw it.
#[derive(Clone, Debug)]
struct Request {
    method: String,
    target: String,
    body: serde_json::Value,
}

/// A stub WeChat API: answers each request with the next of `answers`, records the request.
struct Stub {
    url: String,
    seen: Arc<Mutex<Vec<Request>>>,
}

impl Stub {
    fn start(answers: Vec<&'static str>) -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for answer in answers {
                let Ok((stream, _)) = listener.accept() else {
                    return;
                };
                let (request, mut stream) = read_request(stream);
                log.lock().unwrap().push(request);
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                    answer.len()
                );
            }
        });
        Stub { url, seen }
    }

    fn requests(&self) -> Vec<Request> {
        self.seen.lock().unwrap().clone()
    }
}

/// Reads one whole request (head and body), so that closing the connection after the answer
/// never resets it with unread bytes.
fn read_request(stream: TcpStream) -> (Request, TcpStream) {
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    reader.read_line(&mut head).unwrap();
    let mut parts = head.split_whitespace();
    let (method, target) = (
        parts.next().unwrap().to_string(),
        parts.next().unwrap().to_string(),
    );
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap();
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    let request = Request {
        method,
        target,
        body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
    };
    (request, reader.into_inner())
}

const OK: &str = r#"{"access_token":"ACCESS_TOKEN_VALUE","expires_in":7200}"#;

fn world_with_secret() -> (World, Person) {
    let w = World::new();
    let alice = w.owner_with_app();
    w.ok_stdin(&alice, &["add-secret", "shop", "--stdin"], APPSECRET);
    (w, alice)
}

/// shop and blog, each with its AppSecret (blog's is `BLOG_SECRET`).
fn world_with_two_secrets() -> (World, Person) {
    let (w, alice) = world_with_secret();
    w.add_blog(&alice);
    w.ok_stdin(&alice, &["add-secret", "blog", "--stdin"], BLOG_SECRET);
    (w, alice)
}

const BLOG_SECRET: &str = "fedcba9876543210fedcba9876543210";

fn verify(w: &World, who: &Person, stub: &Stub, args: &[&str]) -> std::process::Output {
    w.cmd(who)
        .arg("verify")
        .args(args)
        .env("MPVAULT_WECHAT_API", &stub.url)
        .output()
        .unwrap()
}

/// The request is the safe one, and the secret is only in its body.
fn assert_safe_request(request: &Request, appid: &str, secret: &str) {
    assert_eq!(request.method, "POST");
    assert_eq!(request.target, "/cgi-bin/stable_token");
    assert!(!request.target.contains(secret), "secret in the URL");
    assert_eq!(request.body["grant_type"], "client_credential");
    assert_eq!(request.body["force_refresh"], false);
    assert_eq!(request.body["appid"], appid);
    assert_eq!(request.body["secret"], secret);
}

#[test]
fn an_accepted_pair_exits_0_and_never_forces_a_refresh() {
    let (w, alice) = world_with_secret();
    let stub = Stub::start(vec![OK]);
    let out = verify(&w, &alice, &stub, &["shop"]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout,
        format!("shop ({APPID}): WeChat accepted the AppID and AppSecret.\n")
    );
    assert!(
        !stdout.contains("ACCESS_TOKEN_VALUE"),
        "the token is never shown"
    );
    let requests = stub.requests();
    assert_eq!(requests.len(), 1);
    assert_safe_request(&requests[0], APPID, APPSECRET);
}

/// Each of WeChat's answers: the exit code and the sentence the user reads.
#[test]
fn every_answer_has_a_sentence_and_an_exit_code() {
    let cases: [(&str, i32, &str); 11] = [
        (r#"{"errcode":40013,"errmsg":"invalid appid"}"#, exit::BROKEN, "WeChat says wx0123456789abcdef ('shop') is not a valid AppID; compare it with 小程序ID under 开发管理 → 开发设置"),
        (r#"{"errcode":40001,"errmsg":"invalid credential"}"#, exit::BROKEN, "WeChat rejected the AppSecret of 'shop' (wx0123456789abcdef); paste it again with `mpvault rotate-secret shop --verify`"),
        (r#"{"errcode":40125,"errmsg":"invalid appsecret"}"#, exit::BROKEN, "WeChat rejected the AppSecret of 'shop'"),
        (r#"{"errcode":40164,"errmsg":"invalid ip 203.0.113.7 ipv6 ::ffff:203.0.113.7, not in whitelist rid: 6a1"}"#, exit::UNVERIFIED, "this machine's IP 203.0.113.7 is not on the API IP whitelist of 'shop'; an administrator adds it under 开发管理 → 开发设置 → IP白名单"),
        (r#"{"errcode":40243,"errmsg":"AppSecret已被冻结"}"#, exit::BROKEN, "the AppSecret of 'shop' is frozen; an administrator unfreezes it"),
        (r#"{"errcode":89501,"errmsg":"此IP正在等待管理员确认"}"#, exit::UNVERIFIED, "WeChat is waiting for the administrator of 'shop' to allow calls from this IP"),
        (r#"{"errcode":89503,"errmsg":"此次调用需要管理员确认"}"#, exit::UNVERIFIED, "this call needs the confirmation of the administrator of 'shop'"),
        (r#"{"errcode":89506,"errmsg":"24小时内该IP被管理员拒绝调用两次"}"#, exit::UNVERIFIED, "refused calls from this IP twice, so WeChat blocks it for 24 hours"),
        (r#"{"errcode":89507,"errmsg":"1小时内该IP被管理员拒绝调用一次"}"#, exit::UNVERIFIED, "refused calls from this IP, so WeChat blocks it for an hour"),
        (r#"{"errcode":-1,"errmsg":"system error"}"#, exit::UNVERIFIED, "WeChat is busy (error -1); try again in a minute"),
        ("<html>gateway</html>", exit::UNVERIFIED, "was not WeChat's (HTTP 200, not JSON)"),
    ];
    let (w, alice) = world_with_secret();
    let stub = Stub::start(cases.iter().map(|c| c.0).collect());
    for (answer, code, says) in cases {
        let out = verify(&w, &alice, &stub, &["shop"]);
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(code), "{answer}: {err}");
        assert!(err.contains(says), "{answer}: {err}");
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        assert!(!err.contains(APPSECRET), "the secret leaked: {err}");
    }
    let requests = stub.requests();
    assert_eq!(requests.len(), cases.len());
    for r in &requests {
        assert_safe_request(r, APPID, APPSECRET);
    }
}

#[test]
fn no_answer_is_exit_9() {
    let (w, alice) = world_with_secret();
    // A port from the OS, kept bound for the whole test (so no parallel stub can take it),
    // where every connection is closed before anything is answered.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            drop(conn);
        }
    });
    let out = w
        .cmd(&alice)
        .args(["verify", "shop"])
        .env("MPVAULT_WECHAT_API", format!("http://127.0.0.1:{port}"))
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(exit::UNVERIFIED), "{err}");
    assert!(
        err.contains(&format!("cannot reach http://127.0.0.1:{port}")),
        "{err}"
    );
}

#[test]
fn a_plain_http_api_elsewhere_is_refused_before_anything_is_sent() {
    let (w, alice) = world_with_secret();
    let stub = Stub::start(vec![OK]);
    let port = stub.url.rsplit(':').next().unwrap().to_string();
    // The second dresses another host up as this machine (user info before '@').
    for api in [
        "http://proxy.example.com".to_string(),
        format!("http://127.0.0.1:{port}@proxy.example.com"),
    ] {
        for args in [
            &["verify", "shop"][..],
            &["rotate-secret", "shop", "--stdin", "--verify"],
        ] {
            let saved = w.vault_text();
            let out = w
                .cmd(&alice)
                .args(args)
                .env("MPVAULT_WECHAT_API", &api)
                .write_stdin("00112233445566778899aabbccddeeff")
                .output()
                .unwrap();
            let err = String::from_utf8(out.stderr).unwrap();
            assert_eq!(
                out.status.code(),
                Some(exit::USAGE),
                "{api} {args:?}: {err}"
            );
            assert!(
                err.contains("MPVAULT_WECHAT_API must be an https:// URL"),
                "{err}"
            );
            assert_eq!(w.vault_text(), saved);
        }
    }
    assert!(stub.requests().is_empty());
}

#[test]
fn verify_all_reports_each_app_and_exits_with_the_worst() {
    let (w, alice) = world_with_two_secrets();
    w.ok(
        &alice,
        &["app", "add", "mall", "--appid", "wx00000000000000cc"],
    );
    // Apps are checked in name order: blog, then shop; mall has no AppSecret.
    let stub = Stub::start(vec![
        r#"{"errcode":40125,"errmsg":"invalid appsecret"}"#,
        OK,
    ]);
    let out = verify(&w, &alice, &stub, &["--all"]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(exit::BROKEN), "{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].starts_with(&format!(
            "blog ({BLOG_APPID}): WeChat rejected the AppSecret of 'blog'"
        )),
        "{stdout}"
    );
    assert_eq!(lines[1], "mall: skipped, no AppSecret stored.");
    assert_eq!(lines[2], format!("shop ({APPID}): accepted."));
    let requests = stub.requests();
    assert_safe_request(&requests[0], BLOG_APPID, BLOG_SECRET);
    assert_safe_request(&requests[1], APPID, APPSECRET);
}

#[test]
fn rotate_with_verify_stores_only_what_wechat_accepts() {
    let (w, alice) = world_with_secret();
    let new = "00112233445566778899aabbccddeeff";
    let stub = Stub::start(vec![
        r#"{"errcode":40001,"errmsg":"invalid credential"}"#,
        OK,
    ]);
    let saved = w.vault_text();
    let out = w
        .cmd(&alice)
        .args(["rotate-secret", "shop", "--stdin", "--verify"])
        .env("MPVAULT_WECHAT_API", &stub.url)
        .write_stdin(new)
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(exit::BROKEN), "{err}");
    assert!(
        err.contains(
            "WeChat rejected the AppSecret of 'shop' (wx0123456789abcdef), so it was not stored"
        ),
        "{err}"
    );
    assert!(!err.contains(new));
    assert_eq!(
        w.vault_text(),
        saved,
        "a rejected AppSecret leaves the vault unchanged"
    );
    let out = succeeded(
        w.cmd(&alice)
            .args(["rotate-secret", "shop", "--stdin", "--verify"])
            .env("MPVAULT_WECHAT_API", &stub.url)
            .write_stdin(new)
            .output()
            .unwrap(),
    );
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("WeChat accepted the new AppSecret of 'shop'."));
    assert_eq!(w.ok(&alice, &["get", "shop", "WECHAT_APPSECRET"]), new);
    let requests = stub.requests();
    assert_safe_request(&requests[0], APPID, new);
    assert_safe_request(&requests[1], APPID, new);
    // Only the AppSecret can be verified.
    let (code, err) = w.fails(
        &alice,
        &[
            "rotate-secret",
            "shop",
            "WECHAT_UPLOAD_KEY",
            "--verify",
            "--stdin",
        ],
    );
    assert_eq!(code, exit::USAGE);
    assert!(err.contains("only the AppSecret can be verified"), "{err}");
}

#[test]
fn a_redirect_is_not_followed_with_the_secret() {
    let (w, alice) = world_with_secret();
    let target = Stub::start(vec![OK]);
    // The first server redirects (307 keeps the body) to the second.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let location = format!("{}/cgi-bin/stable_token", target.url);
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let (_, mut stream) = read_request(stream);
        let _ = write!(
            stream,
            "HTTP/1.1 307 Temporary Redirect\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
    });
    let out = w
        .cmd(&alice)
        .args(["verify", "shop"])
        .env("MPVAULT_WECHAT_API", &url)
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(exit::UNVERIFIED), "{err}");
    assert!(err.contains("HTTP 307"), "{err}");
    assert!(
        target.requests().is_empty(),
        "the secret followed the redirect"
    );
}

#[test]
fn verify_all_names_a_damaged_appsecret_and_checks_the_rest() {
    let (w, alice) = world_with_two_secrets();
    // Someone moves shop's ciphertext into blog: its writer's signature binds its place.
    let mut vault: serde_json::Value = serde_json::from_str(&w.vault_text()).unwrap();
    vault["apps"]["blog"]["secrets"]["WECHAT_APPSECRET"] =
        vault["apps"]["shop"]["secrets"]["WECHAT_APPSECRET"].clone();
    std::fs::write(
        w.vault_path(),
        serde_json::to_string_pretty(&vault).unwrap(),
    )
    .unwrap();
    let stub = Stub::start(vec![OK]);
    let out = verify(&w, &alice, &stub, &["--all"]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(exit::UNVERIFIED), "{stdout}");
    assert!(stdout.starts_with("blog: not checked, the value at secrets/WECHAT_APPSECRET of 'blog' does not carry a valid signature of 'alice', its stated writer."), "{stdout}");
    assert!(
        stdout.contains(&format!("shop ({APPID}): accepted.")),
        "{stdout}"
    );
    assert_eq!(stub.requests().len(), 1);
}

/// A stub that accepts connections and never answers, holding them open: `verify` gives up
/// after its 10-second limit with exit 9 and says so, instead of hanging.
#[test]
fn an_api_that_never_answers_times_out_with_exit_9() {
    let (w, alice) = world_with_secret();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming() {
            held.push(conn);
        }
    });
    let before = w.vault_text();
    let start = std::time::Instant::now();
    let out = w
        .cmd(&alice)
        .args(["verify", "shop"])
        .env("MPVAULT_WECHAT_API", &url)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let took = start.elapsed();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(exit::UNVERIFIED), "{err}");
    assert!(
        err.contains(&format!("{url} did not answer within 10 seconds")),
        "{err}"
    );
    assert!(took >= std::time::Duration::from_secs(10), "{took:?}");
    assert!(!err.contains(APPSECRET), "{err}");
    assert_eq!(w.vault_text(), before);
}

/// With an https:// API, the first bytes on the wire are a TLS handshake, never the request:
/// no path, no AppSecret in plain text. (The stub speaks no TLS, so the handshake fails and
/// verify says it cannot reach the API.)
#[test]
fn an_https_api_gets_a_tls_handshake_and_no_plaintext() {
    let (w, alice) = world_with_secret();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let api = format!("https://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            conn.set_read_timeout(Some(std::time::Duration::from_secs(2)))
                .unwrap();
            let mut buf = [0u8; 4096];
            let n = conn.read(&mut buf).unwrap_or(0);
            log.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    let out = w
        .cmd(&alice)
        .args(["verify", "shop"])
        .env("MPVAULT_WECHAT_API", &api)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(exit::UNVERIFIED), "{err}");
    assert!(err.contains(&format!("cannot reach {api}")), "{err}");
    let bytes = seen.lock().unwrap().clone();
    // A TLS record of type handshake (22), version 3.x: a ClientHello.
    assert!(
        bytes.len() > 5 && bytes[0] == 0x16 && bytes[1] == 0x03,
        "not a TLS handshake: {:?}",
        String::from_utf8_lossy(&bytes)
    );
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        !text.contains(APPSECRET),
        "the AppSecret went out in plain text"
    );
    assert!(
        !text.contains("stable_token"),
        "the request went out in plain text"
    );
}

/// A real TLS server (openssl s_server) with a self-signed certificate for 127.0.0.1: the
/// certificate is not trusted, so verify stops at the handshake (exit 9, naming the
/// certificate) and the AppSecret is never sent.
#[test]
fn an_https_api_with_an_untrusted_certificate_is_refused() {
    let (w, alice) = world_with_secret();
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .args(["-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1"])
        // A server certificate (not a CA's), so the only thing wrong with it is its issuer.
        .args(["-addext", "basicConstraints=critical,CA:FALSE", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl is installed");
    assert!(made.status.success());
    // Port 0: the OS picks a free one and s_server says which, so no other test can take it.
    let mut server = std::process::Command::new("openssl")
        .args(["s_server", "-accept", "0", "-www", "-cert"])
        .arg(&cert)
        .arg("-key")
        .arg(&key)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let port = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| Some(l.strip_prefix("ACCEPT")?.rsplit(':').next()?.to_string()))
        .expect("s_server says where it listens");
    let api = format!("https://127.0.0.1:{port}");
    let out = w
        .cmd(&alice)
        .args(["verify", "shop"])
        .env("MPVAULT_WECHAT_API", &api)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    server.kill().unwrap();
    server.wait().unwrap();
    // What s_server printed after it listened: a request that got through would be there.
    let served: Vec<String> = lines.map_while(Result::ok).collect();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(exit::UNVERIFIED), "{err}");
    assert!(err.contains(&format!("cannot reach {api}")), "{err}");
    assert!(
        err.contains("invalid peer certificate: UnknownIssuer"),
        "{err}"
    );
    assert!(!err.contains(APPSECRET), "{err}");
    assert!(
        !served.iter().any(|l| l.contains("stable_token")),
        "a request reached the server: {served:?}"
    );
}
