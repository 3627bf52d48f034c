//! AWS's service authorization reference: every action of every service, the resource types
//! each applies to and the condition keys it supports, each resource type's ARN format. Read
//! once, on first use, from the generated table beside this file (see its README for the
//! source and licence).

use std::sync::OnceLock;

use rustc_hash::FxHashMap;

use super::wildcard::Glob;

/// The generated table.
const TABLE: &str = include_str!("service-reference.tsv");

/// One service.
#[derive(Debug, Clone, Default)]
pub struct Service {
    /// As AWS writes it in actions (`s3`, `kms`).
    pub prefix: String,
    /// Sorted by name.
    pub actions: Vec<ActionInfo>,
    pub resource_types: Vec<ResourceType>,
    /// The service's condition keys and their types.
    pub condition_keys: Vec<(String, String)>,
}

/// One action of a service.
#[derive(Debug, Clone)]
pub struct ActionInfo {
    /// Without the prefix, as AWS spells it (`GetObject`).
    pub name: String,
    pub access_level: String,
    /// Resource type names, and whether each is required.
    pub resource_types: Vec<(String, bool)>,
    pub condition_keys: Vec<String>,
}

/// A resource type and the ARNs it covers.
#[derive(Debug, Clone)]
pub struct ResourceType {
    pub name: String,
    /// With `${Partition}`, `${Region}`, `${Account}` and the type's own placeholders.
    pub arn: String,
    /// The ARN format as a pattern: each placeholder matches any text.
    pattern: Glob,
    pub condition_keys: Vec<String>,
}

impl ResourceType {
    /// Whether an ARN is of this type.
    pub fn fits(&self, arn: &str) -> bool {
        self.pattern.is_match(arn)
    }
}

/// Every service, by lowercase prefix.
#[derive(Debug, Default)]
pub struct ServiceReference {
    services: FxHashMap<String, Service>,
}

/// The reference, read on first use.
pub fn reference() -> &'static ServiceReference {
    static REFERENCE: OnceLock<ServiceReference> = OnceLock::new();
    REFERENCE.get_or_init(|| ServiceReference::parse(TABLE))
}

fn list(text: &str) -> Vec<String> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
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

impl ServiceReference {
    fn parse(table: &str) -> ServiceReference {
        let mut services: FxHashMap<String, Service> = FxHashMap::default();
        let mut current: Option<Service> = None;
        for line in table.lines() {
            let fields: Vec<&str> = line.split('\t').collect();
            match fields.as_slice() {
                ["S", prefix] => {
                    if let Some(done) = current.take() {
                        services.insert(done.prefix.to_ascii_lowercase(), done);
                    }
                    current = Some(Service {
                        prefix: prefix.to_string(),
                        ..Service::default()
                    });
                }
                ["K", key, kind] => {
                    if let Some(s) = current.as_mut() {
                        s.condition_keys.push((key.to_string(), kind.to_string()));
                    }
                }
                ["R", name, arn, keys] => {
                    if let Some(s) = current.as_mut() {
                        s.resource_types.push(ResourceType {
                            name: name.to_string(),
                            arn: arn.to_string(),
                            pattern: arn_pattern(arn),
                            condition_keys: list(keys),
                        });
                    }
                }
                ["A", name, level, types, keys] => {
                    if let Some(s) = current.as_mut() {
                        let resource_types = types
                            .split(',')
                            .filter(|t| !t.is_empty())
                            .map(|t| match t.strip_suffix('?') {
                                Some(optional) => (optional.to_string(), false),
                                None => (t.to_string(), true),
                            })
                            .collect();
                        s.actions.push(ActionInfo {
                            name: name.to_string(),
                            access_level: level.to_string(),
                            resource_types,
                            condition_keys: list(keys),
                        });
                    }
                }
                // Comments and blank lines.
                _ => {}
            }
        }
        if let Some(done) = current.take() {
            services.insert(done.prefix.to_ascii_lowercase(), done);
        }
        for s in services.values_mut() {
            s.actions.sort_by(|a, b| {
                a.name
                    .to_ascii_lowercase()
                    .cmp(&b.name.to_ascii_lowercase())
            });
        }
        ServiceReference { services }
    }

    /// A service by its prefix (any case).
    pub fn service(&self, prefix: &str) -> Option<&Service> {
        self.services.get(&prefix.to_ascii_lowercase())
    }

    /// Every service.
    pub fn services(&self) -> impl Iterator<Item = &Service> {
        self.services.values()
    }

    /// An action by its full name (`s3:GetObject`, any case).
    pub fn action(&self, full: &str) -> Option<(&Service, &ActionInfo)> {
        let (prefix, name) = full.split_once(':')?;
        let service = self.service(prefix)?;
        service
            .actions
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
            .map(|a| (service, a))
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
        let mut out = Vec::new();
        let mut services: Vec<&Service> = if prefix == "*" {
            self.services.values().collect()
        } else {
            self.service(prefix).into_iter().collect()
        };
        services.sort_by(|a, b| a.prefix.cmp(&b.prefix));
        for service in services {
            for action in &service.actions {
                if glob.is_match(&action.name.to_ascii_lowercase()) {
                    out.push(format!("{}:{}", service.prefix, action.name));
                }
            }
        }
        out
    }

    /// The resource types an action applies to, with their ARN formats.
    pub fn resource_types(&self, full: &str) -> Vec<&ResourceType> {
        let Some((service, action)) = self.action(full) else {
            return Vec::new();
        };
        action
            .resource_types
            .iter()
            .filter_map(|(name, _)| service.resource_types.iter().find(|r| r.name == *name))
            .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
