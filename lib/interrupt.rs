//! Stopping cleanly on Ctrl-C or `kill` (a ground module: it imports nothing of the crate): the first SIGINT or SIGTERM only sets a flag that a
//! tool's loop checks, so it can finish its step, open a relay, flush its records and exit 130;
//! the handler then resets to the default, so a second signal ends the process at once.

use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// Whether SIGINT or SIGTERM arrived since [`install`].
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

#[cfg(unix)]
extern "C" fn on_signal(_signal: libc::c_int) {
    // Only an atomic store: async-signal-safe.
    REQUESTED.store(true, Ordering::SeqCst);
}

/// Installs the handler for SIGINT and SIGTERM (without SA_RESTART, so a blocking device read
/// returns early).
pub fn install() {
    #[cfg(unix)]
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: `action` is fully initialised (zeroed, then the handler, an empty mask and
        // the flags set); the handler only stores to an atomic.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            libc::sigemptyset(&mut action.sa_mask);
            action.sa_flags = libc::SA_RESETHAND;
            if libc::sigaction(signal, &action, std::ptr::null_mut()) != 0 {
                log::warn!("cannot handle signal {signal}: {}", std::io::Error::last_os_error());
            }
        }
    }
}
