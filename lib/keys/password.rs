//! Passwords and token PINs: from a file, from the file named by an environment variable, or
//! from a hidden prompt on the terminal. Never from argv.

use std::io::IsTerminal;
use std::path::PathBuf;

use zeroize::Zeroizing;

use super::KeyError;
use super::files::read_secret_file;

/// Where a password comes from, in order of preference.
#[derive(Debug, Clone)]
pub struct PasswordSource {
    /// A file holding the password (its one trailing newline is stripped).
    pub file: Option<PathBuf>,
    /// Whether prompting is forbidden (`--no-input`).
    pub no_input: bool,
    /// The option that names the file, for messages (e.g. `--password-file`).
    pub flag: &'static str,
}

impl PasswordSource {
    /// Obtains the password: from the file if one is named, else by a hidden prompt when
    /// stdin is a terminal and prompting is allowed. With `confirm`, the prompt asks twice.
    pub fn obtain(&self, prompt: &str, confirm: bool) -> Result<Zeroizing<String>, KeyError> {
        self.obtain_secret(Secret::Password, prompt, confirm)
    }

    /// Obtains a token's PIN the same way (file, else hidden prompt), once: a wrong PIN is
    /// never asked for again, since tokens lock after a few failed logins.
    pub fn obtain_pin(&self, prompt: &str) -> Result<Zeroizing<String>, KeyError> {
        self.obtain_secret(Secret::Pin, prompt, false)
    }

    fn obtain_secret(
        &self,
        secret: Secret,
        prompt: &str,
        confirm: bool,
    ) -> Result<Zeroizing<String>, KeyError> {
        let missing = |reason: String| match secret {
            Secret::Password => KeyError::NoPassword(reason),
            Secret::Pin => KeyError::NoPin(reason),
        };
        if let Some(path) = &self.file {
            return read_secret_file(secret.name(), path);
        }
        if self.no_input {
            return Err(missing(format!("--no-input forbids prompting; give {} FILE", self.flag)));
        }
        if !can_prompt() {
            return Err(missing(format!(
                "stdin is not a terminal, so there is no prompt; give {} FILE",
                self.flag
            )));
        }
        let first = Zeroizing::new(prompt_hidden(&format!("{prompt}: "), secret)?);
        if confirm {
            let second = Zeroizing::new(prompt_hidden(&format!("{prompt} (again): "), secret)?);
            if *first != *second {
                return Err(KeyError::BadPassword("the two passwords differ".into()));
            }
        }
        Ok(first)
    }
}

/// Which secret is asked for, for messages.
#[derive(Debug, Clone, Copy)]
enum Secret {
    Password,
    Pin,
}

impl Secret {
    fn name(self) -> &'static str {
        match self {
            Secret::Password => "password",
            Secret::Pin => "PIN",
        }
    }
}

/// A prompt goes to the controlling terminal: possible when stdin is one, or when a tool
/// reads records from a pipe but a human is still at the terminal (stderr is one).
fn can_prompt() -> bool {
    std::io::stdin().is_terminal()
        || (std::io::stderr().is_terminal() && std::fs::File::open("/dev/tty").is_ok())
}

fn prompt_hidden(prompt: &str, secret: Secret) -> Result<String, KeyError> {
    rpassword::prompt_password(prompt).map_err(|e| {
        let reason = format!("cannot read the {} from the terminal: {e}", secret.name());
        match secret {
            Secret::Password => KeyError::NoPassword(reason),
            Secret::Pin => KeyError::NoPin(reason),
        }
    })
}
