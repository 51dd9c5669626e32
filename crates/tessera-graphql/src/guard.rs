//! Measuring a request before anything expensive reads it.
//!
//! The GraphQL parser and validator recurse over the document and expand
//! fragment spreads as they go, so a 4 KB document nested 2,000 deep
//! overflows the stack, and 30 fragments that each spread the previous one
//! twice ask for 2^30 fields. Nothing here recurses on what the client
//! sent: nesting is measured on the raw text in one pass before parsing,
//! and the parsed document is measured with each fragment counted once.

use std::collections::HashMap;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};

/// Deepest nesting of brackets (`{`, `[`, `(`) in a query, and of arrays and
/// objects in variables.
pub const MAX_NESTING: usize = 64;
/// Deepest nesting of fields, introspection (`__schema`, `__type`) aside:
/// tools' standard introspection query nests type references deeper than
/// any content query needs.
pub const MAX_DEPTH: usize = 10;
/// Most fields a document may select once every fragment is expanded.
pub const MAX_FIELDS: usize = 2_000;
/// Most aliased fields, counted with fragments expanded: aliases let a
/// small query ask for the same expensive field many times.
pub const MAX_ALIASES: usize = 30;

/// Why a request was refused before execution.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The query text nests brackets too deeply.
    #[error("query is nested deeper than {MAX_NESTING} levels of brackets")]
    QueryNesting,
    /// The variables (or extensions) nest arrays and objects too deeply.
    #[error("variables are nested deeper than {MAX_NESTING} levels")]
    VariablesNesting,
    /// Fields nest too deeply.
    #[error("query is nested deeper than {MAX_DEPTH} fields")]
    Depth,
    /// Fragments expand to too many fields.
    #[error("query expands to more than {MAX_FIELDS} fields once fragments are expanded")]
    Fields,
    /// Too many aliases.
    #[error("query uses too many aliases (at most {MAX_ALIASES})")]
    Aliases,
    /// A fragment spreads itself, directly or not.
    #[error("fragment `{0}` spreads itself")]
    Cycle(String),
}

/// Deepest bracket nesting of GraphQL text, outside strings and comments.
/// Linear, no recursion: safe on any input.
pub fn query_nesting(text: &str) -> usize {
    let bytes = text.as_bytes();
    let (mut depth, mut deepest, mut i) = (0usize, 0usize, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                let open = i + 3;
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    // `\"""` is an escaped triple quote inside a block string.
                    i += if bytes[i..].starts_with(b"\\\"\"\"") { 4 } else { 1 };
                }
                if i >= bytes.len() {
                    // Never closed: the parser backtracks and may read what
                    // follows as code, so every bracket after it counts.
                    return deepest.max(depth + rest_nesting(&bytes[open..]));
                }
                i += 2;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    deepest
}

/// Deepest nesting of brackets in `bytes`, counting every bracket.
fn rest_nesting(bytes: &[u8]) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    for b in bytes {
        match b {
            b'{' | b'[' | b'(' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// Deepest nesting of arrays and objects in JSON text, outside strings.
/// Linear, no recursion: measured before a JSON parser sees the text.
pub fn json_nesting(text: &[u8]) -> usize {
    let (mut depth, mut deepest, mut i) = (0usize, 0usize, 0usize);
    while i < text.len() {
        match text[i] {
            b'"' => {
                i += 1;
                while i < text.len() && text[i] != b'"' {
                    i += if text[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    deepest
}

/// What a selection set holds, fragments not yet expanded.
#[derive(Default)]
struct Local<'d> {
    fields: usize,
    aliases: usize,
    depth: usize,
    /// Spread fragments, with the field depth they are spread at.
    spreads: Vec<(&'d str, usize)>,
}

/// A fragment or operation with its spreads expanded.
#[derive(Clone, Copy, Default)]
struct Expanded {
    fields: usize,
    aliases: usize,
    depth: usize,
}

/// Walks one selection set. Recursion here follows the document's own
/// nesting, which [`query_nesting`] has bounded before parsing.
fn local<'d>(set: &'d SelectionSet, at: usize, counting_depth: bool, out: &mut Local<'d>) {
    for item in &set.items {
        match &item.node {
            Selection::Field(f) => {
                let field = &f.node;
                out.fields += 1;
                out.aliases += usize::from(field.alias.is_some());
                // Introspection is answered from the schema, not the
                // content: its depth is not the content's to limit.
                let counting = counting_depth && !field.name.node.starts_with("__");
                if counting {
                    out.depth = out.depth.max(at + 1);
                }
                local(&field.selection_set.node, if counting { at + 1 } else { at }, counting, out);
            }
            Selection::InlineFragment(f) => local(&f.node.selection_set.node, at, counting_depth, out),
            Selection::FragmentSpread(s) => {
                out.spreads.push((s.node.fragment_name.node.as_str(), if counting_depth { at } else { usize::MAX }))
            }
        }
    }
}

/// Measures a parsed document with every fragment counted once (memoised),
/// so the cost is linear in the document's size whatever its spreads
/// expand to. Refuses what is too deep, too wide or cyclic.
pub fn check_document(doc: &ExecutableDocument) -> Result<(), Refusal> {
    let fragments: HashMap<&str, Local<'_>> = doc
        .fragments
        .iter()
        .map(|(name, f)| {
            let mut l = Local::default();
            local(&f.node.selection_set.node, 0, true, &mut l);
            (name.as_str(), l)
        })
        .collect();
    let mut done: HashMap<&str, Expanded> = HashMap::new();
    for (_, op) in doc.operations.iter() {
        let mut l = Local::default();
        local(&op.node.selection_set.node, 0, true, &mut l);
        let total = combine(&l, &fragments, &mut done)?;
        if total.depth > MAX_DEPTH {
            return Err(Refusal::Depth);
        }
        if total.fields > MAX_FIELDS {
            return Err(Refusal::Fields);
        }
        if total.aliases > MAX_ALIASES {
            return Err(Refusal::Aliases);
        }
    }
    Ok(())
}

/// `l` with its spreads expanded, resolving fragments depth first with an
/// explicit stack (a chain of a thousand fragments must not recurse a
/// thousand deep).
fn combine<'d>(
    l: &Local<'d>,
    fragments: &HashMap<&'d str, Local<'d>>,
    done: &mut HashMap<&'d str, Expanded>,
) -> Result<Expanded, Refusal> {
    for &(name, _) in &l.spreads {
        resolve(name, fragments, done)?;
    }
    Ok(sum(l, done))
}

fn sum(l: &Local<'_>, done: &HashMap<&str, Expanded>) -> Expanded {
    let mut total = Expanded { fields: l.fields, aliases: l.aliases, depth: l.depth };
    for &(name, at) in &l.spreads {
        // Unknown fragments are left to validation, which names them.
        let Some(e) = done.get(name) else { continue };
        total.fields = total.fields.saturating_add(e.fields);
        total.aliases = total.aliases.saturating_add(e.aliases);
        if at != usize::MAX {
            total.depth = total.depth.max(at.saturating_add(e.depth));
        }
    }
    total
}

fn resolve<'d>(
    root: &'d str,
    fragments: &HashMap<&'d str, Local<'d>>,
    done: &mut HashMap<&'d str, Expanded>,
) -> Result<(), Refusal> {
    if done.contains_key(root) || !fragments.contains_key(root) {
        return Ok(());
    }
    // (fragment, index of the next spread to visit)
    let mut stack: Vec<(&'d str, usize)> = vec![(root, 0)];
    let mut on_stack: std::collections::HashSet<&'d str> = [root].into_iter().collect();
    while let Some(top) = stack.last_mut() {
        let name = top.0;
        let Some(l) = fragments.get(name) else {
            stack.pop();
            continue;
        };
        if let Some(&(child, _)) = l.spreads.get(top.1) {
            top.1 += 1;
            if on_stack.contains(child) {
                return Err(Refusal::Cycle(child.to_owned()));
            }
            if !done.contains_key(child) && fragments.contains_key(child) {
                on_stack.insert(child);
                stack.push((child, 0));
            }
            continue;
        }
        let expanded = sum(l, done);
        done.insert(name, expanded);
        on_stack.remove(name);
        stack.pop();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(query: &str) -> Result<(), Refusal> {
        let doc = async_graphql::parser::parse_query(query).map_err(|e| Refusal::Cycle(e.to_string()))?;
        check_document(&doc)
    }

    #[test]
    fn nesting_ignores_brackets_in_strings_and_comments() {
        assert_eq!(query_nesting("{ a(b: [[1]]) { c } }"), 4);
        assert_eq!(query_nesting("{ a(b: \"[[[[{{{\") # {{{{\n }"), 2);
        assert_eq!(query_nesting("{ a(b: \"\"\"[[[ \\\"\"\" {{{ \"\"\") }"), 2);
        assert_eq!(query_nesting(&"[".repeat(5000)), 5000);
        // A block string never closed hides nothing: the parser may read
        // what follows as code.
        assert!(query_nesting(&format!("{{ a(b: [\"\"\" \" {}", "[".repeat(5000))) > 5000);
        assert_eq!(json_nesting(br#"{"a": "[[[[", "b": [[{}]]}"#), 4);
        assert_eq!(json_nesting(br#"{"a": "\"[[[["}"#), 1);
    }

    #[test]
    fn fragment_bombs_are_measured_without_expanding_them() {
        let mut q = String::from("fragment F0 on Query { site { title } }\n");
        for i in 1..=30 {
            q.push_str(&format!("fragment F{i} on Query {{ ...F{} ...F{} }}\n", i - 1, i - 1));
        }
        q.push_str("{ ...F30 }");
        let started = std::time::Instant::now();
        assert_eq!(check(&q), Err(Refusal::Fields));
        assert!(started.elapsed().as_secs() < 1);
    }

    #[test]
    fn depth_counts_through_fragments_but_not_introspection() {
        let deep = format!("{{ {}x{} }}", "a { ".repeat(10), " }".repeat(10));
        assert_eq!(check(&deep), Err(Refusal::Depth));
        let ten = format!("{{ {}x{} }}", "a { ".repeat(9), " }".repeat(9));
        assert_eq!(check(&ten), Ok(()));
        let via = format!("fragment F on T {{ {}x{} }} {{ a {{ ...F }} }}", "a { ".repeat(9), " }".repeat(9));
        assert_eq!(check(&via), Err(Refusal::Depth));
        let introspection = format!("{{ __schema {{ {}x{} }} }}", "a { ".repeat(15), " }".repeat(15));
        assert_eq!(check(&introspection), Ok(()));
    }

    #[test]
    fn cycles_and_aliases_are_refused() {
        assert!(matches!(check("fragment A on Q { ...B } fragment B on Q { ...A } { ...A }"), Err(Refusal::Cycle(_))));
        let aliases: String = (0..31).map(|i| format!("a{i}: site {{ title }} ")).collect();
        assert_eq!(check(&format!("{{ {aliases} }}")), Err(Refusal::Aliases));
        let spread: String = (0..16).map(|i| format!("a{i}: site {{ title }} ")).collect();
        assert_eq!(check(&format!("fragment F on Query {{ {spread} }} {{ ...F ...F }}")), Err(Refusal::Aliases));
    }

    #[test]
    fn a_long_chain_of_fragments_does_not_recurse() {
        let mut q = String::from("fragment F0 on Query { site { title } }\n");
        for i in 1..=5000 {
            q.push_str(&format!("fragment F{i} on Query {{ ...F{} }}\n", i - 1));
        }
        q.push_str("{ ...F5000 }");
        assert_eq!(check(&q), Ok(()));
    }
}
