//! Environment-variable names: which are names at all (`check_env_name`, the rule every value
//! name in a vault and every export keeps), and which steer tools: how programs start, which programs a build
//! runs, or where tools read their configuration, registries and trusted certificates. `run`
//! puts an app's values into a build's environment and `export` into files that builds load,
//! so a value named `BASH_ENV`, `XDG_CONFIG_HOME` or `RUSTC_WRAPPER` would let anyone who can
//! push a hand-edited file run their code inside a developer's build, next to the AppSecret.
//! `config set`, `add-secret` and `import` refuse these names; `run` and `export` skip them
//! with a warning if a file carries them anyway.
//!
//! The rules go by family (a prefix or an ending) rather than by a list of names, because
//! every tool adds its own `*_HOME`, `*_CONFIG` or `*_OPTIONS`. A bundle-prefixed name
//! (`TARO_APP_…`, `VITE_…`, `VUE_APP_…`) is data compiled into the Mini Program, never read
//! by a tool, and is allowed. docs/security.md, "Nothing leaks by the side", shows the table.
//!
//! Sources: bash(1) and dash(1) (startup files and `ENV`), ld.so(8), dyld(1), node(1),
//! python(1), perlrun(1), ruby(1), git(1), make(1), cargo's and go's environment references,
//! pip's and uv's settings, openssl(1), the JDK's launcher, npm-config(7), and glibc's
//! `GLIBC_TUNABLES`/`GCONV_PATH`. Names are compared case-insensitively (npm reads
//! `npm_config_*`, curl reads `https_proxy`, Windows ignores case).

use crate::preset;

/// A name that is not a portable environment-variable name: the sentence quotes it (never a
/// value), and [`InvalidName::hint`] says what to do, as every error of the crate does.
#[derive(Debug, thiserror::Error)]
#[error("{name:?} is not a valid environment variable name")]
pub struct InvalidName {
    pub name: String,
}

impl InvalidName {
    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        "rename it to use only letters, digits and underscores, not starting with a digit"
    }
}

/// Checks that `name` is a portable environment-variable name, `[A-Za-z_][A-Za-z0-9_]*`:
/// every config and secret name in a vault, and every name an export writes.
pub fn check_env_name(name: &str) -> Result<(), InvalidName> {
    let mut bytes = name.bytes();
    let ok = match bytes.next() {
        Some(b) if b.is_ascii_alphabetic() || b == b'_' => {
            bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(InvalidName {
            name: name.to_string(),
        })
    }
}

/// A family of names that steer tools, matched whole, by their start or by their end, with
/// why the family does.
struct Rule {
    exact: &'static [&'static str],
    prefixes: &'static [&'static str],
    suffixes: &'static [&'static str],
    why: &'static str,
}

const RULES: &[Rule] = &[
    Rule {
        exact: &[],
        prefixes: &["MPVAULT_"],
        suffixes: &[],
        why: "mpvault reads it to find its vault, identity or passphrase",
    },
    Rule {
        exact: &[
            "PATH",
            "SHELL",
            "EDITOR",
            "VISUAL",
            "PAGER",
            "MANPAGER",
            "LESSOPEN",
            "LESSCLOSE",
            "BROWSER",
            "TERMINAL",
            "SUDO_ASKPASS",
            "TMPDIR",
            "HOME",
        ],
        prefixes: &["SSH_"],
        suffixes: &[],
        why: "it decides which programs run or where they look first",
    },
    Rule {
        exact: &[
            "CC",
            "CXX",
            "CPP",
            "LD",
            "AR",
            "AS",
            "FC",
            "NM",
            "RANLIB",
            "STRIP",
            "MAKE",
            "MAKEFILES",
            "RUSTC",
            "RUSTDOC",
            "CARGO",
        ],
        prefixes: &["CARGO_"],
        suffixes: &["FLAGS", "_WRAPPER"],
        why: "a build runs the compiler or wrapper it names, or passes its flags",
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
        suffixes: &[],
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
        suffixes: &[],
        why: "the dynamic loader or the C library loads code or files named by it",
    },
    Rule {
        exact: &[
            "NODE_REPL_EXTERNAL_MODULE",
            "ELECTRON_RUN_AS_NODE",
            "CLASSPATH",
            "PHPRC",
            "PHP_INI_SCAN_DIR",
            "LUA_INIT",
            "LUA_CPATH",
            "TCLLIBPATH",
            "R_PROFILE",
            "R_PROFILE_USER",
            "R_ENVIRON",
            "R_ENVIRON_USER",
            "BUNDLE_GEMFILE",
        ],
        prefixes: &[
            "PYTHON",
            "PERL",
            "RUBY",
            "LUA_INIT_",
            "DENO_",
            "BUN_",
            "YARN_",
            "GEM_",
        ],
        suffixes: &["_OPTIONS", "_OPTS"],
        why: "an interpreter loads code or options from it when it starts",
    },
    Rule {
        exact: &[
            "GNUPGHOME",
            "KUBECONFIG",
            "WGETRC",
            "NETRC",
            "CURLOPT_NETRC",
            "SCREENRC",
        ],
        prefixes: &["XDG_"],
        suffixes: &[
            "_HOME",
            "_CONFIG",
            "_CONF",
            "_PATH",
            "_CONFIG_FILE",
            "_CONFIG_DIR",
        ],
        why: "tools read their configuration, plugins or code from where it points",
    },
    Rule {
        exact: &[],
        prefixes: &["GIT_"],
        suffixes: &[],
        why: "git runs programs and reads configuration named by it",
    },
    Rule {
        exact: &[
            "GOPROXY",
            "GOFLAGS",
            "GOPATH",
            "GOROOT",
            "GOBIN",
            "GOENV",
            "GOTOOLCHAIN",
            "GOSUMDB",
            "GONOSUMDB",
            "GONOSUMCHECK",
            "GOPRIVATE",
            "GOINSECURE",
        ],
        prefixes: &["NPM_CONFIG_", "PIP_", "UV_", "COREPACK_"],
        suffixes: &["_REGISTRY", "_INDEX_URL"],
        why: "a package manager reads its settings, registry or index from it",
    },
    Rule {
        exact: &[
            "NODE_TLS_REJECT_UNAUTHORIZED",
            "SSL_CERT_FILE",
            "SSL_CERT_DIR",
            "SSLKEYLOGFILE",
            "REQUESTS_CA_BUNDLE",
            "CURL_CA_BUNDLE",
        ],
        prefixes: &["OPENSSL_"],
        suffixes: &["_PROXY", "_CA_BUNDLE", "_CA_CERTS"],
        why: "it changes which servers programs reach or trust, or where TLS keys are written",
    },
];

/// Why `name` must not be set by a vault, or `None` if it may. A bundle-prefixed name is data
/// (the framework matches its prefix case-sensitively, so only that spelling is exempt).
pub fn takes_over_startup(name: &str) -> Option<&'static str> {
    if preset::bundle_prefix(name).is_some() {
        return None;
    }
    let upper = name.to_ascii_uppercase();
    RULES.iter().find(|r| r.matches(&upper)).map(|r| r.why)
}

impl Rule {
    fn matches(&self, upper: &str) -> bool {
        self.exact.contains(&upper)
            || self.prefixes.iter().any(|p| upper.starts_with(p))
            || self.suffixes.iter().any(|s| upper.ends_with(s))
    }
}

#[cfg(test)]
mod tests {
    use super::{check_env_name, takes_over_startup};

    #[test]
    fn names() {
        assert!(check_env_name("WECHAT_APPID").is_ok());
        assert!(check_env_name("_x1").is_ok());
        assert!(check_env_name("1X").is_err());
        assert!(check_env_name("").is_err());
        assert!(check_env_name("A-B").is_err());
        assert!(check_env_name("A B").is_err());
        assert!(check_env_name("Ä").is_err());
    }

    fn refused(names: &[&str]) {
        for name in names {
            assert!(takes_over_startup(name).is_some(), "{name} passed");
        }
    }

    #[test]
    fn mpvault_and_program_choosers_are_refused() {
        refused(&[
            "MPVAULT_IDENTITY",
            "PATH",
            "path",
            "SHELL",
            "EDITOR",
            "PAGER",
        ]);
        refused(&["LESSOPEN", "SSH_ASKPASS", "SSH_AUTH_SOCK", "HOME"]);
    }

    #[test]
    fn compilers_wrappers_and_flags_are_refused() {
        refused(&[
            "CC",
            "CXX",
            "LD",
            "MAKEFLAGS",
            "CFLAGS",
            "RUSTFLAGS",
            "LDFLAGS",
        ]);
        refused(&[
            "RUSTC_WRAPPER",
            "CARGO_BUILD_RUSTC_WRAPPER",
            "CARGO_TARGET_X_RUNNER",
        ]);
    }

    #[test]
    fn shell_startup_is_refused() {
        refused(&["BASH_ENV", "ENV", "PROMPT_COMMAND", "BASH_FUNC_ls%%"]);
    }

    #[test]
    fn loader_options_are_refused() {
        refused(&[
            "LD_PRELOAD",
            "LD_AUDIT",
            "DYLD_INSERT_LIBRARIES",
            "GLIBC_TUNABLES",
        ]);
    }

    #[test]
    fn interpreter_options_are_refused() {
        refused(&[
            "NODE_OPTIONS",
            "PYTHONPATH",
            "PYTHONSTARTUP",
            "PERL5OPT",
            "RUBYOPT",
        ]);
        refused(&[
            "JAVA_TOOL_OPTIONS",
            "_JAVA_OPTIONS",
            "MAVEN_OPTS",
            "GEM_HOME",
        ]);
    }

    #[test]
    fn configuration_places_are_refused() {
        refused(&[
            "XDG_CONFIG_HOME",
            "XDG_DATA_DIRS",
            "GNUPGHOME",
            "CARGO_HOME",
        ]);
        refused(&[
            "OPENSSL_CONF",
            "DOCKER_CONFIG",
            "NODE_PATH",
            "PIP_CONFIG_FILE",
        ]);
        refused(&["AWS_CONFIG_FILE", "KUBECONFIG", "NETRC", "BOTO_CONFIG"]);
    }

    #[test]
    fn git_is_refused() {
        refused(&["GIT_SSH_COMMAND", "GIT_CONFIG_GLOBAL", "git_exec_path"]);
    }

    #[test]
    fn package_managers_are_refused() {
        refused(&[
            "npm_config_node_options",
            "npm_config_registry",
            "PIP_INDEX_URL",
        ]);
        refused(&[
            "UV_INDEX_URL",
            "COREPACK_NPM_REGISTRY",
            "YARN_NPM_REGISTRY_SERVER",
        ]);
        refused(&["GOPROXY", "GOFLAGS", "PIP_EXTRA_INDEX_URL", "BUN_INSTALL"]);
    }

    #[test]
    fn trust_and_proxies_are_refused() {
        refused(&[
            "HTTPS_PROXY",
            "https_proxy",
            "ALL_PROXY",
            "HTTP_PROXY",
            "OPENSSL_MODULES",
        ]);
        refused(&[
            "SSLKEYLOGFILE",
            "SSL_CERT_FILE",
            "NODE_EXTRA_CA_CERTS",
            "AWS_CA_BUNDLE",
        ]);
    }

    #[test]
    fn data_names_and_bundle_prefixed_names_pass() {
        for name in [
            "API_BASE",
            "WECHAT_APPID",
            "ENVIRONMENT",
            "NODE_ENV",
            "GREETING",
            "PATHNAME",
            "CDN",
            "SENTRY_DSN",
            "VITE_ROUTER_PATH",
            "TARO_APP_CACHE_HOME",
            "VUE_APP_HTTPS_PROXY",
        ] {
            assert!(takes_over_startup(name).is_none(), "{name}");
        }
        // Only the spelling the framework matches is data.
        refused(&["vite_router_path"]);
    }
}
