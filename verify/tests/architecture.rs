//! The crate graph is theory <- sim <- verify <- {cli, python}, with no edge back, and the
//! oracle library carries no command-line machinery (issue 19). Read from the manifests, so a
//! dependency added in the wrong place fails here (`cargo tree -e normal` shows the same).

fn dependencies(krate: &str) -> Vec<String> {
    let path = format!("{}/../{krate}/Cargo.toml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let manifest: toml::Table = toml::from_str(&text).unwrap();
    manifest
        .get("dependencies")
        .and_then(|d| d.as_table())
        .map(|d| d.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn theory_sim_verify_then_the_two_fronts() {
    let ours = ["theory", "sim", "verify", "balnet", "balnet-python"];
    let of = |k: &str| -> Vec<String> {
        dependencies(k)
            .into_iter()
            .filter(|d| ours.contains(&d.as_str()))
            .collect()
    };
    assert!(of("theory").is_empty(), "theory: {:?}", of("theory"));
    assert_eq!(of("sim"), ["theory"]);
    assert_eq!(of("verify"), ["sim", "theory"]);
    assert_eq!(of("cli"), ["sim", "theory", "verify"]);
    assert_eq!(of("python"), ["sim", "theory", "verify"]);
}

#[test]
fn the_oracle_library_has_no_command_line_machinery() {
    let deps = dependencies("verify");
    for front in ["clap", "indicatif", "pyo3", "numpy"] {
        assert!(
            !deps.iter().any(|d| d == front),
            "verify depends on {front}"
        );
    }
}
