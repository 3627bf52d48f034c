//! The `iamsim` command: a thin client of the library.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use iamsim::scenario::{load_scenario, run_scenario, CheckResult, ExpectationStatus, Scenario};
use iamsim::{cli_eval, report};

/// Answers whether an AWS call succeeds, which statement decides it, and why, from a scenario
/// file describing principals, buckets, KMS keys and organizations.
#[derive(Parser)]
#[command(name = "iamsim", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
    Junit,
}

#[derive(Subcommand)]
enum Command {
    /// Run every check of scenario files (or of every *.json in a folder) and compare them with
    /// their expectations. Exit 0: all met; 1: some unmet; 2: invalid input.
    Check {
        /// Scenario files or folders.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Print the full trace of checks: every step, the request context, every statement and
    /// why it did or did not apply.
    Explain {
        file: PathBuf,
        /// The check's name (all checks when left out).
        #[arg(long)]
        check: Option<String>,
    },
    /// Ask one question without a scenario file.
    Eval {
        /// The caller: a user, role or session ARN, an account root ARN, "anonymous", or a
        /// service principal.
        #[arg(long)]
        principal: String,
        #[arg(long)]
        action: String,
        /// The resource ARN, or "*".
        #[arg(long, default_value = "*")]
        resource: String,
        /// An identity policy file of the principal (repeatable).
        #[arg(long = "identity-policy")]
        identity_policy: Vec<PathBuf>,
        /// The resource's policy (bucket, key, trust or other resource policy, by the ARN).
        #[arg(long = "resource-policy")]
        resource_policy: Option<PathBuf>,
        /// A permissions boundary file of the principal.
        #[arg(long = "permissions-boundary")]
        permissions_boundary: Option<PathBuf>,
        /// The resource's account, where its ARN carries none (S3).
        #[arg(long = "resource-account")]
        resource_account: Option<String>,
        /// A context value KEY=VALUE (repeatable; KEY=a,b,c gives several values with
        /// --multi KEY).
        #[arg(long = "context")]
        context: Vec<String>,
        /// Treat these context keys as multi-valued (their values split at commas).
        #[arg(long = "multi")]
        multi: Vec<String>,
        /// Print the full trace.
        #[arg(long)]
        explain: bool,
    },
}

/// Writes to standard output. A reader that stops early (`iamsim check ... | head`) closes the
/// pipe; that ends the output, it is not an error.
fn emit(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check { files, format } => check(&files, format),
        Command::Explain { file, check } => explain(&file, check.as_deref()),
        Command::Eval {
            principal,
            action,
            resource,
            identity_policy,
            resource_policy,
            permissions_boundary,
            resource_account,
            context,
            multi,
            explain,
        } => {
            let question = cli_eval::Question {
                principal,
                action,
                resource,
                identity_policies: identity_policy,
                resource_policy,
                permissions_boundary,
                resource_account,
                context,
                multi,
            };
            match cli_eval::evaluate(&question, explain) {
                Ok((text, allowed)) => {
                    emit(&text);
                    if allowed {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::from(1)
                    }
                }
                Err(problems) => {
                    for p in problems {
                        eprintln!("{p}");
                    }
                    ExitCode::from(2)
                }
            }
        }
    }
}

/// Expands folders into the *.json files they hold, sorted.
fn expand(files: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for f in files {
        if f.is_dir() {
            let pattern = f.join("*.json");
            let mut found: Vec<PathBuf> = glob::glob(&pattern.to_string_lossy())
                .map(|paths| paths.filter_map(Result::ok).collect())
                .unwrap_or_default();
            found.sort();
            out.extend(found);
        } else {
            out.push(f.clone());
        }
    }
    out
}

fn check(files: &[PathBuf], format: Format) -> ExitCode {
    let mut invalid = false;
    let mut results: Vec<(String, Vec<CheckResult>)> = Vec::new();
    for path in expand(files) {
        match load_scenario(&path) {
            Ok(scenario) => {
                results.push((path.display().to_string(), run_scenario(&scenario, false)))
            }
            Err(e) => {
                invalid = true;
                for p in &e.problems {
                    eprintln!("{p}");
                }
            }
        }
    }
    let (mut met, mut unmet, mut none) = (0, 0, 0);
    for (_, checks) in &results {
        for c in checks {
            match c.expectation {
                ExpectationStatus::Met => met += 1,
                ExpectationStatus::Unmet(_) => unmet += 1,
                ExpectationStatus::None => none += 1,
            }
        }
    }
    match format {
        Format::Text => {
            let mut out = String::new();
            for (file, checks) in &results {
                out.push_str(&report::text::check_report(file, checks));
            }
            out.push_str(&report::text::summary_line(met, unmet, none));
            out.push('\n');
            emit(&out);
        }
        Format::Json => {
            let files: Vec<report::json::FileResults<'_>> = results
                .iter()
                .map(|(file, checks)| report::json::FileResults { file, checks })
                .collect();
            emit(&format!("{}\n", report::json::document(&files)));
        }
        Format::Junit => emit(&report::text::junit(&results)),
    }
    if invalid {
        ExitCode::from(2)
    } else if unmet > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn explain(path: &Path, name: Option<&str>) -> ExitCode {
    let scenario: Scenario = match load_scenario(path) {
        Ok(s) => s,
        Err(e) => {
            for p in &e.problems {
                eprintln!("{p}");
            }
            return ExitCode::from(2);
        }
    };
    if let Some(n) = name {
        if !scenario.checks.iter().any(|c| c.name == n) {
            eprintln!("{}: no check named {n:?}; the checks are:", path.display());
            for c in &scenario.checks {
                eprintln!("  {}", c.name);
            }
            return ExitCode::from(2);
        }
    }
    let results = run_scenario(&scenario, true);
    let file = path.display().to_string();
    let chosen: Vec<&CheckResult> = results
        .iter()
        .filter(|c| name.is_none_or(|n| c.name == n))
        .collect();
    let texts: Vec<String> = chosen
        .iter()
        .map(|c| report::text::explain(&file, c))
        .collect();
    emit(&texts.join("\n----------------------------------------------------------------\n\n"));
    if chosen
        .iter()
        .any(|c| matches!(c.expectation, ExpectationStatus::Unmet(_)))
    {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
