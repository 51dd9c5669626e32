//! `tessera serve`: load the content, then serve the GraphQL API and the
//! web site.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use tessera_core::LoadError;
use tessera_graphql::{AppState, ServerConfig, app};

/// The preview token from `file` or `$TESSERA_PREVIEW_TOKEN`. A token that
/// was asked for but is empty, short or not a single printable word is a
/// refusal to start: serving with preview silently off would hide the
/// mistake until an editor finds drafts missing.
fn preview_token(file: Option<&Path>) -> anyhow::Result<Option<String>> {
    let (token, from) = match file {
        Some(path) => (
            std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("cannot read the preview token file `{}`: {e}", path.display()))?,
            format!("the preview token file `{}`", path.display()),
        ),
        None => match std::env::var("TESSERA_PREVIEW_TOKEN") {
            Ok(t) => (t, "$TESSERA_PREVIEW_TOKEN".to_owned()),
            Err(_) => return Ok(None),
        },
    };
    // A file ends with a line break; that is not part of the token.
    let token = token.trim();
    if token.is_empty() {
        anyhow::bail!("{from} is empty: write a token of at least 16 characters, or leave preview off");
    }
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        anyhow::bail!("{from} must hold one word of printable ASCII characters, without spaces");
    }
    if token.len() < 16 {
        anyhow::bail!("the preview token in {from} is too short: use at least 16 characters");
    }
    Ok(Some(token.to_owned()))
}

#[derive(clap::Args)]
pub(crate) struct ServeArgs {
    /// The content folder (with --git: the folder of the repository's commits that holds it).
    #[arg(long, default_value = "content")]
    content: PathBuf,
    /// Serve the content of a git repository, following --ref: a path (bare or not) or file:// URL read in place, or an ssh:// or git:// URL mirrored beside the checkout.
    #[arg(long, value_name = "REPO")]
    git: Option<String>,
    /// The branch, tag or ref to follow (with --git).
    #[arg(long = "ref", default_value = "main", requires = "git")]
    reference: String,
    /// How often to look for a new commit (with --git): 30s, 500ms, 2m.
    #[arg(long, default_value = "30s", value_parser = crate::follow::parse_duration, requires = "git")]
    poll: std::time::Duration,
    /// Where the followed commit's content is written out (with --git; default: STATE/checkout).
    #[arg(long, requires = "git")]
    checkout: Option<PathBuf>,
    /// The secret of the forge's push webhook (POST /hooks/git fetches at once when signed with it).
    #[arg(long, requires = "git")]
    hook_secret_file: Option<PathBuf>,
    /// Send webhooks of public changes to the receivers in this file ([[webhook]] url, secret_file, events).
    #[arg(long, requires = "state")]
    webhooks: Option<PathBuf>,
    /// A folder for what must survive a restart: the webhook outbox, and the checkout (with --git).
    #[arg(long)]
    state: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// A file holding the preview token (else $TESSERA_PREVIEW_TOKEN; neither: no preview).
    #[arg(long)]
    preview_token_file: Option<PathBuf>,
    /// `max-age` of anonymous responses, in seconds.
    #[arg(long, default_value_t = 60)]
    max_age: u32,
    /// Do not serve GraphiQL at /graphiql.
    #[arg(long)]
    no_graphiql: bool,
    /// Reload the content when files change (a broken edit keeps the last good content serving).
    #[arg(long)]
    watch: bool,
    /// Origins allowed to call the API from browsers (repeatable); any origin when absent.
    #[arg(long = "cors-origin")]
    cors_origins: Vec<String>,
    /// Execute every query, never answering from the in-memory response cache.
    #[arg(long)]
    no_response_cache: bool,
    /// Keep search indexes in this folder too, so that a restart on the same content is fast.
    #[arg(long)]
    search_cache: Option<PathBuf>,
    /// Serve the API only: no web site at / (site addresses, /search and /preview are 404s).
    #[arg(long)]
    no_site: bool,
    /// Trust X-Forwarded-Proto and X-Forwarded-For from a proxy in front (Secure preview cookies over HTTPS, per-client sign-in limits).
    #[arg(long)]
    trust_proxy: bool,
}

pub(crate) fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let ServeArgs {
        content,
        git,
        reference,
        poll,
        checkout,
        hook_secret_file,
        webhooks,
        state: state_dir,
        addr,
        preview_token_file,
        max_age,
        no_graphiql,
        watch,
        cors_origins,
        no_response_cache,
        search_cache,
        no_site,
        trust_proxy,
    } = args;
    let content = content.as_path();
    let token_file = preview_token_file.as_deref();
    let graphiql = !no_graphiql;
    // Colour only on a terminal: log files and collectors get plain text.
    // tantivy's own INFO lines (segment merges, commits) are not the
    // operator's business.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,tantivy=warn".into()),
        )
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .init();
    let preview_token = preview_token(token_file)?;
    let mut load_cache = crate::load_cache();
    // With --git: the follower, what its newest commit lacked, and where
    // the content is read from.
    let mut follower = None;
    let mut broken_newest = None;
    let loaded = match &git {
        Some(repo) => {
            let dir = match (&checkout, &state_dir) {
                (Some(dir), _) => dir.clone(),
                (None, Some(state)) => state.join("checkout"),
                // Not a guessable folder under /tmp, which another user
                // could prepare.
                (None, None) => anyhow::bail!("--git needs --state DIR or --checkout DIR: where to write the content"),
            };
            let folder = content.to_string_lossy().into_owned();
            // A repository elsewhere is mirrored beside the checkout.
            let mirror = PathBuf::from(format!("{}.git", dir.display()));
            let mut f = crate::follow::Follower::new(repo, &reference, &folder, &dir, &mirror)?;
            let resume =
                state_dir.as_ref().and_then(|d| tessera_graphql::ChangeFeed::last_version_in(&d.join("changes.jsonl")));
            let first = f.first(&mut load_cache, resume.as_deref())?;
            follower = Some(f);
            Ok(match first {
                crate::follow::First::Newest(s) => s,
                crate::follow::First::Older { snapshot, newest, diagnostics } => {
                    eprintln!(
                        "the newest commit {newest} is broken; serving {} until a good one comes",
                        snapshot.revision().unwrap_or("?")
                    );
                    broken_newest = Some(diagnostics);
                    snapshot
                }
            })
        }
        None => tessera_core::load_with(content, &mut load_cache),
    };
    // What the next start need not parse again. A start that took the
    // snapshot whole from the cache has nothing to write, but checks the
    // kept texts meanwhile: that check is waited for after serving starts.
    let whole = load_cache.restored_whole();
    if !whole {
        crate::keep(&mut load_cache);
    }
    let content_dir = follower.as_ref().map_or_else(|| content.to_owned(), |f| f.dir());
    let content = content_dir.as_path();
    let snapshot = match loaded {
        Ok(s) => s,
        Err(LoadError::Invalid { diagnostics }) => {
            let mut renderer = crate::check::Renderer::new(content);
            for d in &diagnostics {
                eprint!("{}", renderer.render(d));
            }
            eprintln!("not serving: fix the errors above (`tessera check {}` shows them too)", content.display());
            return Ok(ExitCode::from(1));
        }
        Err(e) => anyhow::bail!(e),
    };
    let mut renderer = crate::check::Renderer::new(content);
    for w in snapshot.warnings() {
        eprint!("{}", renderer.render(w));
    }
    let config = ServerConfig {
        preview_token: preview_token.clone(),
        max_age,
        graphiql,
        response_cache: !no_response_cache,
        cors_origins,
        search_cache,
        site: !no_site,
        trust_proxy,
        ..ServerConfig::default()
    };
    let revision = snapshot.revision().map(str::to_owned);
    let mut state = AppState::new(Arc::new(snapshot), config).with_load_cache(load_cache);
    if let Some(diagnostics) = &broken_newest {
        for d in diagnostics {
            eprint!("{}", renderer.render(d));
        }
        state.report_failure(diagnostics);
    }
    let wake = follower.as_ref().map(|_| crate::follow::wake_channel());
    if let (Some(file), Some((sender, _))) = (&hook_secret_file, &wake) {
        let secret = tessera_notify::incoming::read_secret(file)?;
        let sender = sender.clone();
        state = state.with_git_hook(tessera_graphql::GitHook {
            secret,
            // Full means a fetch is already pending: this call joins it.
            fetch: Box::new(move || {
                !matches!(sender.try_send(()), Err(std::sync::mpsc::TrySendError::Disconnected(_)))
            }),
        });
    }
    if let Some(dir) = &state_dir {
        // `changes(since:)` answers across restarts on the same version.
        let journal = dir.join("changes.jsonl");
        match state.feed().keep_in(&journal) {
            Ok(0) => {}
            Ok(n) => eprintln!("{}: {n} unreadable line(s) skipped", journal.display()),
            Err(e) => anyhow::bail!("cannot keep the change log in {}: {e}", journal.display()),
        }
    }
    // Kept alive until the server stops: dropping it stops deliveries.
    let _outbox = match (&webhooks, &state_dir) {
        (Some(file), Some(dir)) => Some(crate::notify::start(&state, file, dir)?),
        _ => None,
    };
    tessera_graphql::watch_embargoes(state.clone())?;
    let started = std::time::Instant::now();
    state.prepare_search()?;
    eprintln!("search index ready in {} ms", started.elapsed().as_millis());
    // Kept alive until the server stops.
    // The follower stops when every sender of its wake-ups is gone: keep
    // one until the server stops, hook or not.
    let mut _keep_following = None;
    if let (Some(follower), Some((sender, wake))) = (follower, wake) {
        // A first look at once: a start that resumed an older commit moves on.
        let _ = sender.try_send(());
        crate::follow::spawn(follower, state.clone(), poll, wake)?;
        _keep_following = Some(sender);
    }
    let _watcher = if watch && git.is_none() {
        let watcher = tessera_graphql::watch(state.clone(), content.to_owned())
            .map_err(|e| anyhow::anyhow!("cannot watch `{}`: {e}", content.display()))?;
        Some(watcher)
    } else {
        None
    };
    if whole {
        // Once serving: the cache written again if a kept text turned out
        // damaged, and, when watching, one full load from the parts in
        // memory, which later edits then patch (a whole start has nothing
        // to patch from) instead of loading in full.
        let state = state.clone();
        let content = content.to_owned();
        let watching = watch && git.is_none();
        std::thread::Builder::new().name("after-start".to_owned()).spawn(move || {
            state.with_kept_load(crate::keep);
            if watching {
                let _ = state.reload(&content);
            }
        })?;
    }
    let router = app(state);
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let stop = stopped();
        let listener =
            tokio::net::TcpListener::bind(addr).await.map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
        let local = listener.local_addr()?;
        let what = match (&git, &revision) {
            (Some(repo), Some(commit)) => format!("{repo} {reference} at {commit}"),
            _ => content.display().to_string(),
        };
        eprintln!(
            "serving {what} at http://{local}/graphql (site: {}, GraphiQL: {}, preview: {}, watch: {})",
            if no_site { "off".to_owned() } else { format!("http://{local}/") },
            if graphiql { format!("http://{local}/graphiql") } else { "off".to_owned() },
            if preview_token.is_some() { "on" } else { "off" },
            if git.is_some() {
                format!("git, every {} ms", poll.as_millis())
            } else if watch {
                "on".to_owned()
            } else {
                "off".to_owned()
            },
        );
        tessera_graphql::serve(listener, router, stop).await?;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Resolves when the server is asked to stop: Ctrl-C, or (on Unix) the
/// SIGTERM a service manager or `docker stop` sends. The server then
/// finishes the requests it is answering and the process exits cleanly.
///
/// Called inside the runtime before the server says where it listens: the
/// handlers are installed here, not when the future is first polled, so a
/// signal sent as soon as the address is printed does not find the
/// default action (the process killed) still in place.
fn stopped() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{Signal, SignalKind, signal};
        let term = signal(SignalKind::terminate()).ok();
        let interrupt = signal(SignalKind::interrupt()).ok();
        // A handler that could not be installed leaves that signal's
        // default action, which stops the process anyway.
        let received = |handler: Option<Signal>| async move {
            match handler {
                Some(mut handler) => {
                    handler.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        async move {
            tokio::select! {
                () = received(term) => {}
                () = received(interrupt) => {}
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}
