//! `tessera serve`: load the content, then serve the GraphQL API.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use tessera_core::LoadError;
use tessera_graphql::{AppState, ServerConfig, app};

fn preview_token(file: Option<&Path>) -> anyhow::Result<Option<String>> {
    let token = match file {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("cannot read the preview token file `{}`: {e}", path.display()))?,
        ),
        None => std::env::var("TESSERA_PREVIEW_TOKEN").ok(),
    };
    let token = token.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
    if token.as_ref().is_some_and(|t| t.len() < 16) {
        anyhow::bail!("the preview token is too short: use at least 16 characters");
    }
    Ok(token)
}

#[derive(clap::Args)]
pub(crate) struct ServeArgs {
    /// The content folder.
    #[arg(long, default_value = "content")]
    content: PathBuf,
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
}

pub(crate) fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let ServeArgs {
        content,
        addr,
        preview_token_file,
        max_age,
        no_graphiql,
        watch,
        cors_origins,
        no_response_cache,
        search_cache,
    } = args;
    let content = content.as_path();
    let token_file = preview_token_file.as_deref();
    let graphiql = !no_graphiql;
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let preview_token = preview_token(token_file)?;
    let snapshot = match tessera_core::load(content) {
        Ok(s) => s,
        Err(LoadError::Invalid { diagnostics }) => {
            for d in &diagnostics {
                eprint!("{}", crate::check::render(content, d));
            }
            eprintln!("not serving: fix the errors above (`tessera check {}` shows them too)", content.display());
            return Ok(ExitCode::from(1));
        }
        Err(e) => anyhow::bail!(e),
    };
    for w in snapshot.warnings() {
        eprint!("{}", crate::check::render(content, w));
    }
    let config = ServerConfig {
        preview_token: preview_token.clone(),
        max_age,
        graphiql,
        response_cache: !no_response_cache,
        cors_origins,
        search_cache,
        ..ServerConfig::default()
    };
    let state = AppState::new(Arc::new(snapshot), config);
    let started = std::time::Instant::now();
    state.prepare_search()?;
    eprintln!("search index ready in {} ms", started.elapsed().as_millis());
    // Kept alive until the server stops.
    let _watcher = if watch {
        let watcher = tessera_graphql::watch(state.clone(), content.to_owned())
            .map_err(|e| anyhow::anyhow!("cannot watch `{}`: {e}", content.display()))?;
        Some(watcher)
    } else {
        None
    };
    let router = app(state);
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let listener =
            tokio::net::TcpListener::bind(addr).await.map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
        let local = listener.local_addr()?;
        eprintln!(
            "serving {} at http://{local}/graphql (GraphiQL: {}, preview: {}, watch: {})",
            content.display(),
            if graphiql { format!("http://{local}/graphiql") } else { "off".to_owned() },
            if preview_token.is_some() { "on" } else { "off" },
            if watch { "on" } else { "off" },
        );
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await?;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
