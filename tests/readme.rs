//! The README shows real output: its `check` example must stay what the program prints.

use std::process::Command;

#[test]
fn the_readme_check_example_is_what_iamsim_prints() {
    let root = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).expect("README.md");
    let command = "$ iamsim check scenarios/s3-encryption/sse-kms-enforced-by-bucket-policy.json\n";
    let start = readme.find(command).expect("the README shows a check run") + command.len();
    let end = start + readme[start..].find("```").expect("the example block ends");
    let shown = &readme[start..end];
    let out = Command::new(env!("CARGO_BIN_EXE_iamsim"))
        .args([
            "check",
            "scenarios/s3-encryption/sse-kms-enforced-by-bucket-policy.json",
        ])
        .current_dir(root)
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout), shown);
}
