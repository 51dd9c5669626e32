//! Times a load, a reload with nothing changed, and a reload after a
//! one-line edit of one page, with the load cache: what `serve --watch`
//! does on an edit, without the server; then the same edit told of the
//! file that changed, as the server's watcher tells it.
//!
//! usage: cargo run --release -p tessera-core --example reload -- CONTENT_DIR
//! (it appends lines to one page of CONTENT_DIR, and adds and removes a
//! page beside it)

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(std::env::args().nth(1).ok_or("usage: reload CONTENT_DIR")?);
    let mut cache = tessera_core::LoadCache::default();
    let time = |what: &str, cache: &mut tessera_core::LoadCache| -> Result<(), Box<dyn std::error::Error>> {
        let started = Instant::now();
        let snapshot = tessera_core::load_with(&root, cache).map_err(|e| format!("{e:?}"))?;
        println!("{what}: {:.1} ms ({:016x})", started.elapsed().as_secs_f64() * 1000.0, snapshot.version());
        Ok(())
    };
    // As `serve --watch` reloads: told which file changed.
    let told = |what: &str,
                path: &std::path::Path,
                cache: &mut tessera_core::LoadCache|
     -> Result<(), Box<dyn std::error::Error>> {
        let started = Instant::now();
        let snapshot = tessera_core::load_changed(&root, cache, &[path.to_path_buf()]).map_err(|e| format!("{e:?}"))?;
        println!(
            "reload told of {what}: {:.1} ms ({:016x}, {})",
            started.elapsed().as_secs_f64() * 1000.0,
            snapshot.version(),
            if cache.patched() { "patched" } else { "loaded in full" }
        );
        Ok(())
    };
    time("first load", &mut cache)?;
    time("reload, nothing changed", &mut cache)?;
    let mut pages: Vec<PathBuf> =
        std::fs::read_dir(root.join("pages"))?.filter_map(Result::ok).map(|e| e.path()).collect();
    pages.sort();
    let page = pages.get(pages.len() / 2).ok_or("no pages")?;
    for n in 0..5 {
        std::fs::OpenOptions::new().append(true).open(page)?.write_all(format!("\nAn edit {n}.\n").as_bytes())?;
        time("reload after a one-line edit", &mut cache)?;
    }
    for n in 0..5 {
        std::fs::OpenOptions::new().append(true).open(page)?.write_all(format!("\nAn edit {n}.\n").as_bytes())?;
        told("the edited file", page, &mut cache)?;
    }
    // A front-matter edit: the page's first reference taken out, then put
    // back (its item is then cited by one page fewer, then as before).
    let original = std::fs::read_to_string(page)?;
    let Some(start) = original.find("measures = [\"") else { return Ok(()) };
    let first = start + "measures = [".len();
    let Some(end) = original[first..].find(", ").map(|e| first + e + 2) else { return Ok(()) };
    let fewer = format!("{}{}", &original[..first], &original[end..]);
    for text in [&fewer, &original, &fewer, &original] {
        std::fs::write(page, text)?;
        told("a reference taken out or put back", page, &mut cache)?;
    }
    // A new page (a copy without its old addresses, which other pages'
    // checks read), then the same page deleted.
    let Some(folder) = page.parent() else { return Ok(()) };
    let copy = folder.join("page-new-copy.md");
    let without_legacy: String =
        original.lines().filter(|l| !l.starts_with("legacy_urls")).map(|l| format!("{l}\n")).collect();
    for create in [true, false, true, false] {
        if create {
            std::fs::write(&copy, &without_legacy)?;
        } else {
            std::fs::remove_file(&copy)?;
        }
        told(if create { "a page created" } else { "a page deleted" }, &copy, &mut cache)?;
    }
    Ok(())
}
