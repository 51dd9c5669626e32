//! A budget for executing one request: how many fields it may resolve and
//! for how long. The limits checked before execution (nesting, expanded
//! fields, complexity) bound the shape of a query, but not what some shapes
//! fan out to: introspection's `possibleTypes { interfaces { ... } }`, or
//! unpaginated relation lists nested in each other. Every field resolution
//! passes through here, so a request that outgrows its budget stops with
//! an error instead of holding a core (an async executor cannot pre-empt
//! a future that never waits, so a timeout outside would never fire).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo};
use async_graphql::{ServerError, ServerResult, Value};

/// Most fields one request may resolve. The typical page query resolves
/// about a hundred; the standard introspection query a few thousand.
pub const MAX_RESOLVED_FIELDS: usize = 50_000;

/// The budget, as an async-graphql extension created for each request.
pub struct Budget {
    /// Longest execution may take.
    pub time: Duration,
}

impl ExtensionFactory for Budget {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Spending { fields: AtomicUsize::new(0), deadline: Instant::now() + self.time, time: self.time })
    }
}

struct Spending {
    fields: AtomicUsize,
    deadline: Instant,
    time: Duration,
}

#[async_graphql::async_trait::async_trait]
impl Extension for Spending {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let n = self.fields.fetch_add(1, Ordering::Relaxed);
        if n >= MAX_RESOLVED_FIELDS {
            return Err(ServerError::new(
                format!(
                    "the answer would hold more than {MAX_RESOLVED_FIELDS} fields: ask for fewer items or less nesting"
                ),
                None,
            ));
        }
        // Reading the clock costs more than counting: look every 64 fields.
        if n.is_multiple_of(64) && Instant::now() > self.deadline {
            return Err(ServerError::new(
                format!("the request took longer than its {} s budget", self.time.as_secs()),
                None,
            ));
        }
        next.run(ctx, info).await
    }
}
