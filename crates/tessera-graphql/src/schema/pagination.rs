//! Relay pagination: the paging arguments, what a list costs, and cutting
//! a list into one page of a connection.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Error, Result, SimpleObject};

/// Largest page of a connection.
pub const MAX_PAGE_SIZE: usize = 100;
pub(crate) const DEFAULT_PAGE_SIZE: usize = 20;

/// A connection's extra fields.
#[derive(SimpleObject)]
pub struct Total {
    /// How many items match, across all pages.
    total_count: usize,
}

/// A list costs its page size times what each item asks for.
pub(crate) fn list_complexity(first: Option<i32>, last: Option<i32>, child: usize) -> usize {
    let size = first.or(last).map_or(DEFAULT_PAGE_SIZE, |n| n.clamp(0, MAX_PAGE_SIZE as i32) as usize);
    size.max(1).saturating_mul(child).saturating_add(1)
}

/// Cuts a list into one Relay page.
pub(crate) fn paginate<N: async_graphql::OutputType>(
    nodes: Vec<N>,
    after: Option<String>,
    before: Option<String>,
    first: Option<i32>,
    last: Option<i32>,
) -> Result<Connection<usize, N, Total, EmptyFields>> {
    let parse = |c: Option<String>, name: &str| -> Result<Option<usize>> {
        c.map(|c| c.parse::<usize>().map_err(|_| Error::new(format!("`{name}` is not a cursor from this API"))))
            .transpose()
    };
    let size = |n: Option<i32>, name: &str| -> Result<Option<usize>> {
        match n {
            Some(n) if n < 0 => Err(Error::new(format!("`{name}` must not be negative"))),
            Some(n) if n as usize > MAX_PAGE_SIZE => Err(Error::new(format!("`{name}` is at most {MAX_PAGE_SIZE}"))),
            n => Ok(n.map(|n| n as usize)),
        }
    };
    let total = nodes.len();
    let mut start = parse(after, "after")?.map_or(0, |a| a.saturating_add(1)).min(total);
    let mut end = parse(before, "before")?.map_or(total, |b| b.min(total)).max(start);
    let (first, last) = (size(first, "first")?, size(last, "last")?);
    match (first, last) {
        (Some(f), _) => end = end.min(start + f),
        (None, Some(l)) => start = start.max(end.saturating_sub(l)),
        (None, None) => end = end.min(start + DEFAULT_PAGE_SIZE),
    }
    if let (Some(_), Some(l)) = (first, last) {
        start = start.max(end.saturating_sub(l));
    }
    let mut connection = Connection::with_additional_fields(start > 0, end < total, Total { total_count: total });
    connection.edges.extend(nodes.into_iter().enumerate().skip(start).take(end - start).map(|(i, n)| Edge::new(i, n)));
    Ok(connection)
}

/// Relay paging arguments.
pub(crate) struct PageArgs {
    pub(crate) after: Option<String>,
    pub(crate) before: Option<String>,
    pub(crate) first: Option<i32>,
    pub(crate) last: Option<i32>,
}
