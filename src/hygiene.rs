//! Process hygiene: while mpvault holds plaintext, nothing should copy it out of the process.
//! A core dump (a crash, or a SIGABRT while `export` waits on a full pipe) would write every
//! secret in memory to disk, so core dumps are turned off before any secret is read, and the
//! process is marked non-dumpable, which also keeps other processes of the same user from
//! attaching to it or reading its memory through /proc.

/// Turns core dumps off for this process and what it runs. The soft limit is inherited by
/// `run`'s child, which holds the same secrets in its environment; the hard limit is left as
/// it was, so that child may raise it again if it must.
#[cfg(unix)]
pub fn no_core_dumps() {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let hard = getrlimit(Resource::Core).maximum;
    // Failure leaves the limit as it was; there is nothing better to do than go on.
    let _ = setrlimit(
        Resource::Core,
        Rlimit {
            current: Some(0),
            maximum: hard,
        },
    );
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let _ = rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable);
}

#[cfg(not(unix))]
pub fn no_core_dumps() {}
