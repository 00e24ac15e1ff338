//! Layering of every crate of the workspace: no module imports a module
//! that imports it back, directly or around a loop.
//!
//! A module is a file or directory directly under a crate's `src/`; nested
//! modules count as theirs. Its imports are the `crate::a…` paths in its
//! files (groups too: `use crate::{a, b::c}`), outside the
//! `#[cfg(test)] mod tests` at the end of a file. The crate root (`lib.rs`,
//! `main.rs`) may be imported by everyone, so it is left out; `src/bin/`
//! holds binaries, crates of their own.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::Path;

/// Module → the modules it imports.
type Graph = BTreeMap<String, BTreeSet<String>>;

fn top_module(path: &str) -> &str {
    let first = path.split('/').next().unwrap_or(path);
    first.strip_suffix(".rs").unwrap_or(first)
}

/// The text before the `#[cfg(test)] mod tests` of a file.
fn without_tests(text: &str) -> &str {
    let mut from = 0;
    while let Some(i) = text[from..].find("#[cfg(test)]") {
        let end = from + i + "#[cfg(test)]".len();
        if text[end..].trim_start().starts_with("mod tests") {
            return &text[..from + i];
        }
        from = end;
    }
    text
}

/// The first identifiers of the `crate::` paths in `text`.
fn crate_paths(text: &str) -> BTreeSet<String> {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let ident = |s: &str| s[..s.find(|c| !is_ident(c)).unwrap_or(s.len())].to_owned();
    let mut found = BTreeSet::new();
    for (i, _) in text.match_indices("crate::") {
        if text[..i].ends_with(is_ident) {
            continue;
        }
        let rest = &text[i + "crate::".len()..];
        let Some(group) = rest.strip_prefix('{') else {
            found.insert(ident(rest));
            continue;
        };
        // `{a, b::{c, d}, e}`: the identifier after `{` or `,` at depth 1.
        let (mut depth, mut head) = (1, true);
        for (j, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 1 => break,
                '}' => depth -= 1,
                ',' if depth == 1 => head = true,
                c if c.is_whitespace() => {}
                c if head && depth == 1 && is_ident(c) => {
                    found.insert(ident(&group[j..]));
                    head = false;
                }
                _ => head = false,
            }
        }
    }
    found
}

/// The imports between the top-level modules of one crate, from its files
/// (path under `src/` with `/` separators, text).
fn graph(files: &[(String, String)]) -> Graph {
    let modules: BTreeSet<&str> = files
        .iter()
        .map(|(path, _)| top_module(path))
        .filter(|m| !matches!(*m, "lib" | "main"))
        .collect();
    let mut graph = Graph::new();
    for (path, text) in files {
        let from = top_module(path);
        if !modules.contains(from) {
            continue;
        }
        let targets = graph.entry(from.to_owned()).or_default();
        for to in crate_paths(without_tests(text)) {
            if to != from && modules.contains(to.as_str()) {
                targets.insert(to);
            }
        }
    }
    graph
}

/// The shortest path from `from` to `to` along imports, both ends included.
fn path(graph: &Graph, from: &str, to: &str) -> Option<Vec<String>> {
    let mut came_from: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = VecDeque::from([from]);
    while let Some(at) = queue.pop_front() {
        for next in graph.get(at).into_iter().flatten() {
            if next == to {
                let mut out = vec![to.to_owned(), at.to_owned()];
                let mut back = at;
                while back != from {
                    back = came_from[back];
                    out.push(back.to_owned());
                }
                out.reverse();
                return Some(out);
            }
            if next != from && !came_from.contains_key(next.as_str()) {
                came_from.insert(next, at);
                queue.push_back(next);
            }
        }
    }
    None
}

/// Each group of modules that reach one another, with one loop through
/// its first module: "a b c (a → c → b → a)".
fn cycles(graph: &Graph) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for m in graph.keys() {
        if seen.contains(m) {
            continue;
        }
        let group: Vec<&String> = graph
            .keys()
            .filter(|o| *o == m || (path(graph, m, o).is_some() && path(graph, o, m).is_some()))
            .collect();
        seen.extend(group.iter().cloned());
        if let (true, Some(loop_)) = (group.len() > 1, path(graph, m, m)) {
            let names: Vec<&str> = group.iter().map(|s| s.as_str()).collect();
            out.push(format!(
                "cycle among {} modules: {} ({})",
                group.len(),
                names.join(" "),
                loop_.join(" → ")
            ));
        }
    }
    out
}

fn rust_files(dir: &Path, under: &str, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        let rel = format!("{under}{name}");
        if entry.file_type().unwrap().is_dir() {
            if rel != "bin" {
                rust_files(&entry.path(), &format!("{rel}/"), out);
            }
        } else if name.ends_with(".rs") {
            out.push((rel, std::fs::read_to_string(entry.path()).unwrap()));
        }
    }
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut names: Vec<String> = std::fs::read_dir(&crates)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| crates.join(name).join("src").is_dir())
        .collect();
    names.sort();
    assert!(names.len() > 1, "no crates found in {}", crates.display());
    let mut problems = Vec::new();
    for name in names {
        let mut files = Vec::new();
        rust_files(&crates.join(&name).join("src"), "", &mut files);
        let graph = graph(&files);
        println!("{name}:");
        for (from, to) in graph.iter().filter(|(_, to)| !to.is_empty()) {
            let to: Vec<&str> = to.iter().map(String::as_str).collect();
            println!("  {from} → {}", to.join(" "));
        }
        problems.extend(cycles(&graph).into_iter().map(|c| format!("{name}: {c}")));
    }
    assert!(
        problems.is_empty(),
        "modules import each other (move the shared piece down):\n{}",
        problems.join("\n")
    );
}

fn files(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(p, t)| ((*p).to_owned(), (*t).to_owned()))
        .collect()
}

#[test]
fn a_two_module_cycle_is_reported() {
    let g = graph(&files(&[
        ("lib.rs", "mod a;\nmod b;\nuse crate::a::A;\n"),
        ("a.rs", "use crate::b::B;\n"),
        ("b/mod.rs", "mod inner;\n"),
        ("b/inner.rs", "use crate::{Failure, a::A};\n"),
    ]));
    assert_eq!(
        cycles(&g),
        ["cycle among 2 modules: a b (a → b → a)"],
        "{g:?}"
    );
}

#[test]
fn the_root_tests_and_groups_are_read_as_they_should() {
    let g = graph(&files(&[
        ("lib.rs", "mod a;\nmod b;\nmod c;\nuse crate::a::A;\n"),
        (
            "a.rs",
            "use crate::{\n    b::{self, B},\n    c::C,\n};\nfn f() { crate::Failure; }\n",
        ),
        (
            "b.rs",
            "pub struct B;\n#[cfg(test)]\nmod tests {\n    use crate::a::*;\n}\n",
        ),
        ("c.rs", "use crate::Failure;\nuse zhengshu_crate::a;\n"),
    ]));
    assert_eq!(g["a"], BTreeSet::from(["b".to_owned(), "c".to_owned()]));
    assert!(g["b"].is_empty() && g["c"].is_empty(), "{g:?}");
    assert!(cycles(&g).is_empty());
    let around = graph(&files(&[
        ("a.rs", "use crate::b;"),
        ("b.rs", "use crate::c;"),
        ("c.rs", "use crate::a;"),
        ("d.rs", "use crate::a;"),
    ]));
    assert_eq!(
        cycles(&around),
        ["cycle among 3 modules: a b c (a → b → c → a)"]
    );
}
