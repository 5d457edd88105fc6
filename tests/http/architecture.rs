//! The import graph of `src/`: data flows one way, so imports do too.
//!
//! `src/lib.rs` lists the modules in order, lowest first; a module may use
//! only modules on its own line or above. Inside a module folder, sibling
//! files may not import each other in a circle. Test code (`#[cfg(test)]`)
//! is left out: a test may reach anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// A module as a path from the crate root (`["web", "pages"]`).
type ModPath = Vec<String>;

struct SourceFile {
    module: ModPath,
    /// Modules this file declares (`mod model;`), which plain paths may name.
    children: BTreeSet<String>,
    syntax: syn::File,
}

fn source_files() -> Vec<SourceFile> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    collect(&src, &mut files);
    files
        .into_iter()
        .filter(|path| !path.ends_with("main.rs"))
        .map(|path| {
            let relative = path.strip_prefix(&src).expect("under src");
            let mut module: ModPath = relative
                .with_extension("")
                .iter()
                .map(|part| part.to_string_lossy().into_owned())
                .collect();
            if module
                .last()
                .is_some_and(|last| last == "mod" || last == "lib")
            {
                module.pop();
            }
            let text = std::fs::read_to_string(&path).expect("read");
            let syntax =
                syn::parse_file(&text).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
            let children = syntax
                .items
                .iter()
                .filter_map(|item| match item {
                    syn::Item::Mod(m) if !is_test(&m.attrs) => Some(m.ident.to_string()),
                    _ => None,
                })
                .collect();
            SourceFile {
                module,
                children,
                syntax,
            }
        })
        .collect()
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

fn is_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("cfg")
            && attr
                .meta
                .require_list()
                .is_ok_and(|list| list.tokens.to_string() == "test")
    })
}

/// Every module path a file's non-test code names.
#[derive(Default)]
struct Names(BTreeSet<Vec<String>>);

impl Names {
    fn add_use(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(path) => {
                prefix.push(path.ident.to_string());
                self.add_use(prefix, &path.tree);
                prefix.pop();
            }
            syn::UseTree::Name(name) => {
                let mut full = prefix.clone();
                full.push(name.ident.to_string());
                self.0.insert(full);
            }
            syn::UseTree::Rename(rename) => {
                let mut full = prefix.clone();
                full.push(rename.ident.to_string());
                self.0.insert(full);
            }
            syn::UseTree::Glob(_) => {
                self.0.insert(prefix.clone());
            }
            syn::UseTree::Group(group) => {
                for tree in &group.items {
                    self.add_use(prefix, tree);
                }
            }
        }
    }
}

impl<'ast> Visit<'ast> for Names {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        let attrs = match item {
            syn::Item::Const(i) => &i.attrs,
            syn::Item::Enum(i) => &i.attrs,
            syn::Item::Fn(i) => &i.attrs,
            syn::Item::Impl(i) => &i.attrs,
            syn::Item::Mod(i) => &i.attrs,
            syn::Item::Static(i) => &i.attrs,
            syn::Item::Struct(i) => &i.attrs,
            syn::Item::Trait(i) => &i.attrs,
            syn::Item::Type(i) => &i.attrs,
            syn::Item::Use(i) => &i.attrs,
            _ => return syn::visit::visit_item(self, item),
        };
        if is_test(attrs) {
            return;
        }
        if let syn::Item::Use(item) = item {
            self.add_use(&mut Vec::new(), &item.tree);
            return;
        }
        syn::visit::visit_item(self, item);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        self.0.insert(
            path.segments
                .iter()
                .map(|segment| segment.ident.to_string())
                .collect(),
        );
        syn::visit::visit_path(self, path);
    }

    /// Paths inside macro calls (`tracing::info!(…)`, `format!(…)`) are
    /// tokens to syn: `crate :: a` sequences are read from them.
    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        let tokens: Vec<String> = flatten(mac.tokens.clone());
        for window in tokens.windows(4) {
            if window[0] == "crate" && window[1] == ":" && window[2] == ":" {
                self.0.insert(vec!["crate".to_owned(), window[3].clone()]);
            }
        }
        syn::visit::visit_macro(self, mac);
    }
}

fn flatten(tokens: proc_macro2::TokenStream) -> Vec<String> {
    let mut out = Vec::new();
    for token in tokens {
        match token {
            proc_macro2::TokenTree::Group(group) => out.extend(flatten(group.stream())),
            other => out.push(other.to_string()),
        }
    }
    out
}

/// The module a path names, if it is one of the crate's: `crate::…`,
/// `super::…`, `self::…` or a child module, resolved to the longest module
/// it reaches.
fn resolve(path: &[String], file: &SourceFile, modules: &BTreeSet<ModPath>) -> Option<ModPath> {
    let (first, rest) = path.split_first()?;
    let mut base: ModPath = match first.as_str() {
        "crate" => Vec::new(),
        "self" => file.module.clone(),
        "super" => {
            let mut parent = file.module.clone();
            parent.pop()?;
            parent
        }
        child if file.children.contains(child) => {
            let mut module = file.module.clone();
            module.push(child.to_owned());
            module
        }
        _ => return None,
    };
    let mut found = None;
    let rest: Vec<&String> = if first == "crate" || first == "self" || first == "super" {
        rest.iter().collect()
    } else {
        Vec::new()
    };
    if modules.contains(&base) {
        found = Some(base.clone());
    }
    for segment in rest {
        base.push(segment.clone());
        if modules.contains(&base) {
            found = Some(base.clone());
        } else {
            break;
        }
    }
    found
}

/// `lib.rs`'s module order: the first column of its `text` block, one rank
/// per line.
fn documented_order() -> BTreeMap<String, usize> {
    let lib = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs"))
        .expect("lib.rs");
    let block: Vec<&str> = lib
        .lines()
        .filter_map(|line| line.strip_prefix("//!"))
        .map(|line| line.strip_prefix(' ').unwrap_or(line))
        .skip_while(|line| *line != "```text")
        .skip(1)
        .take_while(|line| *line != "```")
        .collect();
    assert!(!block.is_empty(), "lib.rs documents no module order");
    let mut order = BTreeMap::new();
    for (rank, line) in block.iter().enumerate() {
        let names = line.split("  ").next().unwrap_or_default();
        for name in names.split_whitespace() {
            assert!(
                order.insert(name.to_owned(), rank).is_none(),
                "`{name}` is listed twice in lib.rs's module order"
            );
        }
    }
    order
}

/// Every edge `from → to` between the crate's modules, by file.
fn edges() -> BTreeSet<(ModPath, ModPath)> {
    let files = source_files();
    let modules: BTreeSet<ModPath> = files.iter().map(|f| f.module.clone()).collect();
    let mut edges = BTreeSet::new();
    for file in &files {
        let mut names = Names::default();
        names.visit_file(&file.syntax);
        for path in &names.0 {
            if let Some(to) = resolve(path, file, &modules)
                && to != file.module
            {
                edges.insert((file.module.clone(), to));
            }
        }
    }
    edges
}

#[test]
fn no_module_imports_one_above_it() {
    let order = documented_order();
    let edges = edges();
    let top = |module: &ModPath| module.first().cloned().unwrap_or_default();
    let mut problems = Vec::new();
    for module in edges.iter().flat_map(|(a, b)| [a, b]) {
        if !module.is_empty() && !order.contains_key(&top(module)) {
            problems.push(format!(
                "`{}` is missing from lib.rs's module order",
                top(module)
            ));
        }
    }
    for (from, to) in &edges {
        let (Some(from_rank), Some(to_rank)) = (order.get(&top(from)), order.get(&top(to))) else {
            continue;
        };
        if to_rank > from_rank {
            problems.push(format!(
                "{} uses {}, which lib.rs lists above it",
                from.join("::"),
                to.join("::")
            ));
        }
    }
    problems.sort();
    problems.dedup();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Modules on one line of the order, and files within one folder, may use
/// each other, but not in a circle.
#[test]
fn no_import_cycles() {
    let edges = edges();
    // Each edge between siblings: lifted to the children of the deepest
    // folder both lie in. A file using its own folder's `mod.rs` (or the
    // reverse) is a parent and child, not siblings, and is left out.
    let mut graph: BTreeMap<ModPath, BTreeSet<ModPath>> = BTreeMap::new();
    for (from, to) in &edges {
        let common = from.iter().zip(to).take_while(|(a, b)| a == b).count();
        if common == from.len() || common == to.len() {
            continue;
        }
        let lift = |module: &ModPath| module[..=common].to_vec();
        graph.entry(lift(from)).or_default().insert(lift(to));
    }
    let mut cycles = Vec::new();
    for start in graph.keys() {
        // Depth-first from `start`, looking for a way back to it.
        let mut stack = vec![vec![start.clone()]];
        let mut seen = BTreeSet::new();
        while let Some(route) = stack.pop() {
            let last = route.last().expect("non-empty");
            for next in graph.get(last).into_iter().flatten() {
                if next == start {
                    let names: Vec<String> = route.iter().map(|m| m.join("::")).collect();
                    cycles.push(format!("{} → {}", names.join(" → "), start.join("::")));
                } else if seen.insert(next.clone()) {
                    let mut longer = route.clone();
                    longer.push(next.clone());
                    stack.push(longer);
                }
            }
        }
    }
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

/// A module that outgrows this has more than one job: split it.
const MAX_LINES: usize = 450;

#[test]
fn no_source_file_is_over_450_lines_outside_its_tests() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    collect(&src, &mut files);
    let mut long: Vec<String> = files
        .iter()
        .filter_map(|path| {
            let text = std::fs::read_to_string(path).expect("read");
            let lines = non_test_lines(&text);
            (lines > MAX_LINES).then(|| format!("{}: {lines} lines", path.display()))
        })
        .collect();
    long.sort();
    assert!(
        long.is_empty(),
        "over {MAX_LINES} lines:\n{}",
        long.join("\n")
    );
}

/// The lines of `text` outside `#[cfg(test)]` items, wherever in the file
/// they are: an item marked so is skipped to its closing brace at its own
/// indentation (rustfmt's layout), or to its `;`.
fn non_test_lines(text: &str) -> usize {
    let mut count = 0;
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.trim() != "#[cfg(test)]" {
            count += 1;
            continue;
        }
        let indent = &line[..line.len() - line.trim_start().len()];
        let close = format!("{indent}}}");
        // Further attributes, then the item's first line: a `use` or a
        // `mod tests;` ends there, a block at its closing brace.
        let first = lines
            .by_ref()
            .find(|item| !item.trim_start().starts_with("#["));
        if first.is_some_and(|item| item.trim_end().ends_with(';')) {
            continue;
        }
        for item in lines.by_ref() {
            if item == close {
                break;
            }
        }
    }
    count
}

#[test]
fn test_items_anywhere_are_left_out_of_the_count() {
    let text = "fn a() {}\n#[cfg(test)]\nfn helper() {\n    x();\n}\nfn b() {}\n#[cfg(test)]\nuse x::y;\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn t() {}\n}\nfn c() {}\n";
    assert_eq!(non_test_lines(text), 3);
}
