//! Environment-variable names that take over how programs start. `run` puts an app's values
//! into a build's environment and `export` into files that builds load, so a value named
//! `BASH_ENV`, `LD_PRELOAD` or `NODE_OPTIONS` would let anyone who can set config (a tester,
//! or anyone who pushes a hand-edited file) run their code inside a developer's build, next to
//! the AppSecret. `config set` and `add-secret` refuse these names; `run` and `export` skip
//! them with a warning if a file carries them anyway.
//!
//! Sources: bash(1) and dash(1) (startup files and `ENV`), ld.so(8), dyld(1), node(1),
//! python(1), perlrun(1), ruby(1), git(1), the JDK's launcher, npm-config(7), and
//! glibc's `GLIBC_TUNABLES`/`GCONV_PATH`. Names are compared case-insensitively (npm reads
//! `npm_config_*`, Windows ignores case).

/// Names that take over startup, matched whole or by their start, with why each group does.
struct Rule {
    exact: &'static [&'static str],
    prefixes: &'static [&'static str],
    why: &'static str,
}

const RULES: &[Rule] = &[
    Rule {
        exact: &[],
        prefixes: &["MPVAULT_"],
        why: "mpvault reads it to find its vault, identity or passphrase",
    },
    Rule {
        exact: &[
            "PATH",
            "SHELL",
            "EDITOR",
            "VISUAL",
            "PAGER",
            "BROWSER",
            "SSH_ASKPASS",
            "SUDO_ASKPASS",
            "TMPDIR",
            "HOME",
        ],
        prefixes: &[],
        why: "it decides which programs run or where they look first",
    },
    Rule {
        exact: &[
            "BASH_ENV",
            "ENV",
            "ZDOTDIR",
            "PROMPT_COMMAND",
            "PS4",
            "SHELLOPTS",
            "BASHOPTS",
            "IFS",
            "CDPATH",
            "GLOBIGNORE",
            "INPUTRC",
            "HISTFILE",
        ],
        prefixes: &["BASH_FUNC_"],
        why: "shells run or obey it when they start",
    },
    Rule {
        exact: &[
            "GCONV_PATH",
            "GLIBC_TUNABLES",
            "HOSTALIASES",
            "NLSPATH",
            "LOCPATH",
            "MALLOC_CHECK_",
        ],
        prefixes: &["LD_", "DYLD_"],
        why: "the dynamic loader or the C library loads code or files named by it",
    },
    Rule {
        exact: &[
            "NODE_OPTIONS",
            "NODE_PATH",
            "NODE_REPL_EXTERNAL_MODULE",
            "ELECTRON_RUN_AS_NODE",
            "JAVA_TOOL_OPTIONS",
            "_JAVA_OPTIONS",
            "JDK_JAVA_OPTIONS",
            "CLASSPATH",
            "PHPRC",
            "PHP_INI_SCAN_DIR",
            "LUA_INIT",
            "LUA_PATH",
            "LUA_CPATH",
            "TCLLIBPATH",
            "R_PROFILE",
            "R_PROFILE_USER",
            "GEM_HOME",
            "GEM_PATH",
            "BUNDLE_GEMFILE",
        ],
        prefixes: &[
            "PYTHON",
            "PERL",
            "RUBY",
            "NPM_CONFIG_",
            "YARN_",
            "LUA_INIT_",
            "DENO_",
            "BUN_",
        ],
        why: "an interpreter loads code or options from it when it starts",
    },
    Rule {
        exact: &[],
        prefixes: &["GIT_"],
        why: "git runs programs and reads configuration named by it",
    },
    Rule {
        exact: &[
            "NODE_TLS_REJECT_UNAUTHORIZED",
            "NODE_EXTRA_CA_CERTS",
            "SSL_CERT_FILE",
            "SSL_CERT_DIR",
            "REQUESTS_CA_BUNDLE",
            "CURL_CA_BUNDLE",
        ],
        prefixes: &[],
        why: "it changes which servers programs trust",
    },
];

/// Why `name` must not be set by a vault, or `None` if it may.
pub fn takes_over_startup(name: &str) -> Option<&'static str> {
    let upper = name.to_ascii_uppercase();
    RULES
        .iter()
        .find(|r| {
            r.exact.contains(&upper.as_str()) || r.prefixes.iter().any(|p| upper.starts_with(p))
        })
        .map(|r| r.why)
}

#[cfg(test)]
mod tests {
    use super::takes_over_startup;

    #[test]
    fn startup_names_are_caught_and_ordinary_ones_pass() {
        for name in [
            "PATH",
            "path",
            "LD_PRELOAD",
            "DYLD_INSERT_LIBRARIES",
            "BASH_ENV",
            "ENV",
            "NODE_OPTIONS",
            "PYTHONPATH",
            "PYTHONSTARTUP",
            "PERL5OPT",
            "RUBYOPT",
            "GIT_SSH_COMMAND",
            "npm_config_node_options",
            "MPVAULT_IDENTITY",
            "BASH_FUNC_ls%%",
        ] {
            assert!(takes_over_startup(name).is_some(), "{name}");
        }
        for name in [
            "API_BASE",
            "WECHAT_APPID",
            "ENVIRONMENT",
            "NODE_ENV",
            "GREETING",
            "PATHNAME",
        ] {
            assert!(takes_over_startup(name).is_none(), "{name}");
        }
    }
}
