//! `tessera serve`: load the content, then serve the GraphQL API.

use std::net::SocketAddr;
use std::path::Path;
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

pub(crate) struct Options {
    pub(crate) addr: SocketAddr,
    pub(crate) max_age: u32,
    pub(crate) graphiql: bool,
    pub(crate) watch: bool,
    pub(crate) cors_origins: Vec<String>,
    pub(crate) response_cache: bool,
}

pub(crate) fn run(content: &Path, token_file: Option<&Path>, options: Options) -> anyhow::Result<ExitCode> {
    let Options { addr, max_age, graphiql, watch, cors_origins, response_cache } = options;
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
        response_cache,
        cors_origins,
        ..ServerConfig::default()
    };
    let state = AppState::new(Arc::new(snapshot), config);
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
