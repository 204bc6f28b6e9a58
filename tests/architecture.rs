//! The module layering ARCHITECTURE.md promises, checked on the source: a module of `src/` uses
//! only modules declared before it in `src/lib.rs` (so the import graph has no circle), and
//! ARCHITECTURE.md's module table lists exactly the modules `lib.rs` declares, in that order.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// `pub mod x;` lines of lib.rs, in order.
fn declared_modules() -> Vec<String> {
    let lib = std::fs::read_to_string(Path::new(ROOT).join("src/lib.rs")).unwrap();
    lib.lines()
        .filter_map(|line| line.trim().strip_prefix("pub mod "))
        .map(|rest| rest.trim_end_matches(';').trim().to_owned())
        .collect()
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in std::fs::read_dir(&current).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files
}

/// The files of module `name`: `src/name.rs` or everything under `src/name/`.
fn files_of(name: &str) -> Vec<PathBuf> {
    let file = Path::new(ROOT).join("src").join(format!("{name}.rs"));
    let dir = Path::new(ROOT).join("src").join(name);
    if dir.is_dir() {
        rust_files(&dir)
    } else {
        vec![file]
    }
}

/// Top-level modules `crate::…` paths in code (comments and doc comments skipped) refer to.
fn uses(files: &[PathBuf], modules: &BTreeSet<&str>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(file).unwrap();
        for line in text.lines() {
            let code = line.split("//").next().unwrap_or("");
            for (at, _) in code.match_indices("crate::") {
                let rest = &code[at + "crate::".len()..];
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if modules.contains(name.as_str()) {
                    found.insert(name);
                }
            }
        }
    }
    found
}

#[test]
fn modules_only_use_modules_declared_before_them() {
    let order = declared_modules();
    assert!(order.len() > 10, "lib.rs declares {order:?}");
    let modules: BTreeSet<&str> = order.iter().map(String::as_str).collect();
    let position: BTreeMap<&str, usize> = order
        .iter()
        .enumerate()
        .map(|(i, m)| (m.as_str(), i))
        .collect();
    let mut upward = Vec::new();
    for (i, module) in order.iter().enumerate() {
        for used in uses(&files_of(module), &modules) {
            if used != *module && position[used.as_str()] > i {
                upward.push(format!("{module} uses {used}, declared after it"));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "lower layers must not import upper ones:\n{}",
        upward.join("\n")
    );
}

#[test]
fn architecture_md_lists_the_modules_in_lib_rs_order() {
    let doc = std::fs::read_to_string(Path::new(ROOT).join("ARCHITECTURE.md")).unwrap();
    let modules = declared_modules();
    let known: BTreeSet<&str> = modules.iter().map(String::as_str).collect();
    // The module table's rows start with "| `name` |".
    let listed: Vec<String> = doc
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split('`').next())
        .filter(|name| known.contains(name))
        .map(str::to_owned)
        .collect();
    assert_eq!(
        listed, modules,
        "ARCHITECTURE.md's module table and lib.rs disagree"
    );
}
