//! Evaluation speed on the real path: policies parsed and compiled once, then requests decided
//! over plain data. Results and the machine are recorded in BENCHMARKS.md.

use std::hint::black_box;
use std::process::Command;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};

// The iamsim binary runs with mimalloc; the in-process benchmarks measure the same path.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use iamsim::advice::{fix, who_can, Question};
use iamsim::engine::{authorize, Caller, NoTrace, PolicySet, Request};
use iamsim::json::SourceText;
use iamsim::policy::{parse_policy_text, Policy, PolicyType};
use iamsim::scenario::matrix::{swap_policy, Matrix};
use iamsim::scenario::{load_scenario_text, Check, CheckKind};
use iamsim::services::{call_with, Call, CallRequest};
use iamsim::world::{BaseRequest, ContextCache, World};
use std::sync::atomic::AtomicUsize;

const ACCOUNT: &str = "111122223333";
const KEY_ARN: &str =
    "arn:aws:kms:ap-northeast-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

/// The SSE-KMS enforcement experiment's world: one uploader, the two-statement Deny bucket policy,
/// a customer key with the default key policy, bucket default SSE-KMS.
fn seed_world() -> String {
    format!(
        r#"{{
  "region": "ap-northeast-1",
  "principals": [{{"arn": "arn:aws:iam::{ACCOUNT}:user/uploader", "policies": [{{"name": "upload", "document": {{
    "Version": "2012-10-17",
    "Statement": [
      {{"Sid": "PutAndGetObjects", "Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"], "Resource": "arn:aws:s3:::s3-encrypted-bucket-by-example-cmk/*"}},
      {{"Sid": "UseKey", "Effect": "Allow", "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": "{KEY_ARN}"}}
    ]}}}}]}}],
  "keys": [{{"arn": "{KEY_ARN}", "aliases": ["alias/example-cmk-aws"]}}],
  "buckets": [{{"name": "s3-encrypted-bucket-by-example-cmk", "account": "{ACCOUNT}",
    "default_encryption": {{"algorithm": "aws:kms", "kms_key": "{KEY_ARN}"}},
    "policy": {{"Version": "2012-10-17", "Statement": [
      {{"Sid": "DenyUnEncryptedObjectUploads", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::s3-encrypted-bucket-by-example-cmk/*",
        "Condition": {{"StringNotEquals": {{"s3:x-amz-server-side-encryption": "aws:kms"}}}}}},
      {{"Sid": "DenyUseOfUnspecifiedKMSKey", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::s3-encrypted-bucket-by-example-cmk/*",
        "Condition": {{"StringNotEquals": {{"s3:x-amz-server-side-encryption-aws-kms-key-id": "{KEY_ARN}"}}}}}}
    ]}}}}],
  "checks": [{{"name": "upload with the alias", "principal": "arn:aws:iam::{ACCOUNT}:user/uploader",
    "call": "s3:PutObject", "bucket": "s3-encrypted-bucket-by-example-cmk", "key": "test1.txt",
    "headers": {{"x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id": "alias/example-cmk-aws"}},
    "expect": "allowed"}}]
}}"#
    )
}

fn seed_sse_kms_put(c: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    let scenario = load_scenario_text("seed.json", &seed_world()).expect("the seed world loads");
    let world = &scenario.world;
    let caller = world
        .caller(&format!("arn:aws:iam::{ACCOUNT}:user/uploader"))
        .unwrap();
    let resource = "arn:aws:s3:::s3-encrypted-bucket-by-example-cmk/test1.txt";
    let side = world.resource_side(&caller, "s3:PutObject", resource, None);
    let set = world.policy_set(&caller, "s3:PutObject", &side, None, None);
    let mut context = world.base_context(&BaseRequest {
        caller: &caller,
        action: "s3:PutObject",
        resource,
        resource_account: side.account,
        endpoint: None,
        via_s3: None,
        region: None,
    });
    context.set("s3:x-amz-server-side-encryption", "aws:kms");
    context.set("s3:x-amz-server-side-encryption-aws-kms-key-id", KEY_ARN);
    let request = Request::new(&caller, "s3:PutObject", resource, side.account, &context);
    assert!(authorize(&request, &set, &mut NoTrace).is_allowed());
    c.bench_function("seed_sse_kms_put", |b| {
        b.iter(|| authorize(black_box(&request), black_box(&set), &mut NoTrace))
    });
}

fn policy(statements: Vec<String>, t: PolicyType, name: &str) -> Arc<Policy> {
    let text = format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        statements.join(",")
    );
    Arc::new(parse_policy_text(&SourceText::new(name, text), t, name).expect("valid"))
}

fn large_1000x200(c: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    // 999 statements that name other actions and resources, then the one that matches.
    let mut identity: Vec<String> = (0..999)
        .map(|i| format!(r#"{{"Effect":"Allow","Action":"ec2:DescribeThing{i}","Resource":"arn:aws:ec2:us-east-1:111122223333:thing/{i}"}}"#))
        .collect();
    identity.push(r#"{"Sid":"Read","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::shared-bucket/*"}"#.to_string());
    let mut bucket: Vec<String> = (0..199)
        .map(|i| format!(r#"{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::444455556666:role/other{i}"}},"Action":"s3:PutObjectTagging{i}","Resource":"arn:aws:s3:::shared-bucket/p{i}/*"}}"#))
        .collect();
    bucket.push(r#"{"Sid":"Partner","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::shared-bucket/*"}"#.to_string());
    let identity = vec![policy(identity, PolicyType::Identity, "large identity")];
    let bucket = policy(bucket, PolicyType::Bucket, "bucket policy of shared-bucket");
    let caller = Caller::parse("arn:aws:iam::111122223333:user/reader").unwrap();
    let mut set = PolicySet::identity_only(&identity);
    set.resource = Some(&bucket);
    set.rules = iamsim::engine::ResourceRules::S3 { allows_apply: true };
    let world = World::default();
    let resource = "arn:aws:s3:::shared-bucket/report.csv";
    let context = world.base_context(&BaseRequest {
        caller: &caller,
        action: "s3:GetObject",
        resource,
        resource_account: Some("444455556666"),
        endpoint: None,
        via_s3: None,
        region: None,
    });
    let request = Request::new(
        &caller,
        "s3:GetObject",
        resource,
        Some("444455556666"),
        &context,
    );
    let decision = authorize(&request, &set, &mut NoTrace);
    assert!(decision.is_allowed(), "{decision:?}");
    assert_eq!(decision.statements().len(), 2);
    c.bench_function("large_1000x200", |b| {
        b.iter(|| authorize(black_box(&request), black_box(&set), &mut NoTrace))
    });
}

fn call_put_sse_kms(c: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    let scenario = load_scenario_text("seed.json", &seed_world()).expect("the seed world loads");
    let mut world = scenario.world.clone();
    let check: &Check = &scenario.checks[0];
    let CheckKind::Call {
        call,
        bucket,
        key,
        headers,
        ..
    } = &check.kind
    else {
        panic!("the seed check is a call");
    };
    let caller = check.caller.as_deref().expect("the check names its caller");
    let request = CallRequest::new(*call, caller, bucket, key).with_headers(headers);
    // The scenario runner's path: one cache of base contexts for the run's calls.
    let mut cache = ContextCache::default();
    assert!(call_with(&mut world, &request, &mut cache).is_allowed());
    c.bench_function("call_put_sse_kms", |b| {
        b.iter(|| call_with(black_box(&mut world), black_box(&request), &mut cache))
    });
}

/// How a generated scenario is laid out: one check per line, or the whole file on one line (as
/// `json.dumps` or any program writes it).
#[derive(Clone, Copy)]
enum Layout {
    LinePerCheck,
    OneLine,
}

/// A scenario with `count` raw checks over a small world: the same checks for every count, only
/// more of them.
fn raw_checks(count: usize, layout: Layout) -> String {
    let checks: Vec<String> = (0..count)
        .map(|i| {
            let (action, expect) = match i % 4 {
                0 => ("s3:GetObject", "allowed"),
                1 => ("s3:PutObject", "allowed"),
                2 => ("s3:DeleteObject", "denied"),
                _ => ("kms:Decrypt", "allowed"),
            };
            let resource = if action.starts_with("kms:") {
                KEY_ARN.to_string()
            } else {
                format!("arn:aws:s3:::s3-encrypted-bucket-by-example-cmk/object-{i}")
            };
            let context = if action == "s3:PutObject" {
                format!(r#","context":{{"s3:x-amz-server-side-encryption":"aws:kms","s3:x-amz-server-side-encryption-aws-kms-key-id":"{KEY_ARN}"}}"#)
            } else {
                String::new()
            };
            format!(
                r#"{{"name":"check {i}","principal":"arn:aws:iam::{ACCOUNT}:user/uploader","action":"{action}","resource":"{resource}"{context},"expect":"{expect}"}}"#
            )
        })
        .collect();
    let world = seed_world();
    let head = &world[..world.find("\"checks\"").expect("the world lists checks")];
    match layout {
        Layout::LinePerCheck => format!("{head}\"checks\": [\n{}\n]}}", checks.join(",\n")),
        // Raw line breaks in the world are whitespace between tokens (a line break inside a
        // string would be written `\n`), so dropping them keeps the same document.
        Layout::OneLine => format!(
            "{}\"checks\":[{}]}}",
            head.replace('\n', ""),
            checks.join(",")
        ),
    }
}

/// The whole `iamsim check --format FORMAT` process, as CI runs it: read the file, decide, write
/// the report to a file. Benchmarked as `check/<name>`.
fn cli_run(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    count: usize,
    layout: Layout,
    format: &str,
) {
    let dir = std::env::temp_dir().join("iamsim-bench");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join(format!("{name}.json"));
    let scenario = raw_checks(count, layout);
    if let Layout::OneLine = layout {
        assert!(
            !scenario.contains('\n'),
            "the one-line scenario has no line break"
        );
    }
    std::fs::write(&file, scenario).expect("write the scenario");
    let binary = env!("CARGO_BIN_EXE_iamsim");
    let output = dir.join(format!("{name}.out.{format}"));
    // The report file is opened the way a shell's `> report.json` opens it, before the process
    // starts, and outside the timed part: truncating the last run's 15 MB report waits until the
    // kernel has written it back (about 7 ms here, back to back), which is the benchmark's own
    // loop and not anything a CI run of iamsim pays.
    let open_report = || std::fs::File::create(&output).expect("output file");
    let run = |out: std::fs::File| {
        let status = Command::new(binary)
            .args(["check", "--format", format])
            .arg(&file)
            .stdout(std::process::Stdio::from(out))
            .status()
            .expect("the binary runs");
        assert_eq!(status.code(), Some(0), "every expectation is met");
        std::fs::metadata(&output).map_or(0, |m| m.len())
    };
    // About 250 bytes of report per check: the run really decided and reported every check.
    assert!(run(open_report()) > 200 * count as u64);
    group.bench_function(name, |b| {
        b.iter_batched(open_report, run, BatchSize::PerIteration)
    });
}

/// The whole-process runs: `check/cli_20k` (one check per line), `check/cli_20k_oneline` (the
/// same checks, the file on one line), `check/cli_200k` (200,000 checks, one line) and
/// `check/cli_20k_html` (the checks of `cli_20k` as the HTML report, which above 2,000 checks
/// carries the scenario and the page engine rather than the traces).
fn check(c: &mut Criterion) {
    let mut group = c.benchmark_group("check");
    group.sample_size(20);
    cli_run(&mut group, "cli_20k", 20_000, Layout::LinePerCheck, "json");
    cli_run(
        &mut group,
        "cli_20k_oneline",
        20_000,
        Layout::OneLine,
        "json",
    );
    cli_run(
        &mut group,
        "cli_20k_html",
        20_000,
        Layout::LinePerCheck,
        "html",
    );
    group.sample_size(10);
    cli_run(&mut group, "cli_200k", 200_000, Layout::OneLine, "json");
    group.finish();
}

/// The in-process evaluations: `evaluate/seed_sse_kms_put`, `evaluate/large_1000x200`,
/// `evaluate/call_put_sse_kms`.
fn evaluate(c: &mut Criterion) {
    let mut group = c.benchmark_group("evaluate");
    seed_sse_kms_put(&mut group);
    large_1000x200(&mut group);
    call_put_sse_kms(&mut group);
    group.finish();
}

/// A world of 200 principals (users and roles of two accounts), 50 buckets with policies and
/// SSE-KMS default encryption, and 20 keys, each principal with its own identity policy: the
/// size `diff --matrix` is held to.
fn matrix_world() -> String {
    world_of(200)
}

/// [`matrix_world`] with `count` principals.
fn world_of(count: usize) -> String {
    const MAIN: &str = "111122223333";
    const PARTNER: &str = "444455556666";
    let key =
        |k: usize| format!("arn:aws:kms:us-east-1:{MAIN}:key/00000000-0000-0000-0000-{k:012}");
    let principals: Vec<String> = (0..count)
        .map(|i| {
            let account = if i % 10 == 9 { PARTNER } else { MAIN };
            let kind = if i % 2 == 0 { "user" } else { "role" };
            let (b, k) = (i % 50, i % 20);
            let trust = if kind == "role" {
                format!(r#","trust_policy":{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:root"}},"Action":"sts:AssumeRole"}}]}}"#)
            } else {
                String::new()
            };
            let reads = if i % 7 == 0 { "s3:Get*" } else { "s3:GetObject" };
            format!(
                r#"{{"arn":"arn:aws:iam::{account}:{kind}/p{i}","policies":[{{"name":"p{i}","document":{{"Version":"2012-10-17","Statement":[
                    {{"Sid":"Objects","Effect":"Allow","Action":["{reads}","s3:PutObject"],"Resource":"arn:aws:s3:::bucket-{b}/*"}},
                    {{"Sid":"List","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::bucket-{b}"}},
                    {{"Sid":"Keys","Effect":"Allow","Action":["kms:Decrypt","kms:GenerateDataKey"],"Resource":"{}"}},
                    {{"Sid":"Assume","Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::{MAIN}:role/p{}"}}
                ]}}}}]{trust}}}"#,
                key(k),
                ((i * 7 + 1) % count) | 1
            )
        })
        .collect();
    let buckets: Vec<String> = (0..50)
        .map(|b| {
            format!(
                r#"{{"name":"bucket-{b}","account":"{MAIN}","default_encryption":{{"algorithm":"aws:kms","kms_key":"{}"}},
                "policy":{{"Version":"2012-10-17","Statement":[
                    {{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::bucket-{b}","arn:aws:s3:::bucket-{b}/*"],"Condition":{{"Bool":{{"aws:SecureTransport":"false"}}}}}},
                    {{"Sid":"PartnerReads","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{PARTNER}:root"}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket-{b}/*"}}
                ]}}}}"#,
                key(b % 20)
            )
        })
        .collect();
    let keys: Vec<String> = (0..20)
        .map(|k| {
            format!(
                r#"{{"arn":"{}","policy":{{"Version":"2012-10-17","Statement":[
                    {{"Sid":"Root","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{MAIN}:root"}},"Action":"kms:*","Resource":"*"}},
                    {{"Sid":"Partner","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{PARTNER}:root"}},"Action":["kms:Decrypt"],"Resource":"*"}}
                ]}}}}"#,
                key(k)
            )
        })
        .collect();
    format!(
        r#"{{"region":"us-east-1","principals":[{}],"buckets":[{}],"keys":[{}],"checks":[]}}"#,
        principals.join(","),
        buckets.join(","),
        keys.join(",")
    )
}

/// `diff/matrix_200p`: the request matrix of the 200-principal world, compared with the same
/// world whose bucket-9 policy no longer lets the partner account read.
fn diff_matrix(c: &mut Criterion) {
    let before = load_scenario_text("matrix.json", &matrix_world()).expect("the bench world loads");
    let mut after = before.clone();
    let tightened = r#"{"Version":"2012-10-17","Statement":[{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::bucket-9","arn:aws:s3:::bucket-9/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#;
    swap_policy(
        &mut after.world,
        "bucket:bucket-9",
        &SourceText::new("tightened.json", tightened),
    )
    .expect("the swap applies");
    let run = || {
        let matrix = Matrix::of(&before.world, &after.world);
        matrix.compare(&before.world, &after.world, &AtomicUsize::new(0))
    };
    let first = run();
    assert!(first.requests > 1_000_000, "{} requests", first.requests);
    assert!(
        !first.flips.is_empty(),
        "the partner account's reads of bucket-9 flip"
    );
    eprintln!(
        "diff/matrix_200p: {} requests, {} flips",
        first.requests,
        first.flips.len()
    );
    let mut group = c.benchmark_group("diff");
    group.sample_size(10);
    group.bench_function("matrix_200p", |b| b.iter(run));
    group.finish();
}

/// `who_can/1000p`: who can download an SSE-KMS object, asked of a world of 1,000 principals
/// (the whole modelled GetObject for each, the kms:Decrypt S3 asks for included).
fn who_can_1000(c: &mut Criterion) {
    let mut text = world_of(1000);
    // One object to read, in bucket-9, under the bucket's key.
    text = text.replacen(
        r#"{"name":"bucket-9","#,
        r#"{"name":"bucket-9","objects":[{"key":"data.csv"}],"#,
        1,
    );
    let scenario = load_scenario_text("who.json", &text).expect("the bench world loads");
    let question = Question::Call {
        call: Call::GetObject,
        bucket: "bucket-9".into(),
        key: "data.csv".into(),
        headers: Vec::new(),
    };
    let answers = who_can(&scenario.world, &question);
    assert!(!answers.can.is_empty() && !answers.cannot.is_empty());
    assert_eq!(answers.can.len() + answers.cannot.len(), 1000);
    let mut group = c.benchmark_group("who_can");
    group.sample_size(20);
    group.bench_function("1000p", |b| b.iter(|| who_can(&scenario.world, &question)));
    group.finish();
}

/// `fix/call`: the verified fixes of a denied cross-account SSE-KMS upload, which needs both
/// the bucket's grant and the key's.
fn fix_call(c: &mut Criterion) {
    let text = r#"{
  "principals": [{"arn": "arn:aws:iam::444455556666:role/writer", "policies": [{"name": "write",
    "document": {"Version": "2012-10-17", "Statement": [
      {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::shared-uploads/*"},
      {"Effect": "Allow", "Action": "kms:GenerateDataKey", "Resource": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}]}}]}],
  "keys": [{"arn": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}],
  "buckets": [{"name": "shared-uploads", "account": "111122223333", "region": "us-east-1",
    "default_encryption": {"algorithm": "aws:kms", "kms_key": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}}],
  "checks": [{"name": "upload", "principal": "arn:aws:iam::444455556666:role/writer",
    "call": "s3:PutObject", "bucket": "shared-uploads", "key": "report.csv", "expect": "denied"}]
}"#;
    let report = fix("upload.json", text, "upload").expect("fix runs");
    assert!(report.suggestions[0].reaches_goal);
    let mut group = c.benchmark_group("fix");
    group.sample_size(20);
    group.bench_function("call", |b| b.iter(|| fix("upload.json", text, "upload")));
    group.finish();
}

criterion_group!(
    benches,
    evaluate,
    check,
    diff_matrix,
    who_can_1000,
    fix_call
);
criterion_main!(benches);
