//! The tools: each one's clap definition and `run`, so `src/bin/*` stay thin and the man
//! pages and completions come from the same definitions as the binaries.

pub mod keygen;
