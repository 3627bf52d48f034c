//! AWS's service authorization reference: every action of every service, the resource types
//! each applies to and the condition keys it supports, each resource type's ARN format. Read
//! from the generated table beside this file (see its README for the source and licence).
//!
//! The table is indexed once, on first use (where each service's records start); a service's
//! records are parsed the first time that service is asked for, so that a scenario naming `s3`
//! and `kms` actions parses two services of several hundred.

use std::sync::OnceLock;

use rustc_hash::{FxHashMap, FxHashSet};

use super::wildcard::Glob;

/// The generated table.
const TABLE: &str = include_str!("service-reference.tsv");

/// One service.
#[derive(Debug, Clone, Default)]
pub struct Service {
    /// As AWS writes it in actions (`s3`, `kms`).
    pub prefix: &'static str,
    /// Sorted by name, case-insensitively.
    pub actions: Vec<ActionInfo>,
    pub resource_types: Vec<ResourceType>,
    /// The service's condition keys and their types.
    pub condition_keys: Vec<(&'static str, &'static str)>,
}

/// One action of a service.
#[derive(Debug, Clone)]
pub struct ActionInfo {
    /// Without the prefix, as AWS spells it (`GetObject`).
    pub name: &'static str,
    pub access_level: &'static str,
    /// Resource type names, comma-separated, each followed by `?` when optional.
    types_text: &'static str,
    /// Condition keys, comma-separated.
    keys_text: &'static str,
    /// The name lowercased (action names compare case-insensitively).
    name_lower: String,
    /// Indices of `resource_types` in the service's list (types the service does not define
    /// are left out).
    types: Vec<u32>,
}

/// A resource type and the ARNs it covers.
#[derive(Debug, Clone)]
pub struct ResourceType {
    pub name: &'static str,
    /// With `${Partition}`, `${Region}`, `${Account}` and the type's own placeholders. A few
    /// types have several formats, separated by `, `.
    pub arn: &'static str,
    /// The formats compiled, on first use.
    compiled: OnceLock<Compiled>,
    pub condition_keys: Vec<&'static str>,
}

/// A resource type's formats, compiled.
#[derive(Debug, Clone)]
struct Compiled {
    /// Each ARN format as a pattern: each placeholder matches any text.
    patterns: Vec<Glob>,
    /// The same formats lowercased, as tokens by field, for comparing with other patterns.
    tokens: Vec<Fields>,
}

impl ResourceType {
    fn compiled(&self) -> &Compiled {
        self.compiled.get_or_init(|| Compiled {
            patterns: formats(self.arn).map(arn_pattern).collect(),
            tokens: formats(self.arn).map(format_tokens).collect(),
        })
    }

    /// Whether an ARN is of this type.
    pub fn fits(&self, arn: &str) -> bool {
        self.compiled().patterns.iter().any(|p| p.is_match(arn))
    }

    /// Whether some ARN of this type matches a `Resource` pattern (wildcards and policy
    /// variables in it standing for any text), compared case-insensitively.
    pub fn overlaps(&self, resource: &ResourcePattern) -> bool {
        self.compiled()
            .tokens
            .iter()
            .any(|t| resource.arn.overlaps(t))
    }

    /// The type's ARN formats.
    pub fn formats(&self) -> impl Iterator<Item = &'static str> {
        formats(self.arn)
    }
}

/// One element of a pattern compared with another pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Char(char),
    /// `?`.
    One,
    /// `*`, or a placeholder that may hold any text.
    Run,
    /// A placeholder whose values never hold a `/` (a bucket name).
    RunNoSlash,
}

impl Tok {
    fn is_run(self) -> bool {
        matches!(self, Tok::Run | Tok::RunNoSlash)
    }

    /// Whether this run may produce the one character `other` stands for.
    fn absorbs(self, other: Tok) -> bool {
        match (self, other) {
            (Tok::Run, Tok::Char(_) | Tok::One) => true,
            (Tok::RunNoSlash, Tok::Char(c)) => c != '/',
            (Tok::RunNoSlash, Tok::One) => true,
            _ => false,
        }
    }
}

/// Placeholders of ARN formats whose values never hold a `/`: in the formats that name them a
/// `/` after them separates the next part (`${BucketName}/${ObjectName}`). Every other
/// placeholder may hold any text (object keys, paths, log group names).
const SLASH_FREE: [&str; 5] = [
    "BucketName",
    "AccessPointName",
    "AccessPointAlias",
    "KeyId",
    "TableName",
];

/// Pattern tokens split into ARN fields: the first five colons separate fields, the sixth
/// field is the rest (a colon inside a wildcard or a policy variable separates nothing).
#[derive(Debug, Clone)]
struct Fields {
    tokens: Vec<Tok>,
    /// Where each field starts in `tokens` (at most six).
    starts: Vec<usize>,
}

impl Fields {
    fn new(tokens: Vec<Tok>) -> Fields {
        let mut starts = vec![0];
        for (i, t) in tokens.iter().enumerate() {
            if starts.len() == 6 {
                break;
            }
            if *t == Tok::Char(':') {
                starts.push(i + 1);
            }
        }
        Fields { tokens, starts }
    }

    /// Field `i` (without its colon); the last field runs to the end.
    fn field(&self, i: usize) -> &[Tok] {
        let start = self.starts[i];
        match self.starts.get(i + 1) {
            Some(next) => &self.tokens[start..next - 1],
            None => &self.tokens[start..],
        }
    }

    /// Whether the policy pattern (`self`) and a resource type's format share an ARN: field
    /// by field, except that a pattern with fewer than six fields lets its last field stand
    /// for all the fields left (as the evaluator reads such a pattern), and that a `*` ending
    /// a field may run on past the colon ("If the * wildcard is the last character of a
    /// resource ARN segment, it can expand to match beyond the colon boundaries",
    /// reference_policies_elements_resource.html), so the rest is compared as a whole from
    /// there. The type's placeholders never hold a colon before the resource part.
    fn overlaps(&self, format: &Fields) -> bool {
        let last = self.starts.len() - 1;
        if last >= format.starts.len() {
            return false;
        }
        let open = (0..last)
            .find(|&i| self.field(i).last() == Some(&Tok::Run))
            .unwrap_or(last);
        (0..open).all(|i| patterns_overlap(self.field(i), format.field(i)))
            && patterns_overlap(
                &self.tokens[self.starts[open]..],
                &format.tokens[format.starts[open]..],
            )
    }
}

/// A `Resource` entry prepared for [`ResourceType::overlaps`].
#[derive(Debug, Clone)]
pub struct ResourcePattern {
    arn: Fields,
}

impl ResourcePattern {
    /// `*` and `?` are wildcards; a policy variable (`${aws:username}`) may stand for any text.
    pub fn new(text: &str) -> ResourcePattern {
        ResourcePattern {
            arn: Fields::new(pattern_tokens(text, false)),
        }
    }

    /// Whether the pattern covers the request resource `*` (what an action that names no
    /// resource type is authorized against).
    pub fn covers_star(&self) -> bool {
        patterns_overlap(&self.arn.tokens, &[Tok::Char('*')])
    }
}

/// Lowercase tokens of a pattern in which `${...}` is a wildcard, and so are `*` and `?`
/// unless `format` (the reference's ARN formats name no wildcard).
fn pattern_tokens(text: &str, format: bool) -> Vec<Tok> {
    let mut out = Vec::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("${") {
            let (name, next) = after.split_once('}').unwrap_or((after, ""));
            out.push(if format && SLASH_FREE.contains(&name) {
                Tok::RunNoSlash
            } else {
                Tok::Run
            });
            rest = next;
            continue;
        }
        out.push(match c {
            '*' if !format => Tok::Run,
            '?' if !format => Tok::One,
            c => Tok::Char(c.to_ascii_lowercase()),
        });
        rest = &rest[c.len_utf8()..];
    }
    out.dedup_by(|a, b| *a == Tok::Run && *b == Tok::Run);
    out
}

/// Whether two wildcard patterns have a text in common. `reach[i][j]`: some text is produced
/// both by `a[..i]` and by `b[..j]`; every step moves forward, so one pass in order fills it.
fn patterns_overlap(a: &[Tok], b: &[Tok]) -> bool {
    let (n, m) = (a.len(), b.len());
    let width = m + 1;
    let mut reach = vec![false; (n + 1) * width];
    reach[0] = true;
    for i in 0..=n {
        for j in 0..=m {
            if !reach[i * width + j] {
                continue;
            }
            let (ta, tb) = (a.get(i).copied(), b.get(j).copied());
            if let Some(x) = ta.filter(|t| t.is_run()) {
                // The run stops here, or produces one more character of b's.
                reach[(i + 1) * width + j] = true;
                if tb.is_some_and(|y| x.absorbs(y)) {
                    reach[i * width + j + 1] = true;
                }
            }
            if let Some(y) = tb.filter(|t| t.is_run()) {
                reach[i * width + j + 1] = true;
                if ta.is_some_and(|x| y.absorbs(x)) {
                    reach[(i + 1) * width + j] = true;
                }
            }
            if let (Some(x), Some(y)) = (ta, tb) {
                let same = match (x, y) {
                    _ if x.is_run() || y.is_run() => false,
                    (Tok::One, _) | (_, Tok::One) => true,
                    (p, q) => p == q,
                };
                if same {
                    reach[(i + 1) * width + j + 1] = true;
                }
            }
        }
    }
    reach[n * width + m]
}

/// Whether a condition key of the reference (`s3:ExistingObjectTag/<key>`,
/// `aws:RequestTag/${TagKey}`, `secretsmanager:ResourceTag/tag-key`) covers a key a policy
/// names. Key names compare case-insensitively; a placeholder stands for any text.
pub fn key_covers(template: &str, key: &str) -> bool {
    let template = template.as_bytes();
    let key = key.as_bytes();
    // The template's literal pieces, which must appear in order; a placeholder separates two.
    let mut pieces: Vec<&[u8]> = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < template.len() {
        let close = match template[i] {
            b'$' if template.get(i + 1) == Some(&b'{') => Some(b'}'),
            b'<' => Some(b'>'),
            _ => None,
        };
        match close.and_then(|c| template[i..].iter().position(|b| *b == c)) {
            Some(len) => {
                pieces.push(&template[start..i]);
                i += len + 1;
                start = i;
            }
            None => i += 1,
        }
    }
    let rest = &template[start..];
    // `.../tag-key`: the documentation's own spelling of a placeholder.
    match rest.strip_suffix(b"/tag-key".as_slice()) {
        Some(head) => {
            pieces.push(&rest[..head.len() + 1]);
            pieces.push(b"");
        }
        None => pieces.push(rest),
    }
    let [first, middle @ .., last] = pieces.as_slice() else {
        return template.eq_ignore_ascii_case(key);
    };
    if key.len() < first.len() || !key[..first.len()].eq_ignore_ascii_case(first) {
        return false;
    }
    let mut at = first.len();
    for piece in middle {
        match find_ignore_case(&key[at..], piece) {
            Some(p) => at += p + piece.len(),
            None => return false,
        }
    }
    key.len() >= at + last.len() && key[key.len() - last.len()..].eq_ignore_ascii_case(last)
}

fn find_ignore_case(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

/// One service's records in the table, parsed on first use.
#[derive(Debug)]
struct Slot {
    prefix: &'static str,
    /// The byte range of the service's records, its `S` line included. Kept as numbers: taking
    /// the slice would read the table at its ends, a page of memory per service.
    range: (usize, usize),
    parsed: OnceLock<Service>,
}

/// Every service, by lowercase prefix.
#[derive(Debug, Default)]
pub struct ServiceReference {
    table: &'static str,
    by_prefix: FxHashMap<String, usize>,
    /// In the table's order (sorted by prefix).
    slots: Vec<Slot>,
    /// Every condition key any service defines, read from the table on first use.
    keys: OnceLock<KeyIndex>,
}

/// Every condition key of the table (the services' `K` records cover every key an action or
/// resource type names).
#[derive(Debug, Default)]
struct KeyIndex {
    /// Keys without a placeholder, lowercased.
    plain: FxHashSet<String>,
    /// Keys with one (`aws:RequestTag/${TagKey}`), as written, without repeats.
    templates: Vec<&'static str>,
    /// Every key as written, without repeats, for suggestions.
    all: Vec<&'static str>,
}

impl KeyIndex {
    fn read(table: &'static str) -> KeyIndex {
        let mut index = KeyIndex::default();
        let mut seen = FxHashSet::default();
        for at in memchr::memmem::find_iter(table.as_bytes(), b"\nK\t") {
            let line = &table[at + 3..];
            let key = &line[..line.find(['\t', '\n']).unwrap_or(line.len())];
            if !seen.insert(key.to_ascii_lowercase()) {
                continue;
            }
            index.all.push(key);
            if key.contains("${") || key.contains('<') || key.ends_with("/tag-key") {
                index.templates.push(key);
            } else {
                index.plain.insert(key.to_ascii_lowercase());
            }
        }
        index
    }
}

/// The reference, indexed on first use.
pub fn reference() -> &'static ServiceReference {
    static REFERENCE: OnceLock<ServiceReference> = OnceLock::new();
    REFERENCE.get_or_init(|| ServiceReference::index(TABLE))
}

fn list(text: &'static str) -> Vec<&'static str> {
    text.split(',').filter(|s| !s.is_empty()).collect()
}

/// `name,name?`: each resource type name, and whether it is required.
fn resource_type_names(text: &'static str) -> impl Iterator<Item = (&'static str, bool)> {
    text.split(',')
        .filter(|t| !t.is_empty())
        .map(|t| match t.strip_suffix('?') {
            Some(optional) => (optional, false),
            None => (t, true),
        })
}

/// `${Name}` placeholders become `*`; everything else is literal.
fn arn_pattern(format: &str) -> Glob {
    let mut pattern = String::with_capacity(format.len());
    let mut rest = format;
    while let Some(start) = rest.find("${") {
        pattern.push_str(&rest[..start].replace(['*', '?'], ""));
        match rest[start..].find('}') {
            Some(end) => {
                pattern.push('*');
                rest = &rest[start + end + 1..];
            }
            None => {
                rest = "";
            }
        }
    }
    pattern.push_str(&rest.replace(['*', '?'], ""));
    Glob::new(&pattern)
}

/// The formats of a resource type (a few types list several, separated by `, `).
fn formats(arn: &'static str) -> impl Iterator<Item = &'static str> {
    arn.split(", ").map(str::trim).filter(|f| !f.is_empty())
}

/// The ARN format's tokens: placeholders are wildcards.
fn format_tokens(format: &str) -> Fields {
    Fields::new(pattern_tokens(format, true))
}

/// Parses one service's records.
fn parse_service(text: &'static str) -> Service {
    let mut service = Service::default();
    let mut type_index: FxHashMap<&str, u32> = FxHashMap::default();
    for line in text.lines() {
        let mut fields = line.split('\t');
        let kind = fields.next().unwrap_or_default();
        let mut next = || fields.next().unwrap_or_default();
        match kind {
            "S" => service.prefix = next().trim_end(),
            "K" => {
                let key = next();
                service.condition_keys.push((key, next()));
            }
            "R" => {
                let (name, arn, keys) = (next(), next(), next());
                type_index.insert(name, service.resource_types.len() as u32);
                service.resource_types.push(ResourceType {
                    name,
                    arn,
                    compiled: OnceLock::new(),
                    condition_keys: list(keys),
                });
            }
            "A" => {
                let (name, level, types, keys) = (next(), next(), next(), next());
                let indices = resource_type_names(types)
                    .filter_map(|(t, _)| type_index.get(t).copied())
                    .collect();
                service.actions.push(ActionInfo {
                    name,
                    access_level: level,
                    types_text: types,
                    keys_text: keys,
                    name_lower: name.to_ascii_lowercase(),
                    types: indices,
                });
            }
            // Comments and blank lines.
            _ => {}
        }
    }
    service
        .actions
        .sort_by(|a, b| a.name_lower.cmp(&b.name_lower));
    service
}

impl ServiceReference {
    /// Finds where each service's records are, from the table's `I` lines (so that only the
    /// services asked for are ever read), else by scanning the table; parses none of them.
    fn index(table: &'static str) -> ServiceReference {
        let ranges = Self::listed_ranges(table).unwrap_or_else(|| Self::scanned_ranges(table));
        let mut reference = ServiceReference {
            table,
            ..ServiceReference::default()
        };
        reference.slots.reserve(ranges.len());
        for (prefix, start, end) in ranges {
            reference
                .by_prefix
                .insert(prefix.to_ascii_lowercase(), reference.slots.len());
            reference.slots.push(Slot {
                prefix,
                range: (start, end),
                parsed: OnceLock::new(),
            });
        }
        reference
    }

    /// The services' prefixes and byte ranges as the `I` lines give them, when the ranges
    /// follow each other and cover the records exactly (a table written without them, or
    /// edited by hand, is scanned instead). Reads the `I` lines only.
    fn listed_ranges(table: &str) -> Option<Vec<(&str, usize, usize)>> {
        let body = table.find("\nS\t")? + 1;
        let mut ranges = Vec::new();
        let mut end = body;
        for line in table[..body].lines() {
            let Some(rest) = line.strip_prefix("I\t") else {
                continue;
            };
            let mut fields = rest.split('\t');
            let (prefix, offset, length) = (fields.next()?, fields.next()?, fields.next()?);
            let start = body + offset.parse::<usize>().ok()?;
            if start != end {
                return None;
            }
            end = start + length.parse::<usize>().ok()?;
            ranges.push((prefix, start, end));
        }
        (end == table.len() && table.is_char_boundary(body)).then_some(ranges)
    }

    /// The services' prefixes and byte ranges, found by reading the whole table.
    fn scanned_ranges(table: &str) -> Vec<(&str, usize, usize)> {
        let mut starts: Vec<usize> = memchr::memmem::find_iter(table.as_bytes(), b"\nS\t")
            .map(|i| i + 1)
            .collect();
        if table.starts_with("S\t") {
            starts.insert(0, 0);
        }
        (0..starts.len())
            .map(|n| {
                let (start, end) = (starts[n], starts.get(n + 1).copied().unwrap_or(table.len()));
                let prefix = table[start..end]
                    .lines()
                    .next()
                    .and_then(|l| l.strip_prefix("S\t"))
                    .unwrap_or_default()
                    .trim_end();
                (prefix, start, end)
            })
            .collect()
    }

    fn key_index(&self) -> &KeyIndex {
        self.keys.get_or_init(|| KeyIndex::read(self.table))
    }

    /// Whether some service defines a condition key (any case; a template such as
    /// `aws:RequestTag/${TagKey}` covers every tag key).
    pub fn key_exists(&self, key: &str) -> bool {
        // Most keys are their own service's: that service is parsed anyway, the whole table's
        // keys are read only for the others.
        // The keys of federated sessions (`saml:aud`, `accounts.google.com:sub`) are listed
        // under `sts`.
        if let Some((prefix, _)) = key.split_once(':') {
            let own = self.service(prefix).or_else(|| self.service("sts"));
            if own.is_some_and(|s| s.defines_key(key)) {
                return true;
            }
        }
        let index = self.key_index();
        index.plain.contains(&key.to_ascii_lowercase())
            || index.templates.iter().any(|t| key_covers(t, key))
    }

    /// Every condition key the table defines, as written (templates included).
    pub fn condition_keys(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.key_index().all.iter().copied()
    }

    fn parsed<'a>(&'a self, slot: &'a Slot) -> &'a Service {
        slot.parsed
            .get_or_init(|| parse_service(self.table.get(slot.range.0..slot.range.1).unwrap_or("")))
    }

    /// A service by its prefix (any case).
    pub fn service(&self, prefix: &str) -> Option<&Service> {
        let slot = match self.by_prefix.get(prefix) {
            Some(i) => *i,
            None => *self.by_prefix.get(&prefix.to_ascii_lowercase())?,
        };
        Some(self.parsed(&self.slots[slot]))
    }

    /// Every service, by prefix.
    pub fn services(&self) -> impl Iterator<Item = &Service> {
        self.slots.iter().map(|s| self.parsed(s))
    }

    /// Every service prefix, as AWS writes it, without parsing any service.
    pub fn prefixes(&self) -> impl Iterator<Item = &str> {
        self.slots.iter().map(|s| s.prefix)
    }

    /// An action by its full name (`s3:GetObject`, any case).
    pub fn action(&self, full: &str) -> Option<(&Service, &ActionInfo)> {
        let (prefix, name) = full.split_once(':')?;
        let service = self.service(prefix)?;
        service.action(name).map(|a| (service, a))
    }

    /// The actions an `Action` pattern covers (`s3:Get*`, `*`), as `prefix:Name`, in order.
    /// A pattern naming no known action covers none.
    pub fn expand(&self, pattern: &str) -> Vec<String> {
        let (prefix, name) = match pattern.split_once(':') {
            Some(parts) => parts,
            None if pattern == "*" => ("*", "*"),
            None => return Vec::new(),
        };
        let glob = Glob::new(&name.to_ascii_lowercase());
        let services: Vec<&Service> = if prefix == "*" {
            self.services().collect()
        } else {
            self.service(prefix).into_iter().collect()
        };
        let mut out = Vec::new();
        for service in services {
            for action in service.matching(&glob) {
                out.push(format!("{}:{}", service.prefix, action.name));
            }
        }
        out
    }

    /// The resource types an action applies to, with their ARN formats.
    pub fn resource_types(&self, full: &str) -> Vec<&ResourceType> {
        match self.action(full) {
            Some((service, action)) => service.types_of(action).collect(),
            None => Vec::new(),
        }
    }

    /// Whether `arn` is a resource the action applies to. An action that names no resource
    /// type applies to `*` only.
    pub fn fits(&self, action: &str, arn: &str) -> bool {
        let types = self.resource_types(action);
        if types.is_empty() {
            return arn == "*";
        }
        types.iter().any(|t| t.fits(arn))
    }
}

impl Service {
    /// An action by its name without the prefix (any case).
    pub fn action(&self, name: &str) -> Option<&ActionInfo> {
        let found = if name.bytes().any(|b| b.is_ascii_uppercase()) {
            let lower = name.to_ascii_lowercase();
            self.actions
                .binary_search_by(|a| a.name_lower.as_str().cmp(&lower))
        } else {
            self.actions
                .binary_search_by(|a| a.name_lower.as_str().cmp(name))
        };
        found.ok().map(|i| &self.actions[i])
    }

    /// The actions whose lowercase names a lowercase pattern matches, in order.
    pub fn matching<'a, 'g>(&'a self, glob: &'g Glob) -> impl Iterator<Item = &'a ActionInfo> + 'g
    where
        'a: 'g,
    {
        self.actions
            .iter()
            .filter(move |a| glob.is_match(&a.name_lower))
    }

    /// The resource types an action of this service applies to.
    pub fn types_of<'a>(
        &'a self,
        action: &'a ActionInfo,
    ) -> impl Iterator<Item = &'a ResourceType> + 'a {
        action
            .types
            .iter()
            .filter_map(|i| self.resource_types.get(*i as usize))
    }

    /// Whether the service defines a condition key (a template such as
    /// `s3:ExistingObjectTag/<key>` covers every tag key).
    pub fn defines_key(&self, key: &str) -> bool {
        // The table lists every key an action or resource type names among the service's own.
        self.condition_keys.iter().any(|(k, _)| key_covers(k, key))
    }

    /// Whether a request for `action` can carry `key`: the action's own keys and those of the
    /// resource types it applies to.
    pub fn supports_key(&self, action: &ActionInfo, key: &str) -> bool {
        action.condition_keys().any(|k| key_covers(k, key))
            || self
                .types_of(action)
                .any(|t| t.condition_keys.iter().any(|k| key_covers(k, key)))
    }
}

impl ActionInfo {
    /// The name lowercased.
    pub fn name_lower(&self) -> &str {
        &self.name_lower
    }

    /// The resource types the action applies to, by name, and whether each is required.
    pub fn resource_types(&self) -> impl Iterator<Item = (&'static str, bool)> {
        resource_type_names(self.types_text)
    }

    /// The condition keys the action supports (besides its resource types' keys).
    pub fn condition_keys(&self) -> impl Iterator<Item = &'static str> {
        self.keys_text.split(',').filter(|k| !k.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_lines_locate_every_service() {
        let listed = ServiceReference::listed_ranges(TABLE).expect("the table has I lines");
        assert_eq!(listed, ServiceReference::scanned_ranges(TABLE));
        let bare: String = TABLE
            .lines()
            .filter(|l| !l.starts_with("I\t"))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(ServiceReference::listed_ranges(&bare), None);
    }

    #[test]
    fn the_table_knows_s3_and_kms() {
        let r = reference();
        assert!(r.action("s3:GetObject").is_some());
        assert!(r.action("S3:getobject").is_some());
        assert!(r.action("s3:GetObjects").is_none());
        let gets = r.expand("s3:GetObject*");
        assert!(gets.contains(&"s3:GetObject".to_string()));
        assert!(gets.contains(&"s3:GetObjectAcl".to_string()));
        assert!(!gets.contains(&"s3:PutObject".to_string()));
        assert!(r.expand("kms:*").len() > 40);
        assert!(r.fits("s3:GetObject", "arn:aws:s3:::bucket/key"));
        assert!(!r.fits("s3:GetObject", "arn:aws:s3:::bucket"));
        assert!(r.fits("s3:ListBucket", "arn:aws:s3:::bucket"));
        assert!(r.fits(
            "kms:Decrypt",
            "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        ));
        assert!(r.fits("s3:ListAllMyBuckets", "*"));
        assert!(r.prefixes().any(|p| p == "s3"));
    }

    #[test]
    fn patterns_overlap_when_some_text_matches_both() {
        let object = |arn: &str| {
            let (s3, a) = reference().action("s3:GetObject").unwrap();
            s3.types_of(a)
                .any(|t| t.name == "object" && t.overlaps(&ResourcePattern::new(arn)))
        };
        assert!(object("arn:aws:s3:::b/*"));
        assert!(object("arn:aws:s3:::*"));
        assert!(object("*"));
        assert!(object("arn:aws:s3:::${aws:username}-bucket/k"));
        assert!(object("ARN:AWS:S3:::B/K"));
        assert!(!object("arn:aws:s3:::b"));
        // `?` may be the `/` before an (empty) object name.
        assert!(object("arn:aws:s3:::b?"));
        assert!(!object("arn:aws:s3:::b-x"));
        assert!(object("arn:aws:s3:::b?/k"));
        assert!(!object("arn:aws:kms:*:*:key/*"));
        assert!(ResourcePattern::new("*").covers_star());
        assert!(!ResourcePattern::new("arn:aws:s3:::*").covers_star());
    }

    #[test]
    fn condition_key_templates_cover_the_keys_they_stand_for() {
        assert!(key_covers(
            "aws:RequestTag/${TagKey}",
            "aws:requesttag/Team"
        ));
        assert!(key_covers(
            "s3:ExistingObjectTag/<key>",
            "s3:ExistingObjectTag/x"
        ));
        assert!(key_covers(
            "secretsmanager:ResourceTag/tag-key",
            "secretsmanager:ResourceTag/owner"
        ));
        assert!(key_covers(
            "kms:EncryptionContext:${EncryptionContextKey}",
            "kms:EncryptionContext:aws:s3:arn"
        ));
        assert!(key_covers("s3:prefix", "S3:Prefix"));
        assert!(!key_covers("s3:prefix", "s3:prefixes"));
        assert!(!key_covers("aws:RequestTag/${TagKey}", "aws:ResourceTag/x"));
        let s3 = reference().service("s3").unwrap();
        assert!(s3.defines_key("s3:x-amz-server-side-encryption"));
        assert!(!s3.defines_key("s3:x-amz-server-side-encrypton"));
    }
}
