//! Condition keys as the policy language names them. AWS matches key names without regard to
//! letter case (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html),
//! so a key is identified by a case-folded hash, computed once when a policy is compiled and
//! once for each key a request context holds.

/// A hash of a condition key that ignores letter case, as AWS matches keys. Compiled conditions
/// keep the hash of their key, so a lookup in a request context needs no hashing at all.
pub fn key_hash(key: &str) -> u64 {
    use std::hash::Hasher;
    let mut h = rustc_hash::FxHasher::default();
    if key.is_ascii() {
        // Eight bytes at a time, each with its 0x20 bit set: an upper-case letter and its
        // lower-case form become the same byte. Other bytes may meet others this way; that only
        // makes two keys share a hash, and lookups compare the keys themselves.
        let bytes = key.as_bytes();
        let mut words = bytes.chunks_exact(8);
        for word in words.by_ref() {
            let mut w = [0u8; 8];
            w.copy_from_slice(word);
            h.write_u64(u64::from_le_bytes(w) | 0x2020_2020_2020_2020);
        }
        let mut last = [0u8; 8];
        for (i, b) in words.remainder().iter().enumerate() {
            last[i] = *b | 0x20;
        }
        h.write_u64(u64::from_le_bytes(last));
        h.write_usize(bytes.len());
    } else {
        let folded: String = key.chars().flat_map(char::to_lowercase).collect();
        h.write(folded.as_bytes());
    }
    h.finish()
}

/// Whether two key names are the same key (letter case aside). Keys are usually written the
/// same way on both sides: a plain comparison settles that first.
pub fn same_key(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    if a.len() != b.len() && a.is_ascii() && b.is_ascii() {
        return false;
    }
    if a.is_ascii() && b.is_ascii() {
        a.eq_ignore_ascii_case(b)
    } else {
        a.chars()
            .flat_map(char::to_lowercase)
            .eq(b.chars().flat_map(char::to_lowercase))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_does_not_matter() {
        assert_eq!(key_hash("aws:SourceIp"), key_hash("AWS:sourceip"));
        assert!(same_key("aws:SourceIp", "AWS:SOURCEIP"));
        assert_ne!(key_hash("aws:SourceIp"), key_hash("aws:SourceVpc"));
    }
}
