//! Every crate of the workspace forbids `unsafe` code: the workspace sets the lint once and each
//! member must inherit it (`[lints] workspace = true`), or it silently would not apply.

fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_workspace_member_inherits_unsafe_code_forbid() {
    let manifest = read(&root().join("Cargo.toml"));
    assert!(
        manifest.contains("[workspace.lints.rust]\nunsafe_code = \"forbid\""),
        "the workspace forbids unsafe code"
    );
    let members = manifest
        .split_once("members = [")
        .and_then(|(_, rest)| rest.split_once(']'))
        .map(|(list, _)| list)
        .expect("a members list");
    let members: Vec<&str> = members
        .lines()
        .map(|line| line.split('#').next().unwrap_or_default())
        .flat_map(|line| line.split(','))
        .map(|m| m.trim().trim_matches('"'))
        .filter(|m| !m.is_empty())
        .collect();
    assert!(members.len() >= 10, "{members:?}");
    for member in members {
        let crate_manifest = read(&root().join(member).join("Cargo.toml"));
        assert!(
            crate_manifest.contains("[lints]\nworkspace = true"),
            "{member}/Cargo.toml does not inherit the workspace lints"
        );
    }
}
