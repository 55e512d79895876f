//! The house's shape, read from the source: every `use` and every `crate::`, `super::`,
//! `self::` or child-module path in `src/` is resolved to the file that defines what it names
//! (following `pub use` re-exports), and the resulting graph must have no circle, between files
//! or between top-level rooms, and no edge that points up the layers of docs/design.md:
//!
//! cli → startup → http, console, demo → collect, tell, ingest, export, lifecycle → store →
//! insight, analysis, domain, config, counters, telemetry.
//!
//! Code under `#[cfg(test)]` is left out: tests may reach anywhere.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// Each room's layer: an edge may only go to a room of a lower layer or the same one.
fn layer(room: &str) -> Option<u8> {
    Some(match room {
        "cli" => 6,
        "startup" => 5,
        "http" | "console" | "demo" => 4,
        "collect" | "tell" | "ingest" | "export" | "lifecycle" => 3,
        "store" => 2,
        "insight" | "analysis" => 1,
        "domain" | "config" | "counters" | "telemetry" => 0,
        _ => return None,
    })
}

/// One module: its file, its child modules, what it defines and what it re-exports.
#[derive(Default, Debug)]
struct Module {
    file: PathBuf,
    children: BTreeSet<String>,
    /// `pub use a::b::C as D;` → D ↦ path a::b::C (relative to this module).
    reexports: BTreeMap<String, Vec<String>>,
    /// `pub use a::b::*;`
    globs: Vec<Vec<String>>,
    code: String,
}

type ModPath = Vec<String>;

/// Drops comments, string and char literals, and `#[cfg(test)]` items, keeping the rest.
fn strip(src: &str) -> String {
    let b: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == 'r' && (next == Some('"') || next == Some('#')) && !ident_char(prev(&b, i)) {
            // Raw string: r"…" or r#"…"#.
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= b.len() {
                    break;
                }
                if b[j] == '"' && (0..hashes).all(|k| b.get(j + 1 + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == '"' {
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' {
            // A char literal ('x', '\n', '\u{1F}') or a lifetime ('a).
            if next == Some('\\') {
                i += 2;
                while i < b.len() && b[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if b.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                out.push(c);
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    drop_cfg_test(&out)
}

fn prev(b: &[char], i: usize) -> char {
    if i == 0 {
        ' '
    } else {
        b[i - 1]
    }
}

fn ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Removes each `#[cfg(test)]` and the item after it (a block or a declaration).
fn drop_cfg_test(src: &str) -> String {
    let mut out = String::new();
    let mut rest = src;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        let brace = after.find('{');
        let semi = after.find(';');
        let end = match (brace, semi) {
            (Some(b), Some(s)) if s < b => s + 1,
            (Some(b), _) => {
                let mut depth = 0;
                let mut end = after.len();
                for (k, ch) in after[b..].char_indices() {
                    match ch {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = b + k + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                end
            }
            (None, Some(s)) => s + 1,
            (None, None) => after.len(),
        };
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Every `use` statement's paths, expanded: `a::{b, c::{d as e}}` → (a::b, b), (a::c::d, e).
/// Returns (is `pub`, full path, name it is known by).
fn use_paths(code: &str) -> Vec<(bool, Vec<String>, String)> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    let mut i = 0;
    while let Some(at) = code[i..].find("use ") {
        let start = i + at;
        i = start + 4;
        if start > 0 && ident_char(bytes[start - 1] as char) {
            continue;
        }
        // `pub use`, `pub(crate) use`, `pub(super) use`.
        let before = code[..start].trim_end();
        let public = before.ends_with("pub") || before.ends_with(')') && before.contains("pub(");
        let Some(end) = code[i..].find(';') else {
            break;
        };
        let tree: String = code[i..i + end]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        i += end;
        expand(&tree, &[], public, &mut out);
    }
    out
}

fn expand(tree: &str, prefix: &[String], public: bool, out: &mut Vec<(bool, Vec<String>, String)>) {
    let tree = tree.trim().trim_start_matches("::");
    if let Some(open) = tree.find('{') {
        let head: Vec<String> = tree[..open]
            .split("::")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let mut base = prefix.to_vec();
        base.extend(head);
        let mut depth = 0;
        let mut part = String::new();
        for ch in inner.chars() {
            match ch {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand(&part, &base, public, out);
                    part.clear();
                    continue;
                }
                _ => {}
            }
            part.push(ch);
        }
        if !part.trim().is_empty() {
            expand(&part, &base, public, out);
        }
        return;
    }
    let (path, alias) = match tree.split_once(" as ") {
        Some((p, a)) => (p.trim(), Some(a.trim().to_owned())),
        None => (tree, None),
    };
    let mut full = prefix.to_vec();
    full.extend(
        path.split("::")
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty()),
    );
    if full.last().is_some_and(|s| s == "self") {
        full.pop();
    }
    let Some(last) = full.last().cloned() else {
        return;
    };
    out.push((public, full, alias.unwrap_or(last)));
}

/// Paths written in code: `crate::a::b`, `super::x`, `self::y`, `child::z`.
fn code_paths(code: &str, children: &BTreeSet<String>) -> Vec<Vec<String>> {
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !ident_char(chars[i]) || (i > 0 && (ident_char(chars[i - 1]) || chars[i - 1] == ':')) {
            i += 1;
            continue;
        }
        let mut segs = Vec::new();
        let mut j = i;
        loop {
            let s = j;
            while j < chars.len() && ident_char(chars[j]) {
                j += 1;
            }
            segs.push(chars[s..j].iter().collect::<String>());
            if chars.get(j) == Some(&':') && chars.get(j + 1) == Some(&':') {
                let k = j + 2;
                if chars.get(k).is_some_and(|c| ident_char(*c)) {
                    j = k;
                    continue;
                }
            }
            break;
        }
        i = j.max(i + 1);
        if segs.len() < 2 {
            continue;
        }
        let first = segs[0].as_str();
        if matches!(first, "crate" | "super" | "self") || children.contains(first) {
            out.push(segs);
        }
    }
    out
}

fn load(root: &Path) -> BTreeMap<ModPath, Module> {
    let mut mods = BTreeMap::new();
    load_module(root, &root.join("lib.rs"), Vec::new(), &mut mods);
    mods
}

fn load_module(src: &Path, file: &Path, path: ModPath, mods: &mut BTreeMap<ModPath, Module>) {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let code = strip(&text);
    let dir = if file.ends_with("mod.rs") || file.ends_with("lib.rs") {
        file.parent().unwrap().to_path_buf()
    } else {
        file.with_extension("")
    };
    let mut module = Module {
        file: file
            .strip_prefix(src.parent().unwrap())
            .unwrap()
            .to_path_buf(),
        code: code.clone(),
        ..Default::default()
    };
    for line in code.lines() {
        let t = line.trim();
        let decl = t
            .strip_prefix("pub mod ")
            .or_else(|| t.strip_prefix("pub(crate) mod "))
            .or_else(|| t.strip_prefix("mod "));
        if let Some(name) = decl.and_then(|d| d.strip_suffix(';')) {
            module.children.insert(name.trim().to_owned());
        }
    }
    for (public, full, name) in use_paths(&code) {
        if !public {
            continue;
        }
        if name == "*" {
            let mut p = full.clone();
            p.pop();
            module.globs.push(p);
        } else {
            module.reexports.insert(name, full);
        }
    }
    let children = module.children.clone();
    mods.insert(path.clone(), module);
    for child in children {
        let flat = dir.join(format!("{child}.rs"));
        let nested = dir.join(&child).join("mod.rs");
        let f = if flat.exists() { flat } else { nested };
        let mut p = path.clone();
        p.push(child);
        load_module(src, &f, p, mods);
    }
}

/// Does this module's own code define `name`?
fn defines(m: &Module, name: &str) -> bool {
    [
        "fn", "struct", "enum", "type", "trait", "const", "static", "union",
    ]
    .iter()
    .any(|kw| {
        let needle = format!("{kw} {name}");
        m.code.match_indices(&needle).any(|(at, _)| {
            let after = m.code[at + needle.len()..].chars().next();
            !after.is_some_and(ident_char)
        })
    }) || m.code.contains(&format!("macro_rules! {name}"))
}

/// The module whose file defines what `path` (written in module `from`) names.
fn resolve(
    mods: &BTreeMap<ModPath, Module>,
    from: &ModPath,
    path: &[String],
    depth: usize,
) -> Option<ModPath> {
    if depth > 20 || path.is_empty() {
        return None;
    }
    let mut at: ModPath = from.clone();
    let mut segs = path.iter().peekable();
    match segs.peek().map(|s| s.as_str()) {
        Some("crate") => {
            at.clear();
            segs.next();
        }
        Some("self") => {
            segs.next();
        }
        Some("super") => {
            while segs.peek().map(|s| s.as_str()) == Some("super") {
                at.pop();
                segs.next();
            }
        }
        Some(first) => {
            let m = mods.get(&at)?;
            if !m.children.contains(first) {
                // An external crate, or a name brought in by a plain `use`.
                return None;
            }
        }
        None => return None,
    }
    while let Some(seg) = segs.next() {
        let m = mods.get(&at)?;
        if m.children.contains(seg) {
            at.push(seg.clone());
            continue;
        }
        // An item of `at`: defined there, or re-exported from elsewhere.
        if defines(m, seg) {
            return Some(at);
        }
        if let Some(target) = m.reexports.get(seg) {
            let mut p = target.clone();
            p.extend(segs.cloned());
            return resolve(mods, &at, &p, depth + 1).or(Some(at));
        }
        for glob in &m.globs {
            let mut p = glob.clone();
            p.push(seg.clone());
            if let Some(found) = resolve(mods, &at, &p, depth + 1) {
                if found != at {
                    return Some(found);
                }
            }
        }
        return Some(at);
    }
    Some(at)
}

struct Graph {
    files: BTreeMap<ModPath, PathBuf>,
    edges: BTreeMap<ModPath, BTreeSet<ModPath>>,
}

fn graph() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mods = load(&src);
    let mut edges: BTreeMap<ModPath, BTreeSet<ModPath>> = BTreeMap::new();
    for (path, m) in &mods {
        let mut targets = BTreeSet::new();
        let uses = use_paths(&m.code).into_iter().map(|(_, p, _)| p);
        for p in uses.chain(code_paths(&m.code, &m.children)) {
            if let Some(t) = resolve(&mods, path, &p, 0) {
                if &t != path && !t.is_empty() {
                    targets.insert(t);
                }
            }
        }
        edges.insert(path.clone(), targets);
    }
    Graph {
        files: mods
            .iter()
            .map(|(p, m)| (p.clone(), m.file.clone()))
            .collect(),
        edges,
    }
}

/// Strongly connected components with more than one member (Tarjan).
fn circles<N: Ord + Clone>(edges: &BTreeMap<N, BTreeSet<N>>) -> Vec<Vec<N>> {
    struct State<N> {
        index: HashMap<usize, usize>,
        low: HashMap<usize, usize>,
        stack: Vec<usize>,
        on: BTreeSet<usize>,
        next: usize,
        out: Vec<Vec<N>>,
    }
    let nodes: Vec<N> = edges.keys().cloned().collect();
    let id: BTreeMap<N, usize> = nodes
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, n)| (n, i))
        .collect();
    let adj: Vec<Vec<usize>> = nodes
        .iter()
        .map(|n| edges[n].iter().filter_map(|t| id.get(t).copied()).collect())
        .collect();
    fn visit<N: Clone>(v: usize, adj: &[Vec<usize>], nodes: &[N], s: &mut State<N>) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on.insert(v);
        for &w in &adj[v] {
            if !s.index.contains_key(&w) {
                visit(w, adj, nodes, s);
                let lw = s.low[&w];
                let lv = s.low.get_mut(&v).unwrap();
                *lv = (*lv).min(lw);
            } else if s.on.contains(&w) {
                let iw = s.index[&w];
                let lv = s.low.get_mut(&v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if s.low[&v] == s.index[&v] {
            let mut comp = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on.remove(&w);
                comp.push(nodes[w].clone());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                s.out.push(comp);
            }
        }
    }
    let mut s = State {
        index: HashMap::new(),
        low: HashMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in 0..nodes.len() {
        if !s.index.contains_key(&v) {
            visit(v, &adj, &nodes, &mut s);
        }
    }
    s.out
}

fn room(p: &ModPath) -> &str {
    p.first().map_or("", String::as_str)
}

#[test]
fn no_file_takes_part_in_an_import_circle() {
    let g = graph();
    let found: Vec<String> = circles(&g.edges)
        .iter()
        .map(|c| {
            c.iter()
                .map(|m| g.files[m].display().to_string())
                .collect::<Vec<_>>()
                .join(" ↔ ")
        })
        .collect();
    assert!(found.is_empty(), "import circles:\n{}", found.join("\n"));
}

#[test]
fn rooms_import_only_down_the_layers_and_never_in_a_circle() {
    let g = graph();
    let mut rooms: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut up = Vec::new();
    for (from, targets) in &g.edges {
        let a = room(from);
        rooms.entry(a.to_owned()).or_default();
        for to in targets {
            let b = room(to);
            if a == b {
                continue;
            }
            rooms.entry(a.to_owned()).or_default().insert(b.to_owned());
            let (la, lb) = (layer(a), layer(b));
            assert!(
                la.is_some(),
                "room {a} ({}) has no layer in this test",
                g.files[from].display()
            );
            assert!(
                lb.is_some(),
                "room {b} ({}) has no layer in this test",
                g.files[to].display()
            );
            if la < lb {
                up.push(format!(
                    "{} → {}",
                    g.files[from].display(),
                    g.files[to].display()
                ));
            }
        }
    }
    assert!(
        up.is_empty(),
        "imports that point up the layers:\n{}",
        up.join("\n")
    );
    let found = circles(&rooms);
    assert!(found.is_empty(), "rooms in a circle: {found:?}");
}

#[test]
fn the_reader_sees_what_a_circle_looks_like() {
    // The checker itself: a made-up circle is found, a chain is not.
    let mut e: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    e.insert("a", ["b"].into());
    e.insert("b", ["c"].into());
    e.insert("c", ["a"].into());
    e.insert("d", ["a"].into());
    assert_eq!(circles(&e).len(), 1);
    e.insert("c", BTreeSet::new());
    assert!(circles(&e).is_empty());
    // And paths are read the way the compiler reads them.
    let code = strip("use super::{a::B, c as d}; // use crate::x::Y;\nlet s = \"crate::q::R\";");
    let paths: Vec<Vec<String>> = use_paths(&code).into_iter().map(|(_, p, _)| p).collect();
    assert_eq!(paths, vec![vec!["super", "a", "B"], vec!["super", "c"]]);
}
