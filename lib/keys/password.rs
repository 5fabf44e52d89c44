//! Passwords: from a file, from the file named by an environment variable, or from a hidden
//! prompt on the terminal. Never from argv.

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
        if let Some(path) = &self.file {
            return read_secret_file("password", path);
        }
        if self.no_input {
            return Err(KeyError::NoPassword(format!(
                "--no-input forbids prompting; give {} FILE",
                self.flag
            )));
        }
        if !can_prompt() {
            return Err(KeyError::NoPassword(format!(
                "stdin is not a terminal, so there is no prompt; give {} FILE",
                self.flag
            )));
        }
        let first = Zeroizing::new(prompt_hidden(&format!("{prompt}: "))?);
        if confirm {
            let second = Zeroizing::new(prompt_hidden(&format!("{prompt} (again): "))?);
            if *first != *second {
                return Err(KeyError::BadPassword("the two passwords differ".into()));
            }
        }
        Ok(first)
    }
}

/// A prompt goes to the controlling terminal: possible when stdin is one, or when a tool
/// reads records from a pipe but a human is still at the terminal (stderr is one).
fn can_prompt() -> bool {
    std::io::stdin().is_terminal()
        || (std::io::stderr().is_terminal() && std::fs::File::open("/dev/tty").is_ok())
}

fn prompt_hidden(prompt: &str) -> Result<String, KeyError> {
    rpassword::prompt_password(prompt)
        .map_err(|e| KeyError::NoPassword(format!("cannot read the password from the terminal: {e}")))
}
