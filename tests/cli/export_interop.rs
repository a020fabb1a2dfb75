//! Interop tests: render a corpus of nasty values with every format and feed
//! the file to the REAL reader (npm dotenv / dotenv-expand / Vite, python-dotenv,
//! dash and bash). Every value must read back byte for byte, or `render` must
//! have refused it, and refusals are checked to be justified.
//!
//! Install the readers with `tests/interop/install.sh`. Set
//! `MPVAULT_SKIP_INTEROP=1` to skip (the test says so). `MPVAULT_INTEROP_SEED`
//! and `MPVAULT_INTEROP_CASES` change the random part of the corpus.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use mpvault::export::{render, Dialect, Entry, ExportError, Format};

use crate::common;

use common::interop::{node, python, readers_ready, run};

/// A folder for one check's files, removed when dropped (also when an assertion fails).
fn scratch_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("mpvault-interop-")
        .tempdir()
        .unwrap()
}

/// Small deterministic PRNG (xorshift64*).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(n).unwrap()).unwrap()
    }
}

fn name(i: usize) -> String {
    // VITE_ prefix so Vite's loadEnv returns every key.
    format!("VITE_K{i}")
}

const PEM: &str = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n+/=abc\n-----END PRIVATE KEY-----\n";

fn fixed_corpus() -> Vec<String> {
    [
        "plain",
        "",
        "$",
        "$NAME",
        "${X}",
        "${X:-d}",
        "${X-d}",
        "\\$",
        "\\\\$",
        "\\$NAME",
        "\\\\$NAME",
        "\\\\\\${X}",
        "$(cmd)",
        "\\$(cmd)",
        "a$",
        "a$ b",
        "trail\\",
        "\\",
        "\\\\",
        "line\\nbreak",
        "line\\rbreak",
        "it's",
        "say \"hi\"",
        "`tick`",
        "'\"`",
        "a'b\"c`d",
        "'\"` #",
        "#",
        "a#b",
        " #x",
        "x #y",
        "=",
        "a=b=c",
        "  lead",
        "trail  ",
        "  both  ",
        "\ttab\t",
        "中文",
        "密钥 😀 🔑",
        "cr\rcr",
        "crlf\r\nline",
        "\r",
        "\r\n",
        "\n",
        "multi\nline\n",
        PEM,
        "${A:-${B}}",
        "${A:-\\${B}}",
        "$A-x \\$B",
        "$A}\\$B",
        "${VITE_K0}",
        "$VITE_K1",
        "${VITE_K2:-fallback}",
        "$VITE_K56",
        "${}",
        "${:}",
        "${a:b}",
        "%s %0A",
        "export X=1",
        "\u{a0}nbsp\u{a0}",
        "\u{feff}bom",
        "sep\u{2028}x",
        "nul\0byte",
        "{\"json\": [1, 2]}",
        "wx1234567890abcdef",
    ]
    .iter()
    .map(ToString::to_string)
    .collect()
}

const ALPHABET: &[&str] = &[
    "$",
    "$",
    "$",
    "{",
    "}",
    "}",
    ":-",
    "-",
    ":",
    "\\",
    "\\",
    "\\",
    "'",
    "\"",
    "`",
    "#",
    " ",
    " ",
    "\t",
    "\n",
    "\r",
    "\r\n",
    "=",
    "(",
    ")",
    "a",
    "B",
    "_",
    "1",
    ".",
    "n",
    "r",
    "x",
    "%",
    "中",
    "😀",
    "\u{a0}",
    "\u{2028}",
    "\u{2029}",
    "\u{feff}",
    "\u{85}",
    "\u{b}",
    "\u{c}",
    "\u{1c}",
    "$VITE_K0",
    "${VITE_K1}",
    "export ",
    "K=",
];

/// Dense in what dotenv-expand's substitution regex and its nested
/// `${...}` defaults react to.
const DOLLAR_ALPHABET: &[&str] = &[
    "$", "$", "{", "}", "\\", "\\", ":-", "-", ":", "a", "_", ".", "(", " ", "'", "\n",
];

fn random_corpus() -> Vec<String> {
    let seed: u64 = std::env::var("MPVAULT_INTEROP_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x6d70_7661_756c_7421);
    let cases: usize = std::env::var("MPVAULT_INTEROP_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(600);
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    (0..cases)
        .map(|i| {
            // two cases in three over the rich alphabet, one over the `$` one
            let alphabet = if i % 3 == 2 {
                DOLLAR_ALPHABET
            } else {
                ALPHABET
            };
            let len = rng.below(20);
            (0..len)
                .map(|_| alphabet[rng.below(alphabet.len())])
                .collect()
        })
        .collect()
}

fn corpus() -> Vec<String> {
    let mut c = fixed_corpus();
    c.extend(random_corpus());
    c
}

struct Split {
    accepted: Vec<(String, String)>,
    refused: Vec<(String, String, ExportError)>,
}

/// Render each value on its own to learn which ones `format` refuses; check
/// every refusal message names the key and not the value.
fn split(format: Format, values: &[String]) -> Split {
    let mut accepted = Vec::new();
    let mut refused = Vec::new();
    for (i, v) in values.iter().enumerate() {
        let n = name(i);
        match render(format, &[Entry::new(n.clone(), v.clone(), true)]) {
            Ok(_) => accepted.push((n, v.clone())),
            Err(e) => {
                let msg = e.to_string();
                assert!(
                    msg.starts_with(&n),
                    "{format:?}: message must start with the key: {msg}"
                );
                // One sentence without the hint, and the hint apart, as every error of the crate.
                assert!(!msg.ends_with('.') && !e.hint().is_empty(), "{msg}");
                assert_eq!(msg.lines().count(), 1, "{msg}");
                if v.len() >= 8 {
                    assert!(!msg.contains(v.as_str()), "message leaks the value: {msg}");
                }
                if v.contains('\0') {
                    assert!(
                        matches!(e, ExportError::NulByte { .. }),
                        "{format:?} {n}: NUL must give NulByte, got {msg}"
                    );
                } else {
                    assert!(
                        !matches!(e, ExportError::NulByte { .. }),
                        "{format:?} {n}: NulByte without a NUL"
                    );
                }
                refused.push((n, v.clone(), e));
            }
        }
    }
    assert!(
        values.iter().filter(|v| v.contains('\0')).count()
            <= refused.iter().filter(|r| r.1.contains('\0')).count()
            || format == Format::Json,
        "{format:?}: a NUL value was accepted"
    );
    Split { accepted, refused }
}

/// Render all accepted entries into ONE file (so entries interact as they
/// would in real use) and write it to DIR/.env.
fn write_file(format: Format, accepted: &[(String, String)]) -> (tempfile::TempDir, PathBuf) {
    let entries: Vec<Entry> = accepted
        .iter()
        .map(|(n, v)| Entry::new(n.clone(), v.clone(), true))
        .collect();
    let text = render(format, &entries).expect("accepted one by one, so accepted together");
    let dir = scratch_dir();
    let file = dir.path().join(".env");
    std::fs::write(&file, text.as_bytes()).unwrap();
    (dir, file)
}

fn compare(label: &str, accepted: &[(String, String)], got: &BTreeMap<String, String>) {
    let mut bad = Vec::new();
    for (n, v) in accepted {
        match got.get(n) {
            Some(g) if g == v => {}
            other => bad.push(format!("  {n}: wrote {v:?}, {label} read {other:?}")),
        }
    }
    assert!(
        bad.is_empty(),
        "{label}: {} of {} values did not read back byte for byte:\n{}",
        bad.len(),
        accepted.len(),
        bad.join("\n")
    );
}

fn as_map(v: serde_json::Value) -> BTreeMap<String, String> {
    serde_json::from_value(v).expect("reader printed a JSON object of strings")
}

fn report(label: &str, total: usize, s: &Split) {
    let nul = s.refused.iter().filter(|r| r.1.contains('\0')).count();
    println!(
        "{label}: {total} cases ({} fixed + {} generated), {} read back, {} refused ({} for NUL)",
        fixed_corpus().len(),
        total - fixed_corpus().len(),
        s.accepted.len(),
        s.refused.len(),
        nul
    );
}

// ------------------------------------------------- dotenv justification ---

/// What may follow a value in a file mpvault writes: quoted values, including
/// ones whose first line is empty (a value must survive whatever follows it).
const CONTEXTS: &[&str] = &[
    "Z1='1'\nZ2=\"2\"\nZ3=`3`\n",
    "Z1='\n1'\nZ2=\"2\"\nZ3=`3`\n",
    "Z1='1'\nZ2=\"\n2\"\nZ3=`3`\n",
    "Z1='1'\nZ2=\"2\"\nZ3=`\n3`\n",
];

/// Every straightforward spelling of `v` for npm dotenv 16, in each context.
fn node_candidates(v: &str) -> Vec<String> {
    let cr = v.replace('\r', "\\r");
    let forms = [
        v.to_string(),
        format!("'{v}'"),
        format!("\"{v}\""),
        format!("`{v}`"),
        format!("\"{cr}\""),
        format!("\"{}\"", cr.replace('\n', "\\n")),
    ];
    forms
        .iter()
        .flat_map(|f| {
            CONTEXTS
                .iter()
                .map(move |c| format!("# header\nVITE_T={f}\n{c}"))
        })
        .collect()
}

/// Assert that no candidate spelling of any refused value reads back through
/// plain dotenv: the refusal was necessary. The same search must find a spelling for tricky
/// accepted values (`controls`), or a search that finds nothing would prove every refusal.
fn justify_node_refusals(values: &[&str], controls: &[&str]) {
    let values: Vec<&str> = values
        .iter()
        .copied()
        .filter(|v| !v.contains('\0'))
        .collect();
    let controls: Vec<&str> = controls
        .iter()
        .copied()
        .filter(|v| v.contains(['\'', '"', '`', '#', '\n', '\r', ' ']))
        .take(40)
        .collect();
    assert!(controls.len() >= 20, "too few tricky accepted values");
    let all: Vec<&str> = values.iter().chain(&controls).copied().collect();
    let (works, docs) = node_spellings(&all);
    for (c, works) in controls.iter().zip(&works[values.len()..]) {
        assert!(
            works.is_some(),
            "positive control: the search finds no spelling for the accepted value {c:?}"
        );
    }
    for (v, works) in values.iter().zip(&works) {
        if let Some(form) = works {
            panic!(
                "over-refusal: {v:?} was refused but spelling {:?} reads back with dotenv",
                docs[*form]
            );
        }
    }
}

/// For each value, the index (in the docs returned beside) of a candidate spelling that reads
/// back with dotenv 16, and leaves the rest intact, in every context; None when none does.
fn node_spellings(values: &[&str]) -> (Vec<Option<usize>>, Vec<String>) {
    let docs: Vec<String> = values.iter().flat_map(|v| node_candidates(v)).collect();
    let dir = scratch_dir();
    let f = dir.path().join("docs.json");
    std::fs::write(&f, serde_json::to_vec(&docs).unwrap()).unwrap();
    let out = node(&["read_node.js", "node", f.to_str().unwrap(), "--docs"]);
    let results = out.as_array().unwrap();
    let per = results.len() / values.len();
    let n = CONTEXTS.len();
    let works = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let mine = &results[i * per..(i + 1) * per];
            (0..per / n)
                .find(|form| {
                    mine[form * n..(form + 1) * n].iter().all(|r| {
                        r["VITE_T"] == **v
                            && r["Z1"].as_str().is_some_and(|z| z.ends_with('1'))
                            && r["Z2"].as_str().is_some_and(|z| z.ends_with('2'))
                            && r["Z3"].as_str().is_some_and(|z| z.ends_with('3'))
                    })
                })
                .map(|form| i * per + form * n)
        })
        .collect();
    (works, docs)
}

// -------------------------------------------------------------- tests ---

#[test]
fn dotenv_node_reads_back() {
    if !readers_ready("dotenv node") {
        return;
    }
    let values = corpus();
    let s = split(Format::Dotenv(Dialect::Node), &values);
    let (_dir, file) = write_file(Format::Dotenv(Dialect::Node), &s.accepted);
    let got = as_map(node(&["read_node.js", "node", file.to_str().unwrap()]));
    compare("dotenv 16", &s.accepted, &got);
    assert_eq!(
        got.len(),
        s.accepted.len(),
        "dotenv saw extra keys: {got:?}"
    );
    let refused: Vec<&str> = s.refused.iter().map(|r| r.1.as_str()).collect();
    let accepted: Vec<&str> = s.accepted.iter().map(|a| a.1.as_str()).collect();
    justify_node_refusals(&refused, &accepted);
    report("dotenv --dialect node (dotenv 16.4.7)", values.len(), &s);
}

/// The texts a proof tries for a refused value: every count of backslashes
/// from 0 to m + 3 before each `$` that had m (no reader removes more than
/// two), all combinations when there are at most `FULL` of them; otherwise
/// m + 1 and m + 2 everywhere, and each `$` varied alone around those.
/// Returns the texts and whether the search was exhaustive.
fn backslash_variants(v: &str) -> (Vec<String>, bool) {
    const FULL: usize = 256;
    // the value as pieces: text between `$`s, and the backslash count before each `$`
    let mut pieces = vec![String::new()];
    let mut counts: Vec<usize> = Vec::new();
    for c in v.chars() {
        if c == '$' {
            let last = pieces.last_mut().unwrap();
            let stripped = last.trim_end_matches('\\').len();
            counts.push(last.len() - stripped);
            last.truncate(stripped);
            pieces.push(String::new());
        } else {
            pieces.last_mut().unwrap().push(c);
        }
    }
    let build = |ks: &[usize]| -> String {
        let mut out = pieces[0].clone();
        for (k, piece) in ks.iter().zip(&pieces[1..]) {
            out.push_str(&"\\".repeat(*k));
            out.push('$');
            out.push_str(piece);
        }
        out
    };
    let total: usize = counts.iter().map(|m| m + 4).product();
    if total <= FULL {
        let mut out = Vec::new();
        let mut ks = vec![0usize; counts.len()];
        loop {
            out.push(build(&ks));
            let mut j = 0;
            loop {
                if j == ks.len() {
                    return (out, true);
                }
                ks[j] += 1;
                if ks[j] <= counts[j] + 3 {
                    break;
                }
                ks[j] = 0;
                j += 1;
            }
        }
    }
    let mut out = Vec::new();
    for base in [1, 2] {
        let ks: Vec<usize> = counts.iter().map(|m| m + base).collect();
        out.push(build(&ks));
        for j in 0..ks.len() {
            for k in 0..=counts[j] + 3 {
                let mut varied = ks.clone();
                varied[j] = k;
                out.push(build(&varied));
            }
        }
    }
    (out, false)
}

#[test]
fn dotenv_expand_reads_back() {
    if !readers_ready("dotenv expand") {
        return;
    }
    let values = corpus();
    let s = split(Format::Dotenv(Dialect::Expand), &values);
    let (dir, file) = write_file(Format::Dotenv(Dialect::Expand), &s.accepted);

    let (labels, vites) = expand_readers_read_back(&s, dir.path(), &file);
    let proof = prove_refusals(&s, dir.path(), labels.len());
    report(
        "dotenv --dialect expand (every reader below)",
        values.len(),
        &s,
    );
    println!(
        "  {:<58} {:>9} {:>8} {:>22}",
        "reader", "read back", "refused", "of those, it alone reads"
    );
    for (label, n) in labels.iter().zip(&proof.alone) {
        println!(
            "  {label:<58} {:>9} {:>8} {n:>22}",
            s.accepted.len(),
            s.refused.len()
        );
    }
    for label in &vites {
        println!(
            "  {label:<58} {:>9} {:>8} {:>22}",
            s.accepted.len(),
            s.refused.len(),
            "-"
        );
    }
    println!(
        "  proof: {} refused values ({} more for NUL) have no spelling every reader reads back; \
         {} by trying every backslash count before every `$`, {} by varying one `$` at a time",
        proof.refused,
        s.refused.len() - proof.refused,
        proof.exhaustive,
        proof.refused - proof.exhaustive
    );
    println!("  refused because of: {:?}", refusal_reasons(&s));
}

/// Round trip through every reader: the dotenv + dotenv-expand pairs, and Vite's own loadEnv.
/// The labels of the pairs and of the Vite versions.
fn expand_readers_read_back(s: &Split, dir: &Path, file: &Path) -> (Vec<String>, Vec<String>) {
    let out = node(&["read_expand.js", file.to_str().unwrap()]);
    let labels: Vec<String> = serde_json::from_value(out["readers"].clone()).unwrap();
    for label in &labels {
        let got = as_map(out["read"][label].clone());
        compare(label, &s.accepted, &got);
        assert_eq!(got.len(), s.accepted.len(), "{label}: extra keys: {got:?}");
    }
    let mut vites = Vec::new();
    for pkg in ["vite", "vite-8"] {
        let out = node(&["read_vite.mjs", pkg, dir.to_str().unwrap()]);
        let label = format!("Vite {} loadEnv", out["version"].as_str().unwrap());
        compare(&label, &s.accepted, &as_map(out["env"].clone()));
        vites.push(label);
    }
    (labels, vites)
}

/// What the proof of the refusals found.
struct Proof {
    /// Refused values proved (all but those with a NUL).
    refused: usize,
    /// Of those, how many by trying every backslash count before every `$`.
    exhaustive: usize,
    /// For each reader, how many refused values it alone reads back.
    alone: Vec<usize>,
}

/// Proof for the refusals: no spelling of the value, with any number of backslashes before
/// each `$`, in any quoting form, reads back with every reader. (Spellings that substitute
/// some other variable are not tried: the value would then depend on the build machine's
/// environment, which Vite lets win.)
fn prove_refusals(s: &Split, dir: &Path, readers: usize) -> Proof {
    let refused: Vec<&str> = s
        .refused
        .iter()
        .map(|r| r.1.as_str())
        .filter(|v| !v.contains('\0'))
        .collect();
    let mut exhaustive = 0;
    let cases: Vec<serde_json::Value> = refused
        .iter()
        .map(|v| {
            let (candidates, full) = backslash_variants(v);
            exhaustive += usize::from(full);
            serde_json::json!({"value": v, "candidates": candidates})
        })
        .collect();
    // The same search must find a spelling for accepted values, or it proves nothing.
    let controls: Vec<serde_json::Value> = s
        .accepted
        .iter()
        .filter(|(_, v)| v.contains('$') || v.contains(['\'', '"', '`', '#', '\n']))
        .take(40)
        .map(|(_, v)| serde_json::json!({"value": v, "candidates": backslash_variants(v).0}))
        .collect();
    assert!(controls.len() >= 20, "too few tricky accepted values");
    let f = dir.join("cases.json");
    std::fs::write(
        &f,
        serde_json::to_vec(&[cases, controls.clone()].concat()).unwrap(),
    )
    .unwrap();
    let proofs = node(&["read_expand.js", f.to_str().unwrap(), "--prove"]);
    let (proofs, control_proofs) = proofs.as_array().unwrap().split_at(refused.len());
    for (c, proof) in controls.iter().zip(control_proofs) {
        assert_eq!(
            proof["all"].as_bool(),
            Some(true),
            "the proof's search finds no spelling for the accepted value {}",
            c["value"]
        );
    }
    let mut alone = vec![0usize; readers];
    for (v, proof) in refused.iter().zip(proofs) {
        assert_eq!(
            proof["all"].as_bool(),
            Some(false),
            "over-refusal: {v:?} was refused but a spelling reads back with every reader"
        );
        for (i, w) in proof["alone"].as_array().unwrap().iter().enumerate() {
            alone[i] += usize::from(w.as_bool().unwrap());
        }
    }
    Proof {
        refused: refused.len(),
        exhaustive,
        alone,
    }
}

/// The refusals counted by their reason.
fn refusal_reasons(s: &Split) -> BTreeMap<&'static str, usize> {
    let mut reasons = BTreeMap::new();
    for (_, _, e) in &s.refused {
        let msg = e.to_string();
        let why = if msg.contains("NUL") {
            "a NUL byte"
        } else if msg.contains("dotenv-expand 11 and dotenv-expand 12/13") {
            "a backslash before $NAME (dotenv-expand 11 vs 12/13)"
        } else if msg.contains("carriage return") {
            "a carriage return (Node's parser drops it)"
        } else {
            "a quote mix (no spelling dotenv and Node's parser share)"
        };
        *reasons.entry(why).or_default() += 1;
    }
    reasons
}

#[test]
fn dotenv_python_reads_back() {
    if !readers_ready("dotenv python") {
        return;
    }
    let values = corpus();
    let s = split(Format::Dotenv(Dialect::Python), &values);
    let (dir, file) = write_file(Format::Dotenv(Dialect::Python), &s.accepted);
    let got = as_map(python(&["file", file.to_str().unwrap()]));
    compare("python-dotenv", &s.accepted, &got);
    assert_eq!(got.len(), s.accepted.len(), "extra keys: {got:?}");
    // Justify: python-dotenv's own `_posix_variable` must match every refused
    // value (it runs after unescaping, so no spelling avoids it) and no
    // accepted one.
    let refused: Vec<&str> = s
        .refused
        .iter()
        .map(|r| r.1.as_str())
        .filter(|v| !v.contains('\0'))
        .collect();
    let accepted: Vec<&str> = s.accepted.iter().map(|a| a.1.as_str()).collect();
    for (list, want) in [(&refused, true), (&accepted, false)] {
        let f = dir.path().join("posix.json");
        std::fs::write(&f, serde_json::to_vec(list).unwrap()).unwrap();
        let flags = python(&["posix", f.to_str().unwrap()]);
        for (v, flag) in list.iter().zip(flags.as_array().unwrap()) {
            assert_eq!(
                flag.as_bool(),
                Some(want),
                "python-dotenv interpolation of {v:?}: refused={want}"
            );
        }
    }
    report(
        "dotenv --dialect python (python-dotenv 1.2.4)",
        values.len(),
        &s,
    );
}

fn read_shell(shell: &str, how: &str, file: &Path, names: &[String]) -> BTreeMap<String, String> {
    let vars = names.iter().fold(String::new(), |mut vars, n| {
        let _ = write!(vars, " \"${n}\"");
        vars
    });
    let script = match how {
        "source" => format!("set -a; . \"$1\"; printf '%s\\0'{vars}"),
        _ => format!("eval \"$(cat \"$1\")\"; printf '%s\\0'{vars}"),
    };
    let out = run(Command::new(shell)
        .args(["-c", &script, shell])
        .arg(file)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default()));
    let parts: Vec<String> = out
        .split(|&b| b == 0)
        .map(|p| String::from_utf8(p.to_vec()).expect("utf-8"))
        .collect();
    assert_eq!(
        parts.len(),
        names.len() + 1,
        "{shell}: wrong number of values"
    );
    names.iter().cloned().zip(parts).collect()
}

#[test]
fn shell_reads_back() {
    if !readers_ready("shell") {
        return;
    }
    let values = corpus();
    let s = split(Format::Shell, &values);
    for (_, v, _) in &s.refused {
        assert!(v.contains('\0'), "shell must only refuse NUL");
    }
    let (_dir, file) = write_file(Format::Shell, &s.accepted);
    let names: Vec<String> = s.accepted.iter().map(|a| a.0.clone()).collect();
    for shell in ["sh", "dash", "bash"] {
        for how in ["source", "eval"] {
            let got = read_shell(shell, how, &file, &names);
            compare(&format!("{shell} ({how})"), &s.accepted, &got);
        }
    }
    report("shell (sh, dash, bash; . and eval)", values.len(), &s);
}

#[test]
fn json_reads_back() {
    let values = corpus();
    let s = split(Format::Json, &values);
    assert!(s.refused.is_empty(), "json refuses nothing");
    let entries: Vec<Entry> = s
        .accepted
        .iter()
        .map(|(n, v)| Entry::new(n.clone(), v.clone(), true))
        .collect();
    let text = render(Format::Json, &entries).unwrap();
    let got: BTreeMap<String, String> = serde_json::from_str(&text).unwrap();
    compare("serde_json", &s.accepted, &got);
    // entry order is kept
    let mut last = 0;
    for (n, _) in &s.accepted {
        let at = text.find(&format!("\"{n}\":")).unwrap();
        assert!(at >= last);
        last = at;
    }
    report("json", values.len(), &s);
}

/// `$GITHUB_ENV` parser following actions/runner `FileCommandManager.cs`
/// (`SetEnvFileCommand.ProcessCommand` and `ReadLine`, Linux: lines end at `\n`).
fn parse_github_env(text: &str) -> BTreeMap<String, String> {
    fn read_line<'a>(text: &'a str, index: &mut usize) -> Option<(&'a str, bool)> {
        if *index >= text.len() {
            return None;
        }
        let start = *index;
        match text[start..].find('\n') {
            None => {
                *index = text.len();
                Some((&text[start..], false))
            }
            Some(k) => {
                *index = start + k + 1;
                Some((&text[start..start + k], true))
            }
        }
    }
    let mut out = BTreeMap::new();
    let mut index = 0;
    while let Some((line, _)) = read_line(text, &mut index) {
        if line.is_empty() {
            continue;
        }
        let eq = line.find('=');
        let heredoc = line.find("<<");
        match (eq, heredoc) {
            (Some(e), h) if h.is_none_or(|h| e < h) => {
                out.insert(line[..e].to_string(), line[e + 1..].to_string());
            }
            (_, Some(h)) => {
                let key = &line[..h];
                let delim = &line[h + 2..];
                let start = index;
                let mut end = index;
                loop {
                    let (l, had_newline) = read_line(text, &mut index)
                        .unwrap_or_else(|| panic!("Matching delimiter not found '{delim}'"));
                    if l == delim {
                        break;
                    }
                    assert!(had_newline, "EOF marker missing new line");
                    end = index - 1;
                }
                let value = if end > start { &text[start..end] } else { "" };
                out.insert(key.to_string(), value.to_string());
            }
            _ => panic!("Invalid format '{line}'"),
        }
    }
    out
}

#[test]
fn github_reads_back() {
    let values = corpus();
    let s = split(Format::Github, &values);
    for (_, v, _) in &s.refused {
        assert!(v.contains('\0'), "github must only refuse NUL");
    }
    let entries: Vec<Entry> = s
        .accepted
        .iter()
        .map(|(n, v)| Entry::new(n.clone(), v.clone(), true))
        .collect();
    let text = render(Format::Github, &entries).unwrap();
    let got = parse_github_env(&text);
    compare("GitHub runner rules", &s.accepted, &got);
    assert_eq!(got.len(), s.accepted.len());
    // a value that contains a would-be delimiter line still round-trips
    let tricky = "a\nghadelimiter_\nEOF\n";
    let text = render(Format::Github, &[Entry::new("T", tricky, true)]).unwrap();
    assert_eq!(parse_github_env(&text)["T"], tricky);
    report("github ($GITHUB_ENV)", values.len(), &s);
}

// ------------------------------------------------------------- import ---

/// Hand-written-looking files: comments, blank lines, `export`, blanks and `:` around the
/// separator, every quoting of values over the rich alphabet, inline comments, repeated names,
/// LF or CRLF line ends, sometimes a BOM.
fn hand_written_files(seed: u64, count: usize, bom: bool) -> Vec<String> {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let pieces = ALPHABET;
    (0..count)
        .map(|_| {
            let eol = if rng.below(3) == 0 { "\r\n" } else { "\n" };
            let mut file = String::new();
            if bom && rng.below(8) == 0 {
                file.push('\u{feff}');
            }
            for _ in 0..=rng.below(6) {
                match rng.below(8) {
                    0 => file.push_str("# a comment = 'x'"),
                    1 => {}
                    _ => {
                        let lead = ["", "", "export ", "  "][rng.below(4)];
                        let sep = ["=", "=", "=", " = ", "=  ", ": "][rng.below(6)];
                        let body: String = (0..rng.below(10))
                            .map(|_| pieces[rng.below(pieces.len())])
                            .collect();
                        let quote = ["", "", "'", "\"", "`"][rng.below(5)];
                        let tail = ["", "", " # note", "  "][rng.below(4)];
                        let _ = write!(
                            file,
                            "{lead}K{}{sep}{quote}{body}{quote}{tail}",
                            rng.below(4)
                        );
                    }
                }
                file.push_str(eol);
            }
            file
        })
        .collect()
}

fn docs_file(docs: &[String]) -> (tempfile::TempDir, PathBuf) {
    let dir = scratch_dir();
    let f = dir.path().join("docs.json");
    std::fs::write(&f, serde_json::to_vec(docs).unwrap()).unwrap();
    (dir, f)
}

/// `import`'s reader models against the real readers, on the files the writers make and on
/// generated hand-written ones: the node model reads exactly what npm dotenv reads, the python
/// model what python-dotenv reads (before interpolation), and every value the expand model
/// accepts is what every dotenv + dotenv-expand pair reads.
#[test]
fn import_reads_what_the_real_readers_read() {
    if !readers_ready("import") {
        return;
    }
    let mut docs = hand_written_files(0x696d_706f_7274, 600, true);
    for dialect in [Dialect::Expand, Dialect::Node, Dialect::Python] {
        let s = split(Format::Dotenv(dialect), &corpus());
        let entries: Vec<Entry> = s
            .accepted
            .iter()
            .map(|(n, v)| Entry::new(n.clone(), v.clone(), true))
            .collect();
        docs.push(
            render(Format::Dotenv(dialect), &entries)
                .unwrap()
                .to_string(),
        );
    }
    node_model_reads_as_dotenv(&docs);
    // Without the BOM, which import drops on purpose (and warns about): Node's parser and
    // python-dotenv would make it part of the first name.
    let docs: Vec<String> = docs
        .iter()
        .map(|d| d.trim_start_matches('\u{feff}').to_string())
        .collect();
    expand_model_reads_as_every_pair(&docs);
    python_model_reads_as_python_dotenv(&docs);
}

/// node: the whole file, name for name.
fn node_model_reads_as_dotenv(docs: &[String]) {
    use mpvault::export::read::read;
    let (_dir, f) = docs_file(docs);
    let real = node(&["read_node.js", "node", f.to_str().unwrap(), "--docs"]);
    let mut compared = 0;
    for (doc, real) in docs.iter().zip(real.as_array().unwrap()) {
        let Ok(reads) = read(Dialect::Node, doc) else {
            continue;
        };
        let mine: BTreeMap<String, String> = reads
            .into_iter()
            .map(|r| (r.name, r.value.unwrap().to_string()))
            .collect();
        assert_eq!(mine, as_map(real.clone()), "node model differs on {doc:?}");
        compared += 1;
    }
    println!(
        "import --dialect node: {compared} of {} files read exactly as dotenv 16 reads them",
        docs.len()
    );
    // Positive control: a model that refused every file would compare nothing and pass.
    assert_eq!(
        compared,
        docs.len(),
        "the node model refused files that dotenv 16 reads"
    );
    assert!(compared > 500, "too few files compared to mean anything");
}

/// expand: every accepted value is what every reader reads; refusals counted by reason.
fn expand_model_reads_as_every_pair(docs: &[String]) {
    use mpvault::export::read::{read, FileProblem};
    let (_dir, f) = docs_file(docs);
    let real = node(&["read_expand.js", f.to_str().unwrap(), "--docs"]);
    let (mut accepted, mut refused) = (0, BTreeMap::<&str, usize>::new());
    for (doc, real) in docs.iter().zip(real.as_array().unwrap()) {
        let reads = match read(Dialect::Expand, doc) {
            Ok(reads) => reads,
            Err(e) => {
                let why = match e {
                    FileProblem::LoneCarriageReturn => "file: a lone CR",
                    FileProblem::BuiltinDiverges { .. } => "file: Node's parser diverges",
                };
                *refused.entry(why).or_default() += 1;
                continue;
            }
        };
        for r in reads {
            match r.value {
                Ok(v) => {
                    for (label, parsed) in real.as_object().unwrap() {
                        assert_eq!(
                            parsed[&r.name].as_str(),
                            Some(v.as_str()),
                            "{label} reads {} differently from the import model in {doc:?}",
                            r.name
                        );
                    }
                    accepted += 1;
                }
                Err(reason) => *refused.entry(reason).or_default() += 1,
            }
        }
    }
    println!("import --dialect expand: {accepted} values read the same by every reader; refused: {refused:#?}");
    assert!(accepted > 500, "too few values accepted to mean anything");
}

/// python: names and values as python-dotenv reads them (before interpolation).
fn python_model_reads_as_python_dotenv(docs: &[String]) {
    use mpvault::export::read::read;
    let (_dir, f) = docs_file(docs);
    let real = python(&["docs", f.to_str().unwrap()]);
    for (doc, real) in docs.iter().zip(real.as_array().unwrap()) {
        let reads = read(Dialect::Python, doc).unwrap();
        let real = real.as_object().unwrap();
        assert_eq!(
            reads
                .iter()
                .map(|r| r.name.as_str())
                .collect::<std::collections::BTreeSet<_>>(),
            real.keys().map(String::as_str).collect(),
            "python model sees other names in {doc:?}"
        );
        for r in reads {
            match r.value {
                Ok(v) => assert_eq!(
                    real[&r.name].as_str(),
                    Some(v.as_str()),
                    "{} in {doc:?}",
                    r.name
                ),
                Err(reason) if reason.contains("no `=`") => assert!(real[&r.name].is_null()),
                Err(_) => assert!(real[&r.name].as_str().unwrap().contains("${"), "{doc:?}"),
            }
        }
    }
    println!(
        "import --dialect python: {} files read as python-dotenv reads them",
        docs.len()
    );
}
