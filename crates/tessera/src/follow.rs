//! `tessera serve --git`: serve the content of a git ref, and move to each
//! new commit in the background.
//!
//! The follower reads the repository with gix (no `git` program): it
//! resolves the ref, writes the commit's content folder into a checkout
//! folder (only the files whose blobs changed), and reloads incrementally
//! from there. A broken commit leaves the last good one serving, reported
//! in `contentStatus` and `/readyz`; it is not tried again until the ref
//! moves. A push webhook (`POST /hooks/git`) wakes the follower at once;
//! calls while it is busy coalesce.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::time::{Duration, Instant};

use tessera_core::checkout::{Checkout, GitSource, Mirror};
use tessera_core::{Diagnostic, LoadCache, LoadError, Snapshot};
use tessera_graphql::AppState;

/// How many first parents of a broken newest commit are tried, at start,
/// for the last good content.
const LOOK_BACK: usize = 20;

/// A followed ref and the folder its content is written to.
pub(crate) struct Follower {
    /// For a repository elsewhere: the bare copy fetched before each look.
    mirror: Option<Mirror>,
    source: GitSource,
    checkout: Checkout,
    /// The newest commit tried, good or not: it is not tried again.
    tried: Option<String>,
}

/// What loading a commit gave.
pub(crate) enum First {
    /// The newest commit loaded.
    Newest(Snapshot),
    /// The newest commit is broken; an older one loaded.
    Older { snapshot: Snapshot, newest: String, diagnostics: Vec<Diagnostic> },
}

/// Whether `repo` names a repository on another machine.
fn is_remote(repo: &str) -> bool {
    let lower = repo.to_ascii_lowercase();
    ["http://", "https://", "ssh://", "git://"].iter().any(|s| lower.starts_with(s))
        || (repo.contains('@') && repo.contains(':') && !Path::new(repo).exists())
}

/// Whether this build can fetch `repo` (ssh and the git protocol; not
/// HTTP, whose TLS would bring a C library into the build).
fn is_http(repo: &str) -> bool {
    let lower = repo.to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

impl Follower {
    /// Follows `reference` of `repo`, its content in `folder`, written to
    /// `checkout`.
    /// A repository elsewhere is cloned (bare) into `mirror` first, or
    /// fetched when it is already there.
    pub(crate) fn new(
        repo: &str,
        reference: &str,
        folder: &str,
        checkout: &Path,
        mirror: &Path,
    ) -> anyhow::Result<Follower> {
        if is_http(repo) {
            anyhow::bail!(
                "`{repo}`: HTTP(S) remotes are not supported by this build; use an ssh:// or git:// URL, or a local \
                 mirror kept up to date by `git fetch`"
            );
        }
        let (mirror, source) = if is_remote(repo) {
            let m = Mirror::open_or_clone(repo, mirror)?;
            if let Err(e) = m.fetch() {
                tracing::warn!(error = %e, "cannot fetch; following what the mirror has");
            }
            let source = GitSource::new(m.dir(), &m.tracking(reference), folder)?;
            (Some(m), source)
        } else {
            let path = PathBuf::from(repo.strip_prefix("file://").unwrap_or(repo));
            (None, GitSource::new(&path, reference, folder)?)
        };
        let checkout = Checkout::new(checkout)?;
        Ok(Follower { mirror, source, checkout, tried: None })
    }

    /// The folder the content is loaded from.
    pub(crate) fn dir(&self) -> PathBuf {
        self.checkout.dir().to_owned()
    }

    /// Loads the newest commit, or when it is broken the newest good one
    /// of its first [`LOOK_BACK`] parents: a replica that restarts while
    /// the branch is broken still serves the last good content.
    ///
    /// With `resume` (the commit the server served when it stopped, from
    /// its change log), that commit is loaded first when it still loads:
    /// the follower's first look then moves to the newest one, and what
    /// changed meanwhile is announced like any other change.
    pub(crate) fn first(&mut self, cache: &mut LoadCache, resume: Option<&str>) -> anyhow::Result<First> {
        let newest = self.source.resolve()?;
        if let Some(commit) = resume.filter(|c| *c != newest && c.len() == 40)
            && let Ok(snapshot) = self.load(commit, cache)
        {
            self.tried = Some(commit.to_owned());
            return Ok(First::Newest(snapshot));
        }
        self.tried = Some(newest.clone());
        let diagnostics = match self.load(&newest, cache) {
            Ok(snapshot) => return Ok(First::Newest(snapshot)),
            Err(d) => d,
        };
        for older in self.source.first_parents(&newest, LOOK_BACK)? {
            if let Ok(snapshot) = self.load(&older, cache) {
                return Ok(First::Older { snapshot, newest, diagnostics });
            }
        }
        Err(anyhow::anyhow!(
            "commit {newest} is broken and none of its last {LOOK_BACK} first parents loads:\n{}",
            diagnostics.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
        ))
    }

    fn load(&mut self, commit: &str, cache: &mut LoadCache) -> Result<Snapshot, Vec<Diagnostic>> {
        let dir = self.dir();
        let fail = |message: String| vec![Diagnostic::error(&dir, (0, 0), message)];
        self.checkout.move_to(&self.source, commit).map_err(|e| fail(e.to_string()))?;
        match tessera_core::load_with(&dir, cache) {
            Ok(s) => {
                let s = s.with_revision(commit);
                Ok(match self.source.commit_time(commit) {
                    Ok(time) => s.with_revision_time(time),
                    Err(_) => s,
                })
            }
            Err(LoadError::Invalid { diagnostics }) => Err(diagnostics),
            Err(e) => Err(fail(e.to_string())),
        }
    }

    /// Moves to the ref's commit if it moved since the last look, and
    /// reloads `state` from it.
    fn step(&mut self, state: &AppState) {
        if let Some(mirror) = &self.mirror
            && let Err(e) = mirror.fetch()
        {
            tracing::warn!(error = %e, "cannot fetch; still serving the last good content");
            return;
        }
        let commit = match self.source.resolve() {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the followed ref; still serving the last good content");
                return;
            }
        };
        if self.tried.as_deref() == Some(commit.as_str()) {
            return;
        }
        let started = Instant::now();
        if let Err(e) = self.checkout.move_to(&self.source, &commit) {
            // Not marked as tried: a full disk or a lost object may be
            // gone at the next look.
            let diagnostic = Diagnostic::error(self.checkout.dir(), (0, 0), e.to_string());
            state.report_failure(&[diagnostic]);
            tracing::warn!(commit, error = %e, "cannot check the commit out; still serving the last good content");
            return;
        }
        self.tried = Some(commit.clone());
        let time = self.source.commit_time(&commit).ok();
        match state.reload_as(self.checkout.dir(), Some((&commit, time))) {
            Ok(()) => tracing::info!(commit, elapsed_ms = started.elapsed().as_millis() as u64, "serving a new commit"),
            Err(diagnostics) => {
                for d in &diagnostics {
                    tracing::warn!(%d, "commit not served");
                }
                tracing::warn!(
                    commit,
                    errors = diagnostics.len(),
                    "the new commit is broken: still serving the last good content"
                );
            }
        }
    }
}

/// A wake-up for the follower: a push webhook calls it. At most one is
/// pending; more calls meanwhile coalesce into it.
pub(crate) fn wake_channel() -> (SyncSender<()>, Receiver<()>) {
    sync_channel(1)
}

/// Runs `follower` on a thread of its own: a look every `poll`, or at once
/// when woken.
pub(crate) fn spawn(
    mut follower: Follower,
    state: AppState,
    poll: Duration,
    wake: Receiver<()>,
) -> std::io::Result<()> {
    std::thread::Builder::new().name("tessera-git".to_owned()).spawn(move || {
        loop {
            match wake.recv_timeout(poll) {
                Ok(()) | Err(RecvTimeoutError::Timeout) => {}
                // Every sender is gone: the server is stopping.
                Err(RecvTimeoutError::Disconnected) => return,
            }
            // A panic must not end the following silently: it is logged
            // and reported, and the next look starts afresh.
            let stepped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| follower.step(&state)));
            if stepped.is_err() {
                tracing::error!("following the repository failed unexpectedly; trying again at the next look");
                let diagnostic =
                    Diagnostic::error(follower.dir(), (0, 0), "following the repository failed unexpectedly");
                state.report_failure(&[diagnostic]);
                follower.tried = None;
            }
        }
    })?;
    Ok(())
}

/// Reads a duration written as `30s`, `500ms`, `2m` or `1h`.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().map_err(|_| format!("`{text}` is not a duration: write e.g. 30s, 500ms or 2m"))?;
    let duration = match unit {
        "ms" => Duration::from_millis(n),
        "s" | "" => Duration::from_secs(n),
        "m" => Duration::from_secs(n.saturating_mul(60)),
        "h" => Duration::from_secs(n.saturating_mul(3600)),
        _ => return Err(format!("`{text}`: unknown unit `{unit}` (use ms, s, m or h)")),
    };
    if duration < Duration::from_millis(100) {
        return Err(format!("`{text}` is too short: poll at most ten times a second"));
    }
    Ok(duration)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_read_with_their_units() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("5"), Ok(Duration::from_secs(5)));
        assert!(parse_duration("10ms").unwrap_err().contains("too short"));
        assert!(parse_duration("3 weeks").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn remote_repositories_are_told_apart_from_paths() {
        assert!(is_remote("https://example.org/content.git"));
        assert!(is_remote("git@example.org:org/content.git"));
        assert!(is_http("HTTPS://example.org/content.git") && !is_http("ssh://git@example.org/content.git"));
        assert!(!is_remote("/srv/content.git"));
        assert!(!is_remote("file:///srv/content.git"));
    }
}
