//! Condition keys as the policy language names them. AWS matches key names without regard to
//! letter case (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html),
//! so a key is identified by a case-folded hash, computed once when a policy is compiled and
//! once for each key a request context holds.

/// A hash of a condition key that ignores letter case, as AWS matches keys. Compiled conditions
/// keep the hash of their key, so a lookup in a request context needs no hashing at all; the
/// keys iamsim sets itself are hashed when compiling (see [`folded_hash`]).
pub fn key_hash(key: &str) -> u64 {
    if key.is_ascii() {
        folded_hash(key.as_bytes())
    } else {
        // Folded first, so that a key and its lower-case form hash alike whatever their letters.
        let folded: String = key.chars().flat_map(char::to_lowercase).collect();
        folded_hash(folded.as_bytes())
    }
}

/// [`key_hash`] of an ASCII key, usable in constants. Eight bytes at a time, each with its 0x20
/// bit set: an upper-case letter and its lower-case form become the same byte. Other bytes may
/// meet others this way; that only makes two keys share a hash, and lookups compare the keys
/// themselves. Each word is mixed as rustc-hash's `FxHasher` mixes it (add, multiply; rotate at
/// the end), written out because that hasher cannot run in a constant.
pub const fn folded_hash(bytes: &[u8]) -> u64 {
    const SEED: u64 = 0xf135_7aea_2e62_a9c5;
    const CASE: u64 = 0x2020_2020_2020_2020;
    let mut hash: u64 = 0;
    let mut i = 0;
    while i + 8 <= bytes.len() {
        let word = u64::from_le_bytes([
            bytes[i],
            bytes[i + 1],
            bytes[i + 2],
            bytes[i + 3],
            bytes[i + 4],
            bytes[i + 5],
            bytes[i + 6],
            bytes[i + 7],
        ]);
        hash = hash.wrapping_add(word | CASE).wrapping_mul(SEED);
        i += 8;
    }
    let mut last: u64 = 0;
    let mut shift = 0;
    while i < bytes.len() {
        last |= ((bytes[i] | 0x20) as u64) << shift;
        shift += 8;
        i += 1;
    }
    hash = hash.wrapping_add(last).wrapping_mul(SEED);
    hash = hash.wrapping_add(bytes.len() as u64).wrapping_mul(SEED);
    hash.rotate_left(26)
}

/// A condition key iamsim sets itself, hashed when compiling.
#[derive(Debug, Clone, Copy)]
pub struct KnownKey {
    pub name: &'static str,
    pub hash: u64,
}

impl KnownKey {
    /// `name` must be ASCII (every key AWS defines is).
    pub const fn new(name: &'static str) -> KnownKey {
        KnownKey {
            name,
            hash: folded_hash(name.as_bytes()),
        }
    }
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

    #[test]
    fn a_known_key_hashes_as_any_spelling_of_it() {
        const KEY: KnownKey = KnownKey::new("kms:EncryptionContext:aws:s3:arn");
        assert_eq!(KEY.hash, key_hash("KMS:encryptioncontext:AWS:S3:ARN"));
        // Every length up to three words, so that every tail length is folded.
        let long = "s3:x-amz-server-side-encryption-aws-kms";
        for end in 0..long.len() {
            let key = &long[..end];
            assert_eq!(key_hash(key), key_hash(&key.to_ascii_uppercase()), "{key}");
            if end > 0 {
                assert_ne!(key_hash(key), key_hash(&long[..end - 1]), "{key}");
            }
        }
    }

    #[test]
    fn a_non_ascii_key_hashes_as_its_lower_case_form() {
        // The Kelvin sign lowers to an ASCII `k`: both spellings are the same key.
        assert!(same_key("\u{212A}ms:ViaService", "kms:ViaService"));
        assert_eq!(
            key_hash("\u{212A}ms:ViaService"),
            key_hash("kms:ViaService")
        );
    }
}
