//! BIP-39 mnemonics: generation from OS randomness, parsing, and mnemonic → seed.

use bip39::{Language, Mnemonic};
use zeroize::Zeroizing;

use super::KeyError;

/// A BIP-39 English mnemonic; its words are zeroized on drop.
pub struct Phrase(Mnemonic);

impl Phrase {
    /// A new mnemonic of 12 or 24 words from the operating system's random source.
    pub fn generate(words: usize) -> Result<Self, KeyError> {
        let entropy_len = match words {
            12 => 16,
            15 => 20,
            18 => 24,
            21 => 28,
            24 => 32,
            _ => return Err(KeyError::InvalidMnemonic(format!("{words} words: use 12 or 24"))),
        };
        let mut entropy = Zeroizing::new([0u8; 32]);
        getrandom::fill(&mut entropy[..entropy_len])
            .map_err(|e| KeyError::InvalidMnemonic(format!("the OS random source failed: {e}")))?;
        Mnemonic::from_entropy_in(Language::English, &entropy[..entropy_len])
            .map(Phrase)
            .map_err(|e| KeyError::InvalidMnemonic(e.to_string()))
    }

    /// Parses a mnemonic (whitespace-separated English words; NFKD-normalized, checksum checked).
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let words = Zeroizing::new(text.split_whitespace().collect::<Vec<_>>().join(" "));
        Mnemonic::parse_in(Language::English, words.as_str())
            .map(Phrase)
            .map_err(|e| KeyError::InvalidMnemonic(e.to_string()))
    }

    /// A mnemonic from raw entropy (16–32 bytes).
    pub fn from_entropy(entropy: &[u8]) -> Result<Self, KeyError> {
        Mnemonic::from_entropy_in(Language::English, entropy)
            .map(Phrase)
            .map_err(|e| KeyError::InvalidMnemonic(e.to_string()))
    }

    /// The words, space-separated.
    pub fn words(&self) -> Zeroizing<String> {
        Zeroizing::new(self.0.to_string())
    }

    /// The number of words.
    pub fn word_count(&self) -> usize {
        self.0.word_count()
    }

    /// The 64-byte BIP-39 seed for a passphrase (empty for none).
    pub fn to_seed(&self, passphrase: &str) -> Zeroizing<[u8; 64]> {
        Zeroizing::new(self.0.to_seed_normalized(passphrase))
    }
}

impl Drop for Phrase {
    fn drop(&mut self) {
        // bip39's `zeroize` feature wipes the word indices.
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_mnemonics_parse_back() {
        for words in [12, 24] {
            let phrase = Phrase::generate(words).unwrap();
            assert_eq!(phrase.word_count(), words);
            let again = Phrase::parse(&phrase.words()).unwrap();
            assert_eq!(*again.to_seed(""), *phrase.to_seed(""));
        }
        assert!(Phrase::generate(13).is_err());
    }

    #[test]
    fn bad_checksum_is_rejected() {
        let text =
            "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon";
        assert!(matches!(Phrase::parse(text), Err(KeyError::InvalidMnemonic(_))));
    }
}
