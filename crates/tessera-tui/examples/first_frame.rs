//! The terminal browser's first frame (BENCHMARKS.md): from start, through
//! loading the content, to the home screen drawn at 80×24.
//!
//! usage: cargo run --release -p tessera-tui --example first_frame -- CONTENT_DIR [KEPT_FILE]
//!
//! With KEPT_FILE, as `tessera browse` starts: the home screen kept there
//! at the last start is drawn while the content loads (run it twice: the
//! first run keeps it). The time until the content has loaded is printed
//! too. With `TESSERA_CACHE_DIR` set, the content is loaded through the
//! parse cache kept in its `parts/` folder, as `tessera browse` loads it.

use std::sync::Arc;
use std::time::Instant;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tessera_tui::{App, LocalSource, StartingSource};

// The same allocator as the `tessera` binary.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: first_frame CONTENT_DIR [KEPT_FILE]");
        std::process::exit(2);
    };
    if let Some(kept) = std::env::args().nth(2) {
        let started = Instant::now();
        let mut source = StartingSource::start(std::path::Path::new(&dir), Some(kept.into()), load_cache());
        let kept = source.kept_default_locale().is_some();
        if !kept {
            source.wait()?;
        }
        let mut app = App::new(source, "en", false);
        let mut terminal = Terminal::new(TestBackend::new(80, 24))?;
        terminal.draw(|f| app.draw(f))?;
        let first_frame = started.elapsed();
        while app.pending() {
            app.tick();
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        terminal.draw(|f| app.draw(f))?;
        println!(
            "kept home screen: {}, first frame {:.1} ms, content loaded and drawn {:.1} ms",
            if kept { "yes" } else { "no" },
            first_frame.as_secs_f64() * 1000.0,
            started.elapsed().as_secs_f64() * 1000.0
        );
        return Ok(());
    }
    let started = Instant::now();
    let mut cache = load_cache();
    let snapshot = tessera_core::load_with(std::path::Path::new(&dir), &mut cache).map_err(|e| format!("{e}"))?;
    let loaded = started.elapsed();
    let mut app = App::new(LocalSource::new(Arc::new(snapshot)), "en", false);
    let mut terminal = Terminal::new(TestBackend::new(80, 24))?;
    terminal.draw(|f| app.draw(f))?;
    let first_frame = started.elapsed();
    println!("load {:.1} ms, first frame {:.1} ms", loaded.as_secs_f64() * 1000.0, first_frame.as_secs_f64() * 1000.0);
    // Kept for the next run, after the time is taken.
    if let Err(e) = cache.keep() {
        eprintln!("cannot write the parse cache: {e}");
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    if let Some(line) = status.lines().find(|l| l.starts_with("VmHWM")) {
        println!("peak RSS: {}", line.trim_start_matches("VmHWM:").trim());
    }
    Ok(())
}

/// The parse cache under `TESSERA_CACHE_DIR`, if it is set.
fn load_cache() -> tessera_core::LoadCache {
    match std::env::var_os("TESSERA_CACHE_DIR") {
        Some(dir) => tessera_core::LoadCache::kept_in(std::path::PathBuf::from(dir).join("parts")),
        None => tessera_core::LoadCache::default(),
    }
}
