use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::normalize::WorkspaceRoot;
use super::*;

const WORKSPACE: &str = r#"
[workspace]
members = ["examples/*"]

[workspace.package]
version = "0.3.0"
edition = "2021"
readme = "README.md"

[workspace.dependencies]
flopscope = { path = "flopscope-rs" }
estimator-api = { path = "estimator-api" }
rayon = { version = "1.10", default-features = false }

[workspace.lints.rust]
unsafe_code = "deny"

[profile.release]
codegen-units = 16
"#;

const MEMBER: &str = r#"
[package]
name = "my-est"
version.workspace = true
edition.workspace = true
readme.workspace = true

[lib]
crate-type = ["cdylib"]

[dependencies]
estimator-api.workspace = true
flopscope = { workspace = true, features = ["extra"] }
rayon = { workspace = true, features = ["std"] }

[dev-dependencies]
whest-runner = { path = "../../runner" }

[lints]
workspace = true
"#;

fn ws() -> WorkspaceRoot {
    WorkspaceRoot {
        dir: PathBuf::from("/ws"),
        doc: parse(WORKSPACE, "ws").expect("valid"),
        is_crate_itself: false,
    }
}

fn versions() -> BTreeMap<String, String> {
    [(FLOPSCOPE, "0.3.0"), (ESTIMATOR_API, "0.3.0")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn a_member_is_normalised_to_a_standalone_crate() {
    let member = parse(MEMBER, "Cargo.toml").expect("valid");
    let mut doc = normalize(&member, Some(&ws())).expect("normalises");
    pin_grader_versions(&mut doc, &versions());
    let text = doc.to_string();
    let again = parse(&text, "out").expect("output is TOML");
    assert_eq!(again["package"]["version"].as_str(), Some("0.3.0"));
    assert_eq!(again["package"]["edition"].as_str(), Some("2021"));
    assert!(again["package"].get("readme").is_none(), "{text}");
    assert!(again.get("dev-dependencies").is_none(), "{text}");
    let fs = &again["dependencies"]["flopscope"];
    assert_eq!(fs["version"].as_str(), Some("=0.3.0"), "{text}");
    assert!(fs.get("path").is_none(), "{text}");
    assert_eq!(fs["features"].as_array().map(|a| a.len()), Some(1));
    assert_eq!(
        again["dependencies"]["estimator-api"]["version"].as_str(),
        Some("=0.3.0")
    );
    let rayon = &again["dependencies"]["rayon"];
    assert_eq!(rayon["version"].as_str(), Some("1.10"));
    assert_eq!(rayon["default-features"].as_bool(), Some(false));
    assert_eq!(again["lints"]["rust"]["unsafe_code"].as_str(), Some("deny"));
    assert_eq!(
        again["profile"]["release"]["codegen-units"].as_integer(),
        Some(16)
    );
    assert!(again["workspace"].as_table().is_some_and(|t| t.is_empty()));
    let facts = check(&again).expect("a normalised member passes the checks");
    assert_eq!(facts.lib_name, "my_est");
    assert_eq!(facts.lib_path, "src/lib.rs");
}

#[test]
fn inheriting_what_the_workspace_lacks_is_an_issue() {
    let member = parse(
        "[package]\nname = \"x\"\nlicense.workspace = true\n[dependencies]\nserde.workspace = true\n",
        "Cargo.toml",
    )
    .expect("valid");
    let issues = normalize(&member, Some(&ws())).expect_err("missing fields");
    assert_eq!(issues.len(), 2);
    assert!(issues.iter().all(|i| i.code == "workspace_inheritance"));
    assert!(normalize(&member, None).is_err());
}

fn shipped(deps: &str) -> DocumentMut {
    let text = format!(
        "[package]\nname = \"e\"\nversion = \"0.1.0\"\n[lib]\ncrate-type = [\"cdylib\"]\n\
         [dependencies]\nestimator-api = {{ version = \"=0.1.0\" }}\n{deps}\n"
    );
    parse(&text, "Cargo.toml").expect("valid")
}

fn codes(doc: &DocumentMut) -> Vec<&'static str> {
    check(doc)
        .err()
        .unwrap_or_default()
        .iter()
        .map(|i| i.code)
        .collect()
}

#[test]
fn patches_and_replacements_of_the_grader_crates_are_refused() {
    let mut doc = shipped("");
    assert!(codes(&doc).is_empty(), "{:?}", check(&doc));
    doc = parse(
        &format!("{doc}\n[patch.crates-io]\nflopscope = {{ path = \"../fake\" }}\n"),
        "t",
    )
    .expect("valid");
    assert_eq!(codes(&doc), ["patch_section"]);
    let doc = parse(
        &format!(
            "{}\n[replace]\n\"flopscope:0.1.0\" = {{ path = \"x\" }}\n",
            shipped("")
        ),
        "t",
    )
    .expect("valid");
    assert_eq!(codes(&doc), ["replace_section"]);
}

#[test]
fn renames_and_sources_of_the_grader_crates_are_refused() {
    assert_eq!(
        codes(&shipped(
            "flopscope = { package = \"my-flopscope\", version = \"1\" }"
        )),
        ["grader_crate_replaced"]
    );
    assert_eq!(
        codes(&shipped(
            "flopscope = { version = \"=0.1.0\", path = \"vendor/fs\" }"
        )),
        ["grader_crate_source"]
    );
    assert_eq!(
        codes(&shipped("flopscope = \"0.1\"")),
        ["grader_crate_source"],
        "an unpinned version"
    );
    assert!(
        codes(&shipped(
            "fs = { package = \"flopscope\", version = \"=0.1.0\" }"
        ))
        .is_empty(),
        "renaming the grader's own flopscope locally is harmless"
    );
    assert_eq!(
        codes(&shipped(
            "[build-dependencies]\nflopscope = { version = \"=0.1.0\" }"
        )),
        ["grader_crate_source"]
    );
}

#[test]
fn third_party_sources_other_than_crates_io_are_refused() {
    assert_eq!(
        codes(&shipped("a = { path = \"../a\" }")),
        ["path_dependency"]
    );
    assert_eq!(
        codes(&shipped("a = { git = \"https://x/a\" }")),
        ["git_dependency"]
    );
    assert_eq!(
        codes(&shipped(
            "[target.'cfg(unix)'.dependencies]\na = { registry = \"corp\" }"
        )),
        ["registry_dependency"]
    );
    assert!(codes(&shipped(
        "a = \"1\"\nb = { version = \"2\", features = [\"x\"] }"
    ))
    .is_empty());
}

#[test]
fn the_crate_must_be_an_estimator() {
    let doc = parse(
        "[package]\nname = \"e\"\n[dependencies]\nrayon = \"1\"\n",
        "Cargo.toml",
    )
    .expect("valid");
    assert_eq!(codes(&doc), ["not_cdylib", "not_an_estimator"]);
    let doc = parse(
        &format!(
            "{}\n",
            shipped("")
                .to_string()
                .replace("[package]", "[package]\nbuild = \"gen.rs\"")
        ),
        "t",
    )
    .expect("valid");
    assert_eq!(codes(&doc), ["build_script"]);
}

#[test]
fn the_grader_rewrite_adds_paths_and_a_workspace() {
    let mut doc =
        shipped("fs = { package = \"flopscope\", version = \"=0.1.0\", features = [\"a\"] }");
    let dir = |name: &str| -> Option<&Path> {
        Some(Path::new(if name == FLOPSCOPE {
            "/g/flopscope-rs"
        } else {
            "/g/estimator-api"
        }))
    };
    point_at_pinned(&mut doc, &dir);
    let again = parse(&doc.to_string(), "t").expect("valid");
    assert_eq!(
        again["dependencies"]["fs"]["path"].as_str(),
        Some("/g/flopscope-rs")
    );
    assert_eq!(
        again["dependencies"]["fs"]["version"].as_str(),
        Some("=0.1.0")
    );
    assert_eq!(
        again["dependencies"]["fs"]["package"].as_str(),
        Some("flopscope")
    );
    assert_eq!(
        again["dependencies"]["estimator-api"]["path"].as_str(),
        Some("/g/estimator-api")
    );
    assert!(again.get("workspace").is_some());
}

#[test]
fn membership_follows_the_members_globs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("workspace")
        .to_path_buf();
    let text = std::fs::read_to_string(root.join("examples/zeros/Cargo.toml")).expect("zeros");
    let doc = parse(&text, "Cargo.toml").expect("valid");
    let ws = find_workspace_root(&root.join("examples/zeros"), &doc)
        .expect("readable")
        .expect("zeros is a member");
    assert_eq!(ws.dir, root);
    assert!(!ws.is_crate_itself);
    let stray = find_workspace_root(&root.join("target/not-a-member"), &doc).expect("readable");
    assert!(
        stray.is_none(),
        "a folder the root does not list is not a member"
    );
}

#[test]
fn a_crate_that_is_its_own_root_keeps_its_profiles_and_loses_its_members() {
    let text = "[package]\nname = \"solo\"\nversion.workspace = true\n\n[lib]\ncrate-type = \
                [\"cdylib\"]\n\n[dependencies]\nestimator-api = { git = \"https://x/whest-rs\" }\n\n\
                [profile.release]\nlto = true\n\n[workspace]\nmembers = [\".\", \"helper\"]\n\n\
                [workspace.package]\nversion = \"1.2.3\"\n";
    let doc = parse(text, "Cargo.toml").expect("valid");
    let ws = find_workspace_root(Path::new("/solo"), &doc)
        .expect("readable")
        .expect("its own root");
    assert!(ws.is_crate_itself);
    let out = normalize(&doc, Some(&ws)).expect("normalises");
    let again = parse(&out.to_string(), "t").expect("valid");
    assert_eq!(again["package"]["version"].as_str(), Some("1.2.3"));
    assert_eq!(again["profile"]["release"]["lto"].as_bool(), Some(true));
    assert!(again["workspace"].as_table().is_some_and(|t| t.is_empty()));
    let api = &again["dependencies"]["estimator-api"];
    assert!(
        api.get("git").is_none(),
        "the grader supplies estimator-api: {again}"
    );
}

#[test]
fn a_profile_that_aborts_on_panic_is_refused() {
    let with = |profile: &str| parse(&format!("{}\n{profile}\n", shipped("")), "t").expect("valid");
    assert!(codes(&with(
        "[profile.release]\nopt-level = 3\npanic = \"unwind\""
    ))
    .is_empty());
    assert_eq!(
        codes(&with("[profile.release]\npanic = \"abort\"")),
        ["panic_strategy"]
    );
    assert_eq!(
        codes(&with(
            "[profile.grading]\ninherits = \"release\"\npanic = \"abort\""
        )),
        ["panic_strategy"]
    );
}
