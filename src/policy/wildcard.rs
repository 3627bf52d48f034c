//! IAM wildcard patterns: `*` matches any run of characters (also none), `?` exactly one.
//!
//! Matching runs in time linear in the text for any pattern: the general case simulates the
//! pattern's NFA with one bit per pattern position (a shift-and automaton), so no input can
//! make it backtrack. Patterns are compiled once, at policy load; the common shapes (a literal,
//! `prefix*`, `*suffix`, `*`) get a direct comparison instead.
//!
//! Source: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_String

/// One element of a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token {
    /// A character that must appear as it is.
    Char(char),
    /// `?`: any one character.
    AnyOne,
    /// `*`: any run of characters.
    AnyRun,
}

/// Splits pattern text into tokens, `*` and `?` being wildcards.
pub fn tokenize(pattern: &str) -> impl Iterator<Item = Token> + '_ {
    pattern.chars().map(|c| match c {
        '*' => Token::AnyRun,
        '?' => Token::AnyOne,
        c => Token::Char(c),
    })
}

/// A compiled wildcard pattern.
#[derive(Debug, Clone)]
pub struct Glob {
    shape: Shape,
}

#[derive(Debug, Clone)]
enum Shape {
    Any,
    Exact(Box<str>),
    Prefix(Box<str>),
    Suffix(Box<str>),
    Automaton(Automaton),
}

impl Glob {
    /// Compiles pattern text where `*` and `?` are wildcards.
    pub fn new(pattern: &str) -> Glob {
        Glob::from_tokens(tokenize(pattern))
    }

    /// A pattern that matches only `text` itself (wildcard characters included).
    pub fn literal(text: &str) -> Glob {
        Glob {
            shape: Shape::Exact(text.into()),
        }
    }

    /// Compiles a token sequence (used where some characters come from substituted values and
    /// must stay literal).
    pub fn from_tokens(tokens: impl IntoIterator<Item = Token>) -> Glob {
        let mut tokens: Vec<Token> = tokens.into_iter().collect();
        // `**` means the same as `*`; folding runs keeps the automaton small.
        tokens.dedup_by(|a, b| *a == Token::AnyRun && *b == Token::AnyRun);
        let stars = tokens.iter().filter(|t| **t == Token::AnyRun).count();
        let has_one = tokens.contains(&Token::AnyOne);
        let text = |ts: &[Token]| -> Box<str> {
            ts.iter()
                .map(|t| match t {
                    Token::Char(c) => *c,
                    _ => '*',
                })
                .collect::<String>()
                .into()
        };
        let shape = match (stars, has_one) {
            (0, false) => Shape::Exact(text(&tokens)),
            (1, false) if tokens.len() == 1 => Shape::Any,
            (1, false) if tokens.last() == Some(&Token::AnyRun) => {
                Shape::Prefix(text(&tokens[..tokens.len() - 1]))
            }
            (1, false) if tokens.first() == Some(&Token::AnyRun) => {
                Shape::Suffix(text(&tokens[1..]))
            }
            _ => Shape::Automaton(Automaton::new(&tokens)),
        };
        Glob { shape }
    }

    /// Whether the whole of `text` matches the pattern.
    pub fn is_match(&self, text: &str) -> bool {
        match &self.shape {
            Shape::Any => true,
            Shape::Exact(s) => **s == *text,
            Shape::Prefix(p) => text.starts_with(&**p),
            Shape::Suffix(s) => text.ends_with(&**s),
            Shape::Automaton(a) => a.is_match(text),
        }
    }

    /// Whether the pattern matches every text (`*`).
    pub fn is_any(&self) -> bool {
        matches!(self.shape, Shape::Any)
    }

    /// The literal text when the pattern has no wildcard.
    pub fn as_literal(&self) -> Option<&str> {
        match &self.shape {
            Shape::Exact(s) => Some(s),
            _ => None,
        }
    }
}

/// Shift-and automaton: state `j` (bit `j`) means "the first `j` non-star tokens matched".
/// A star before token `j` is a self-loop on state `j`.
#[derive(Debug, Clone)]
struct Automaton {
    /// Number of 64-bit words per state set.
    words: usize,
    /// Number of non-star tokens; the accepting state.
    accept: usize,
    /// Per ASCII character, the states it can advance into (`words` words each).
    ascii: Vec<u64>,
    /// Masks for the non-ASCII characters the pattern names.
    other: Vec<(char, Vec<u64>)>,
    /// The states `?` advances into; every character can take those steps.
    any_one: Vec<u64>,
    /// States with a self-loop (a star sits there).
    self_loop: Vec<u64>,
}

fn set_bit(mask: &mut [u64], bit: usize) {
    mask[bit / 64] |= 1 << (bit % 64);
}

impl Automaton {
    fn new(tokens: &[Token]) -> Automaton {
        let accept = tokens.iter().filter(|t| **t != Token::AnyRun).count();
        let words = accept / 64 + 1;
        let mut ascii = vec![0u64; 128 * words];
        let mut other: Vec<(char, Vec<u64>)> = Vec::new();
        let mut any_one = vec![0u64; words];
        let mut self_loop = vec![0u64; words];
        let mut state = 0usize;
        for token in tokens {
            match *token {
                Token::AnyRun => set_bit(&mut self_loop, state),
                Token::AnyOne => {
                    state += 1;
                    set_bit(&mut any_one, state);
                }
                Token::Char(c) => {
                    state += 1;
                    if c.is_ascii() {
                        let at = c as usize * words;
                        set_bit(&mut ascii[at..at + words], state);
                    } else {
                        match other.iter_mut().find(|(o, _)| *o == c) {
                            Some((_, mask)) => set_bit(mask, state),
                            None => {
                                let mut mask = vec![0u64; words];
                                set_bit(&mut mask, state);
                                other.push((c, mask));
                            }
                        }
                    }
                }
            }
        }
        Automaton {
            words,
            accept,
            ascii,
            other,
            any_one,
            self_loop,
        }
    }

    fn mask_word(&self, c: char, word: usize) -> u64 {
        let named = if c.is_ascii() {
            self.ascii[c as usize * self.words + word]
        } else {
            self.other
                .iter()
                .find(|(o, _)| *o == c)
                .map_or(0, |(_, m)| m[word])
        };
        named | self.any_one[word]
    }

    fn is_match(&self, text: &str) -> bool {
        if self.words == 1 {
            return self.is_match_one_word(text);
        }
        let mut state = vec![0u64; self.words];
        state[0] = 1;
        let mut next = vec![0u64; self.words];
        for c in text.chars() {
            let mut carry = 0u64;
            let mut alive = 0u64;
            for w in 0..self.words {
                let shifted = (state[w] << 1) | carry;
                carry = state[w] >> 63;
                next[w] = (shifted & self.mask_word(c, w)) | (state[w] & self.self_loop[w]);
                alive |= next[w];
            }
            if alive == 0 {
                return false;
            }
            std::mem::swap(&mut state, &mut next);
        }
        state[self.accept / 64] & (1 << (self.accept % 64)) != 0
    }

    fn is_match_one_word(&self, text: &str) -> bool {
        let self_loop = self.self_loop[0];
        let mut state = 1u64;
        for c in text.chars() {
            state = ((state << 1) & self.mask_word(c, 0)) | (state & self_loop);
            if state == 0 {
                return false;
            }
        }
        state & (1 << self.accept) != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert!(Glob::new("*").is_match(""));
        assert!(Glob::new("abc").is_match("abc"));
        assert!(!Glob::new("abc").is_match("abcd"));
        assert!(Glob::new("ab*").is_match("ab"));
        assert!(Glob::new("*bc").is_match("abc"));
        assert!(Glob::new("a?c").is_match("abc"));
        assert!(!Glob::new("a?c").is_match("ac"));
        assert!(Glob::new("a*b*c").is_match("aXXbYYc"));
        assert!(!Glob::new("a*b*c").is_match("aXXbYY"));
        assert!(Glob::new("?").is_match("é"));
        assert!(Glob::new("*é*").is_match("café au lait"));
    }

    #[test]
    fn documented_s3_example() {
        // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
        let g = Glob::new("bucket/*/test/*");
        for yes in [
            "bucket/1/test/o.jpg",
            "bucket/1/2/test/o.jpg",
            "bucket//test/o.jpg",
            "bucket/1///test///o.jpg",
            "bucket/1/test/",
        ] {
            assert!(g.is_match(yes), "{yes}");
        }
        for no in [
            "bucket/1-test/o.jpg",
            "bucket/test/o.jpg",
            "bucket/1/2/test.jpg",
        ] {
            assert!(!g.is_match(no), "{no}");
        }
    }

    #[test]
    fn long_patterns_use_several_words() {
        let pattern = format!("{}*{}", "a".repeat(100), "b".repeat(70));
        let g = Glob::new(&pattern);
        assert!(g.is_match(&format!("{}xyz{}", "a".repeat(100), "b".repeat(70))));
        assert!(!g.is_match(&format!("{}xyz{}", "a".repeat(99), "b".repeat(70))));
    }

    #[test]
    fn literal_keeps_wildcard_characters() {
        assert!(Glob::literal("a*").is_match("a*"));
        assert!(!Glob::literal("a*").is_match("ab"));
    }
}
