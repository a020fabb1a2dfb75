//! The layering of `docs/ARCHITECTURE.md`, checked over the sources: no cycles between the
//! top-level modules nor between the parts of `vault`, the leaves stay leaves, the storage
//! layer (`store`, `vault`) neither prompts, prints nor reaches up to identities, trust or
//! commands, trust's judgement does no I/O, and only the edge prints.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Edges allowed to close a cycle for now: a debt to pay, kept empty.
const KNOWN_BACK_EDGES: &[(&str, &str)] = &[];

/// Each file's code without comments and without its `#[cfg(test)] mod tests`.
fn sources() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path
                    .strip_prefix(Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                let text = std::fs::read_to_string(&path).unwrap();
                let code = text
                    .split("#[cfg(test)]\nmod tests")
                    .next()
                    .unwrap()
                    .lines()
                    .map(|l| l.split("//").next().unwrap())
                    .collect::<Vec<_>>()
                    .join("\n");
                out.push((rel, code));
            }
        }
    }
    out
}

fn module_of(rel: &str) -> Option<String> {
    let first = rel.split('/').next().unwrap().trim_end_matches(".rs");
    (!matches!(first, "lib" | "main")).then(|| first.to_string())
}

/// The top-level modules a piece of code names through `crate::`.
fn uses(code: &str) -> BTreeSet<String> {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = BTreeSet::new();
    for part in code.split("crate::").skip(1) {
        if let Some(group) = part.strip_prefix('{') {
            let group = group.split('}').next().unwrap();
            out.extend(group.split(',').map(|item| ident(item.trim())));
        } else {
            out.insert(ident(part));
        }
    }
    out.retain(|m| m.starts_with(|c: char| c.is_ascii_lowercase()));
    out
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (rel, code) in sources() {
        let Some(module) = module_of(&rel) else {
            continue;
        };
        let used = uses(&code);
        let entry = graph.entry(module.clone()).or_default();
        entry.extend(used.into_iter().filter(|m| *m != module));
    }
    graph
}

/// The parts of `vault` (its files and folders) each names through `crate::vault::` or, from a
/// file of `vault/`, `super::` (from a file of a folder in it, `super::super::`).
fn vault_graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (rel, code) in sources() {
        let parts: Vec<&str> = rel.split('/').collect();
        if parts.first() != Some(&"vault") || rel == "vault/mod.rs" {
            continue;
        }
        let part = parts[1].trim_end_matches(".rs").to_string();
        let up = if parts.len() == 2 {
            "super::"
        } else {
            "super::super::"
        };
        let mut used = BTreeSet::new();
        for prefix in ["crate::vault::", up] {
            let marked = code.replace(prefix, "crate::");
            used.extend(uses(&marked));
        }
        let entry = graph.entry(part.clone()).or_default();
        entry.extend(used.into_iter().filter(|m| *m != part));
    }
    // Only edges between parts of the vault count here.
    let parts: BTreeSet<String> = graph.keys().cloned().collect();
    for edges in graph.values_mut() {
        edges.retain(|m| parts.contains(m));
    }
    graph
}

/// Repeatedly removes modules that use nothing left, or that nothing left uses; what remains
/// lies on a cycle (or between two).
fn assert_no_cycle(mut graph: BTreeMap<String, BTreeSet<String>>) {
    loop {
        let used: BTreeSet<String> = graph.values().flatten().cloned().collect();
        let ends: Vec<String> = graph
            .iter()
            .filter(|(m, to)| to.iter().all(|t| !graph.contains_key(t)) || !used.contains(*m))
            .map(|(m, _)| m.clone())
            .collect();
        if ends.is_empty() {
            break;
        }
        for end in ends {
            graph.remove(&end);
        }
    }
    assert!(graph.is_empty(), "modules on a cycle: {graph:?}");
}

#[test]
fn the_modules_form_no_cycle() {
    let mut graph = graph();
    for (from, to) in KNOWN_BACK_EDGES {
        if let Some(edges) = graph.get_mut(*from) {
            edges.remove(*to);
        }
    }
    assert_no_cycle(graph);
}

#[test]
fn the_parts_of_the_vault_form_no_cycle() {
    let graph = vault_graph();
    for part in ["model", "parse", "limits", "policy", "merge", "keyring"] {
        assert!(graph.contains_key(part), "vault has no part {part}");
    }
    assert_no_cycle(graph);
}

#[test]
fn the_vault_does_not_use_the_export_formats() {
    assert!(
        !graph()["vault"].contains("export"),
        "vault uses crate::export"
    );
}

#[test]
fn trusts_judgement_does_no_io() {
    let (_, code) = sources()
        .into_iter()
        .find(|(rel, _)| rel == "trust/judge.rs")
        .expect("trust/judge.rs exists");
    for io in [
        "std::fs",
        "std::env",
        "std::process",
        "now_utc",
        "crate::git",
        "crate::store",
        "crate::identity",
    ] {
        assert!(!code.contains(io), "trust/judge.rs uses {io}");
    }
}

#[test]
fn only_the_edge_prints() {
    let may = ["main.rs", "output.rs", "commands/mod.rs", "agent/server.rs"];
    for (rel, code) in sources() {
        if may.contains(&rel.as_str()) {
            continue;
        }
        for printer in ["print!", "println!", "eprint!", "eprintln!", "dbg!"] {
            assert!(!code.contains(printer), "{rel} uses {printer}");
        }
    }
}

#[test]
fn the_leaves_stay_leaves() {
    let graph = graph();
    let allowed: &[(&str, &[&str])] = &[
        ("random", &[]),
        ("prompt", &["display"]),
        ("key", &["error", "prompt"]),
        ("error", &["export", "random", "redact"]),
    ];
    for (module, may) in allowed {
        let used = graph
            .get(*module)
            .unwrap_or_else(|| panic!("there is no module {module}"));
        let extra: Vec<&String> = used.iter().filter(|m| !may.contains(&m.as_str())).collect();
        assert!(extra.is_empty(), "{module} uses {extra:?}");
    }
}

#[test]
fn the_storage_layer_neither_prints_nor_reaches_up() {
    let above = [
        "identity", "prompt", "trust", "commands", "cli", "output", "health",
    ];
    for (rel, code) in sources() {
        let module = module_of(&rel);
        if !matches!(module.as_deref(), Some("store" | "vault")) {
            continue;
        }
        for printer in ["print!", "println!", "eprint!", "eprintln!", "dbg!"] {
            assert!(!code.contains(printer), "{rel} uses {printer}");
        }
        let used = uses(&code);
        for module in above {
            assert!(!used.contains(module), "{rel} uses crate::{module}");
        }
    }
}
