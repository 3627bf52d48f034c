//! The `iamsim` command: a thin client of the library.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

// A scenario run allocates and frees many small strings (contexts, messages, results);
// mimalloc does that several times faster than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use iamsim::report;
use iamsim::report::html::HtmlWriter;
use iamsim::report::json::JsonWriter;
use iamsim::report::text::{JunitWriter, TextWriter};
use iamsim::report::ReportWriter;
use iamsim::scenario::question::Question;
use iamsim::scenario::{
    load_scenario, run_batches, run_mapped, run_scenario, ExpectationStatus, PolicyWarning,
    Scenario,
};

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

/// The forms of `check` and `diff` reports.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ReportFormat {
    Text,
    Json,
    Junit,
    /// One self-contained page (no network, nothing external): a summary table, each check's
    /// steps as a flow and its policies layer by layer.
    Html,
}

/// The forms of `explain`.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ExplainFormat {
    Text,
    /// The `check` page with every check's trace open.
    Html,
}

#[derive(Subcommand)]
enum Command {
    /// Run every check of scenario files (or of every *.json in a folder) and compare them with
    /// their expectations. Exit 0: all met; 1: some unmet (or, with --deny-warnings, a lint
    /// finding); 2: invalid input.
    Check {
        /// Scenario files or folders.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "text")]
        format: ReportFormat,
        /// Fail the run (exit 1) when a policy has a lint finding.
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Print the full trace of checks: every step, the request context, every statement and
    /// why it did or did not apply.
    Explain {
        file: PathBuf,
        /// The check: its name, a part of its name that only it has, or its 1-based index
        /// (all checks when left out).
        #[arg(long)]
        check: Option<String>,
        /// Walk through the evaluation in AWS's documented order, each stage with its rule
        /// and the AWS page that states it.
        #[arg(long)]
        learn: bool,
        #[arg(long, value_enum, default_value = "text")]
        format: ExplainFormat,
        /// Fail the run (exit 1) when a policy has a lint finding.
        #[arg(long)]
        deny_warnings: bool,
    },
    /// The smallest verified edits that make a denied check succeed (or an allowed check that
    /// should be denied fail), ranked by how little access each adds.
    Fix {
        file: PathBuf,
        /// The check: its name, a part of its name, or its 1-based index.
        #[arg(long)]
        check: String,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Who can make a request: every principal of the world, the accounts the policies name,
    /// and anyone at all.
    WhoCan {
        file: PathBuf,
        /// One authorization: its action (with --resource).
        #[arg(long)]
        action: Option<String>,
        #[arg(long)]
        resource: Option<String>,
        /// A modelled S3 call (with --bucket and --key).
        #[arg(long)]
        call: Option<String>,
        #[arg(long)]
        bucket: Option<String>,
        #[arg(long)]
        key: Option<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Practise: predict the outcome of checks from the scenario library, then read why.
    Quiz {
        /// Scenario files or folders (the library in scenarios/ when left out).
        files: Vec<PathBuf>,
        /// Only this topic (a folder of the library, or a part of a file name).
        #[arg(long)]
        topic: Option<String>,
        /// The same seed gives the same questions in the same order.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// How many questions.
        #[arg(long, default_value_t = 10)]
        count: usize,
    },
    /// Which decisions a change flips: runs two versions of a scenario and compares their
    /// checks by name, and with --matrix every request the worlds' policies speak of. Exit 0:
    /// no decision flipped; 1: some did; 2: invalid input.
    Diff {
        before: PathBuf,
        /// The changed scenario; leave it out to change BEFORE with --set.
        after: Option<PathBuf>,
        /// Also compare the request matrix: every principal x every action the policies
        /// mention (wildcards expanded) x every resource it applies to, and every modelled
        /// S3 call on every bucket.
        #[arg(long)]
        matrix: bool,
        /// Swap one policy of the after world: bucket:NAME=FILE, key:ARN=FILE or
        /// principal:ARN/POLICY_NAME=FILE (repeatable).
        #[arg(long = "set")]
        set: Vec<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: ReportFormat,
    },
    /// Build a scenario world from AWS CLI outputs (a folder named by the convention in the
    /// README, and/or single files), printed on standard output for you to add checks to.
    /// Exit 0: imported; 2: an input could not be used.
    Import {
        /// A folder of CLI outputs: iam/..., s3api/..., kms/..., organizations/...
        folder: Option<PathBuf>,
        /// One output under its conventional name, NAME=FILE (repeatable), e.g.
        /// s3api/my-bucket/get-bucket-policy.json=policy.json
        #[arg(long = "input")]
        input: Vec<String>,
        /// The buckets' account (S3's outputs name none); the IAM principals' account when
        /// left out.
        #[arg(long)]
        account: Option<String>,
        /// The buckets' Region; us-east-1 when left out.
        #[arg(long)]
        region: Option<String>,
        /// Write the scenario to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Print the JSON Schema (draft 2020-12) of scenario files, for editors to validate and
    /// complete them (also in docs/scenario.schema.json).
    Schema,
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
        /// Fail the run (exit 2, as invalid input: 1 means denied) when the action or a policy
        /// has a lint finding.
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Lint policies against AWS's service authorization reference: actions, resources and
    /// condition keys that do not exist or never apply, public Allows, NotAction with Allow.
    /// FILE is a scenario (every policy in it) or a policy file (a document, a JSON string
    /// holding one, or an AWS CLI output that prints one). Exit 0: no finding, or warnings
    /// only; 1: warnings, with --deny-warnings; 2: an error-level finding (AWS would refuse
    /// the policy) or invalid input.
    Lint {
        /// Scenario or policy files, or folders.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "text")]
        format: LintFormat,
        /// Fail the run (exit 1) on warnings too.
        #[arg(long)]
        deny_warnings: bool,
        /// The type of the policy files (identity, boundary, session, scp, rcp, bucket, key,
        /// trust, endpoint, resource); by default read from the AWS CLI command that printed
        /// the file, else from the statements.
        #[arg(long = "policy-type")]
        policy_type: Option<String>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum LintFormat {
    Text,
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
}

/// Standard output without its line buffering: a report is written in large blocks, and the
/// line writer would search each block for its last newline. Falls back to the locked stdout
/// when the descriptor cannot be duplicated.
fn raw_stdout() -> Box<dyn std::io::Write> {
    use std::os::fd::AsFd;
    match std::io::stdout().as_fd().try_clone_to_owned() {
        Ok(fd) => Box::new(std::fs::File::from(fd)),
        Err(_) => Box::new(std::io::stdout().lock()),
    }
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
        Command::Check {
            files,
            format,
            deny_warnings,
        } => check(&files, format, deny_warnings),
        Command::Explain {
            file,
            check,
            learn,
            format,
            deny_warnings,
        } => explain(&file, check.as_deref(), learn, format, deny_warnings),
        Command::Lint {
            files,
            format,
            deny_warnings,
            policy_type,
        } => lint(&files, format, deny_warnings, policy_type.as_deref()),
        Command::Fix {
            file,
            check,
            format,
        } => fix(&file, &check, format),
        Command::WhoCan {
            file,
            action,
            resource,
            call,
            bucket,
            key,
            format,
        } => who_can(&file, action, resource, call, bucket, key, format),
        Command::Quiz {
            files,
            topic,
            seed,
            count,
        } => quiz(&files, topic, seed, count),
        Command::Schema => {
            let schema = iamsim::scenario::format::json_schema();
            emit(&format!(
                "{}\n",
                serde_json::to_string_pretty(&schema).unwrap_or_default()
            ));
            ExitCode::SUCCESS
        }
        Command::Diff {
            before,
            after,
            matrix,
            set,
            format,
        } => diff(&before, after.as_deref(), &set, matrix, format),
        Command::Import {
            folder,
            input,
            account,
            region,
            output,
        } => import(
            folder.as_deref(),
            &input,
            &iamsim::import::ImportOptions { account, region },
            output.as_deref(),
        ),
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
            deny_warnings,
        } => {
            let question = Question {
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
            eval(&question, explain, deny_warnings)
        }
    }
}

/// Answers one question: exit 0 allowed, 1 denied, 2 invalid input (or, with
/// `--deny-warnings`, a lint finding).
fn eval(question: &Question, explain: bool, deny_warnings: bool) -> ExitCode {
    let scenario = match question.scenario() {
        Ok(s) => s,
        Err(problems) => {
            for p in problems {
                eprintln!("{p}");
            }
            return ExitCode::from(2);
        }
    };
    let warnings = eval_warnings(question, &scenario.world);
    print_warnings(&warnings);
    let results = run_scenario(&scenario, explain);
    let Some(result) = results.first() else {
        return ExitCode::from(2);
    };
    let mut text = if explain {
        report::text::explain("eval", result)
    } else {
        let mut t = format!("{}\n", report::text::outcome(result));
        if let Some(m) = result.outcome.message() {
            t.push_str(&format!("{m}\n"));
        }
        t
    };
    if !text.ends_with('\n') {
        text.push('\n');
    }
    emit(&text);
    if deny_warnings && !warnings.is_empty() {
        ExitCode::from(2)
    } else if result.allowed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The lint findings of `eval`'s input: its action, and each policy file (positions in the
/// file the policy was read from).
fn eval_warnings(question: &Question, world: &iamsim::world::World) -> Vec<PolicyWarning> {
    use iamsim::json::SourceText;
    let mut out = Vec::new();
    if let Some(f) = iamsim::policy::lint::lint_action(&question.action) {
        out.push(PolicyWarning::new(
            &SourceText::new("eval", ""),
            "--action",
            &f,
        ));
    }
    // Positions need the files' text; the policies themselves are those the world holds.
    let read = |path: &Path| {
        SourceText::new(
            path.display().to_string(),
            std::fs::read_to_string(path).unwrap_or_default(),
        )
    };
    if let Some(holder) = world
        .principals
        .values()
        .find(|p| !p.identity.is_empty() || p.boundary.is_some())
    {
        for (path, policy) in question.identity_policies.iter().zip(&holder.identity) {
            out.extend(PolicyWarning::of_policy(&read(path), policy));
        }
        if let (Some(path), Some(policy)) = (&question.permissions_boundary, &holder.boundary) {
            out.extend(PolicyWarning::of_policy(&read(path), policy));
        }
    }
    if let Some(path) = &question.resource_policy {
        let resource_policy = world
            .buckets
            .values()
            .filter_map(|b| b.policy.as_ref())
            .chain(
                world
                    .keys
                    .values()
                    .filter(|k| !k.default_policy)
                    .map(|k| &k.policy),
            )
            .chain(world.principals.values().filter_map(|p| p.trust.as_ref()))
            .chain(world.resources.values().map(|r| &r.policy))
            .next();
        if let Some(policy) = resource_policy {
            out.extend(PolicyWarning::of_policy(&read(path), policy));
        }
    }
    out
}

/// Prints lint findings on standard error, one a line.
fn print_warnings(warnings: &[PolicyWarning]) {
    for w in warnings {
        eprintln!("{w}");
    }
}

/// Expands folders into the *.json files they hold, sorted.
fn expand(files: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for f in files {
        if f.is_dir() {
            // The folder and every folder below it.
            let pattern = f.join("**").join("*.json");
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

/// Loads every file. When any is invalid, reports every problem of every file on standard error
/// and returns `None`: nothing is run and nothing is printed on standard output.
fn load_all(files: &[PathBuf]) -> Option<Vec<(String, Scenario)>> {
    let mut loaded = Vec::new();
    let mut invalid = false;
    for path in expand(files) {
        match load_scenario(&path) {
            Ok(scenario) => loaded.push((path.display().to_string(), scenario)),
            Err(e) => {
                invalid = true;
                for p in &e.problems {
                    eprintln!("{p}");
                }
            }
        }
    }
    (!invalid).then_some(loaded)
}

/// How many results a report holds at a time.
const BATCH: usize = 4096;

fn check(files: &[PathBuf], format: ReportFormat, deny_warnings: bool) -> ExitCode {
    let Some(scenarios) = load_all(files) else {
        return ExitCode::from(2);
    };
    let out = std::io::BufWriter::with_capacity(1 << 16, raw_stdout());
    let mut writer: Box<dyn ReportWriter> = match format {
        ReportFormat::Json => match JsonWriter::new(out) {
            Ok(w) => Box::new(w),
            // A closed pipe (`| head`) only ends the output.
            Err(_) => return ExitCode::SUCCESS,
        },
        ReportFormat::Text => Box::new(TextWriter::new(out)),
        ReportFormat::Junit => Box::new(JunitWriter::new(out)),
        ReportFormat::Html => {
            let checks = scenarios.iter().map(|(_, s)| s.checks.len()).sum();
            let title = match scenarios.as_slice() {
                [(file, _)] => format!("iamsim check: {file}"),
                _ => format!("iamsim check: {} files", scenarios.len()),
            };
            Box::new(HtmlWriter::new(out, checks, false, title))
        }
    };
    // The HTML report shows every statement's evaluation (unless its page builds them); the
    // others only the decision.
    let explain = writer.wants_traces();
    let findings: usize = scenarios.iter().map(|(_, s)| s.warnings.len()).sum();
    for (file, scenario) in &scenarios {
        print_warnings(&scenario.warnings);
        writer.source(&scenario.source);
        // A closed pipe (`| head`) only ends the output: write errors are not reported.
        let _ = writer.begin_file(file);
        match writer.renderer() {
            // Each check is rendered, and its result freed, on the thread that decided it. The
            // text buffers go round from batch to batch: new ones would be new memory, each page
            // of it faulted in again.
            Some(render) => {
                let spare = std::sync::Mutex::new(Vec::<Vec<u8>>::new());
                let take = || {
                    spare
                        .lock()
                        .ok()
                        .and_then(|mut s| s.pop())
                        .unwrap_or_default()
                };
                run_mapped(
                    &scenario.world,
                    &scenario.checks,
                    explain,
                    BATCH,
                    |results| render(&results, take()),
                    |part| {
                        let _ = writer.write_rendered(&part);
                        if let Ok(mut s) = spare.lock() {
                            s.push(part.text);
                        }
                    },
                )
            }
            None => run_batches(&scenario.world, &scenario.checks, explain, BATCH, |batch| {
                let _ = writer.checks(&batch);
            }),
        }
        let _ = writer.end_file();
    }
    let summary = writer.finish().unwrap_or_default();
    // The process ends now: leaving the scenarios to the operating system saves freeing their
    // checks one by one.
    std::mem::forget(scenarios);
    if summary.unmet > 0 || (deny_warnings && findings > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn import(
    folder: Option<&Path>,
    input: &[String],
    options: &iamsim::import::ImportOptions,
    output: Option<&Path>,
) -> ExitCode {
    let mut inputs = match folder {
        Some(f) => match iamsim::import::Inputs::folder(f) {
            Ok(i) => i,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(2);
            }
        },
        None => iamsim::import::Inputs::default(),
    };
    for pair in input {
        match pair.split_once('=') {
            Some((name, file)) => inputs.add(name, PathBuf::from(file)),
            None => {
                eprintln!("--input {pair:?}: expected NAME=FILE, e.g. s3api/my-bucket/get-bucket-policy.json=policy.json");
                return ExitCode::from(2);
            }
        }
    }
    match iamsim::import::import(&inputs, options) {
        Ok(imported) => {
            for gap in &imported.gaps {
                eprintln!("note: {gap}");
            }
            match output {
                Some(path) => {
                    if let Err(e) = std::fs::write(path, &imported.text) {
                        eprintln!("{}: cannot write: {e}", path.display());
                        return ExitCode::from(2);
                    }
                }
                None => emit(&imported.text),
            }
            ExitCode::SUCCESS
        }
        Err(errors) => {
            for e in &errors {
                eprintln!("{e}");
            }
            ExitCode::from(2)
        }
    }
}

fn diff(
    before: &Path,
    after: Option<&Path>,
    swaps: &[String],
    matrix: bool,
    format: ReportFormat,
) -> ExitCode {
    if after.is_none() && swaps.is_empty() {
        eprintln!("diff: give the changed scenario (AFTER), or change BEFORE with --set");
        return ExitCode::from(2);
    }
    // Every input is read before any is reported on: all problems come out in one run.
    let mut invalid = false;
    let mut load = |path: &Path| match load_scenario(path) {
        Ok(s) => Some(s),
        Err(e) => {
            invalid = true;
            for p in &e.problems {
                eprintln!("{p}");
            }
            None
        }
    };
    let before_scenario = load(before);
    let after_scenario = after.map(&mut load);
    let (Some(before_scenario), Some(mut after_scenario)) = (
        before_scenario.clone(),
        after_scenario.unwrap_or_else(|| before_scenario.clone()),
    ) else {
        return ExitCode::from(2);
    };
    // Where the after side's statements come from: its file, and the files swapped in.
    let mut after_sources = report::html::Sources::new(after_scenario.source.clone());
    for swap in swaps {
        let Some((target, file)) = swap.split_once('=') else {
            eprintln!("--set {swap:?}: expected TARGET=FILE, e.g. bucket:my-bucket=policy.json");
            invalid = true;
            continue;
        };
        let text = match std::fs::read_to_string(file) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("{file}: cannot read: {e}");
                invalid = true;
                continue;
            }
        };
        let source = std::sync::Arc::new(iamsim::json::SourceText::new(file, text));
        match iamsim::scenario::matrix::swap_policy(&mut after_scenario.world, target, &source) {
            Ok(name) => after_sources.policy_from(name, source),
            Err(e) => {
                eprintln!("--set {target}: {e}");
                invalid = true;
            }
        }
    }
    if invalid {
        return ExitCode::from(2);
    }
    // The HTML diff shows both sides' traces; the others only the decisions.
    let explain = format == ReportFormat::Html;
    let (before_results, after_results) = (
        run_scenario(&before_scenario, explain),
        run_scenario(&after_scenario, explain),
    );
    let d = report::diff::diff(&before_results, &after_results);
    let m = matrix.then(|| compare_matrix(&before_scenario.world, &after_scenario.world));
    let text = match format {
        ReportFormat::Text => {
            let mut t = report::diff::render(&d);
            if let Some(m) = &m {
                t.push_str(&report::diff::render_matrix(m));
            }
            t
        }
        ReportFormat::Json => report::diff::render_json(&d, m.as_ref()),
        ReportFormat::Junit => report::diff::render_junit(&d, m.as_ref()),
        ReportFormat::Html => {
            let before_label = before.display().to_string();
            let after_label = match after {
                Some(a) => a.display().to_string(),
                None => format!("{before_label} with --set"),
            };
            let before_sources = report::html::Sources::new(before_scenario.source.clone());
            report::html::render_diff(
                &d,
                &report::html::Side {
                    label: &before_label,
                    results: &before_results,
                    sources: &before_sources,
                },
                &report::html::Side {
                    label: &after_label,
                    results: &after_results,
                    sources: &after_sources,
                },
                m.as_ref(),
            )
        }
    };
    emit(&text);
    if d.flips() || m.is_some_and(|m| !m.flips.is_empty()) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// The matrix diff, with a progress line on standard error when it takes over a second and
/// standard error is a terminal.
fn compare_matrix(
    before: &iamsim::world::World,
    after: &iamsim::world::World,
) -> iamsim::scenario::matrix::MatrixDiff {
    use std::io::IsTerminal;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let matrix = iamsim::scenario::matrix::Matrix::of(before, after);
    let total = matrix.requests.len();
    let done = AtomicUsize::new(0);
    let finished = AtomicBool::new(false);
    std::thread::scope(|scope| {
        if std::io::stderr().is_terminal() {
            scope.spawn(|| {
                let start = std::time::Instant::now();
                let mut shown = false;
                while !finished.load(Ordering::Relaxed) {
                    std::thread::sleep(std::time::Duration::from_millis(100));
                    if start.elapsed() >= std::time::Duration::from_secs(1) {
                        shown = true;
                        eprint!(
                            "\rmatrix: {} of {total} requests compared",
                            done.load(Ordering::Relaxed).min(total)
                        );
                    }
                }
                if shown {
                    eprintln!("\rmatrix: {total} of {total} requests compared");
                }
            });
        }
        let result = matrix.compare(before, after, &done);
        finished.store(true, Ordering::Relaxed);
        result
    })
}

/// The check a `--check` argument names: its exact name, a part of its name only it has, or
/// its 1-based index. Lists the checks when the name matches none or several.
fn pick_check(path: &Path, scenario: &Scenario, wanted: &str) -> Result<usize, ExitCode> {
    let checks = &scenario.checks;
    if let Some(i) = checks.iter().position(|c| c.name == wanted) {
        return Ok(i);
    }
    if let Ok(n) = wanted.parse::<usize>() {
        if (1..=checks.len()).contains(&n) {
            return Ok(n - 1);
        }
    }
    let matches: Vec<usize> = (0..checks.len())
        .filter(|&i| checks[i].name.contains(wanted))
        .collect();
    if let [only] = matches.as_slice() {
        return Ok(*only);
    }
    let (what, list): (&str, Vec<usize>) = if matches.is_empty() {
        ("no check's name contains", (0..checks.len()).collect())
    } else {
        ("several checks' names contain", matches)
    };
    eprintln!("{}: {what} {wanted:?}; the checks are:", path.display());
    for i in list {
        eprintln!("  {:>3}  {}", i + 1, checks[i].name);
    }
    Err(ExitCode::from(2))
}

fn load_or_report(path: &Path) -> Result<Scenario, ExitCode> {
    load_scenario(path).map_err(|e| {
        for p in &e.problems {
            eprintln!("{p}");
        }
        ExitCode::from(2)
    })
}

fn explain(
    path: &Path,
    name: Option<&str>,
    learn: bool,
    format: ExplainFormat,
    deny_warnings: bool,
) -> ExitCode {
    if learn && format == ExplainFormat::Html {
        eprintln!("explain: --learn walks through the evaluation as text; leave out --format html");
        return ExitCode::from(2);
    }
    let scenario = match load_or_report(path) {
        Ok(s) => s,
        Err(code) => return code,
    };
    print_warnings(&scenario.warnings);
    let chosen_index = match name {
        Some(n) => match pick_check(path, &scenario, n) {
            Ok(i) => Some(i),
            Err(code) => return code,
        },
        None => None,
    };
    let results = match chosen_index {
        Some(i) => iamsim::scenario::explain_check(&scenario.world, &scenario.checks, i)
            .into_iter()
            .collect(),
        None => run_scenario(&scenario, true),
    };
    let checks: Vec<&iamsim::scenario::Check> = match chosen_index {
        Some(i) => vec![&scenario.checks[i]],
        None => scenario.checks.iter().collect(),
    };
    let file = path.display().to_string();
    if format == ExplainFormat::Html {
        let mut writer = HtmlWriter::new(
            std::io::BufWriter::new(raw_stdout()),
            results.len(),
            true,
            format!("iamsim explain: {file}"),
        );
        writer.source(&scenario.source);
        // A closed pipe only ends the output.
        let _ = writer
            .begin_file(&file)
            .map(|()| writer.number_from(chosen_index.map_or(1, |i| i + 1)))
            .and_then(|()| writer.checks(&results))
            .and_then(|()| writer.end_file())
            .and_then(|()| writer.finish().map(drop));
    } else {
        explain_text(&file, &results, &checks, learn);
    }
    if results
        .iter()
        .any(|c| matches!(c.expectation, ExpectationStatus::Unmet(_)))
        || (deny_warnings && !scenario.warnings.is_empty())
    {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// `explain`'s text: each check's trace, or with `learn` its walk through AWS's order.
fn explain_text(
    file: &str,
    results: &[iamsim::scenario::CheckResult],
    checks: &[&iamsim::scenario::Check],
    learn: bool,
) {
    let texts: Vec<String> = results
        .iter()
        .zip(checks)
        .map(|(r, c)| {
            if learn {
                iamsim::learn::walk_through(c, r)
            } else {
                report::text::explain(file, r)
            }
        })
        .collect();
    emit(&texts.join("\n----------------------------------------------------------------\n\n"));
}

fn fix(path: &Path, wanted: &str, format: Format) -> ExitCode {
    let scenario = match load_or_report(path) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let index = match pick_check(path, &scenario, wanted) {
        Ok(i) => i,
        Err(code) => return code,
    };
    let name = scenario.checks[index].name.clone();
    match iamsim::advice::fix(&path.display().to_string(), &scenario.source.text, &name) {
        Ok(report) => {
            emit(&match format {
                Format::Json => iamsim::advice::render::fix_json(&report),
                _ => iamsim::advice::render::fix_text(&report),
            });
            if report.suggestions.iter().any(|s| s.reaches_goal) {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("{}: {e}", path.display());
            ExitCode::from(2)
        }
    }
}

fn who_can(
    path: &Path,
    action: Option<String>,
    resource: Option<String>,
    call: Option<String>,
    bucket: Option<String>,
    key: Option<String>,
    format: Format,
) -> ExitCode {
    let scenario = match load_or_report(path) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let question = match (action, resource, call, bucket, key) {
        (Some(action), Some(resource), None, None, None) => {
            iamsim::advice::Question::Action { action, resource }
        }
        (None, None, Some(call), Some(bucket), Some(key)) => {
            match iamsim::services::Call::parse(&call) {
                Some(call) => iamsim::advice::Question::Call {
                    call,
                    bucket,
                    key,
                    headers: Vec::new(),
                },
                None => {
                    eprintln!(
                        "--call {call:?}: expected one of {}",
                        iamsim::services::Call::ALL.map(|c| c.name()).join(", ")
                    );
                    return ExitCode::from(2);
                }
            }
        }
        _ => {
            eprintln!("who-can: give --action and --resource, or --call, --bucket and --key");
            return ExitCode::from(2);
        }
    };
    let answers = iamsim::advice::who_can(&scenario.world, &question);
    emit(&match format {
        Format::Json => iamsim::advice::render::who_can_json(&answers),
        _ => iamsim::advice::render::who_can_text(&answers),
    });
    ExitCode::SUCCESS
}

fn quiz(files: &[PathBuf], topic: Option<String>, seed: u64, count: usize) -> ExitCode {
    use std::io::IsTerminal;
    let files = if files.is_empty() {
        expand(&[PathBuf::from("scenarios")])
    } else {
        expand(files)
    };
    let options = iamsim::learn::quiz::QuizOptions {
        topic,
        seed,
        count,
        color: std::io::stdout().is_terminal(),
    };
    let items = match iamsim::learn::quiz::items(&files, &options) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    if items.is_empty() {
        eprintln!("quiz: no check with an expectation in these files (or this topic)");
        return ExitCode::from(2);
    }
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut output = std::io::stdout().lock();
    match iamsim::learn::quiz::run(&items, &options, &mut input, &mut output) {
        Ok(_) => ExitCode::SUCCESS,
        Err(_) => ExitCode::SUCCESS,
    }
}

/// Lints scenario and policy files: exit 0 without findings or with warnings only, 1 with
/// warnings under `--deny-warnings`, 2 with an error-level finding or invalid input.
fn lint(
    files: &[PathBuf],
    format: LintFormat,
    deny_warnings: bool,
    policy_type: Option<&str>,
) -> ExitCode {
    use iamsim::json::SourceText;
    use iamsim::policy::lint::{is_policy_document, lint_policy_text, Level};
    let policy_type = match policy_type.map(str::parse::<iamsim::policy::PolicyType>) {
        None => None,
        Some(Ok(t)) => Some(t),
        Some(Err(e)) => {
            eprintln!("--policy-type: {e}");
            return ExitCode::from(2);
        }
    };
    let mut findings: Vec<PolicyWarning> = Vec::new();
    let mut invalid = false;
    for path in expand(files) {
        let name = path.display().to_string();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("{name}: cannot read: {e}");
                invalid = true;
                continue;
            }
        };
        let source = SourceText::new(name.clone(), text);
        // A scenario's checks need not be read to tell it from a policy.
        let is_policy = source
            .parse_deferring(true, "checks")
            .is_ok_and(|node| is_policy_document(&node));
        if is_policy {
            let stem = path
                .file_stem()
                .map_or_else(|| name.clone(), |s| s.to_string_lossy().to_string());
            match lint_policy_text(&source, policy_type, &stem) {
                Ok((policy, found)) => findings.extend(
                    found
                        .iter()
                        .map(|f| PolicyWarning::new(&source, &policy.name, f)),
                ),
                Err(e) => {
                    invalid = true;
                    for p in &e.0 {
                        eprintln!("{p}");
                    }
                }
            }
        } else {
            match iamsim::scenario::load_scenario_text(&name, &source.text) {
                Ok(scenario) => findings.extend(scenario.warnings),
                Err(e) => {
                    invalid = true;
                    for p in &e.problems {
                        eprintln!("{p}");
                    }
                }
            }
        }
    }
    let errors = findings.iter().filter(|f| f.level == Level::Error).count();
    let warnings = findings.len() - errors;
    emit(&match format {
        LintFormat::Text => {
            let mut t: String = findings.iter().map(|f| format!("{f}\n")).collect();
            t.push_str(&format!(
                "{} finding{}: {errors} error{}, {warnings} warning{}\n",
                findings.len(),
                if findings.len() == 1 { "" } else { "s" },
                if errors == 1 { "" } else { "s" },
                if warnings == 1 { "" } else { "s" },
            ));
            t
        }
        LintFormat::Json => report::sarif::render_json(&findings),
        LintFormat::Sarif => report::sarif::render(&findings),
    });
    if invalid || errors > 0 {
        ExitCode::from(2)
    } else if deny_warnings && warnings > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
