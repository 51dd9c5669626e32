//! Relay pagination: the paging arguments and their checks (one set of
//! rules for lists and search), what a list costs, and cutting a list into
//! one page of a connection.

use async_graphql::connection::{Connection, CursorType, Edge, EmptyFields, PageInfo};
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

/// Writes a connection type over async-graphql's `Connection`, which has no
/// description of its own: the same name (`PageConnection`) and fields
/// (`pageInfo`, `edges`, `nodes`, then those of `$extra`), and the
/// description given.
macro_rules! connection_type {
    ($(#[$doc:meta])* $name:ident, $gql:literal, $node:ident, $extra:ty) => {
        $(#[$doc])*
        pub struct $name<'a>(
            pub(crate) async_graphql::connection::Connection<usize, $node<'a>, $extra, async_graphql::connection::EmptyFields>,
        );

        $(#[$doc])*
        #[async_graphql::Object(name = $gql)]
        impl<'a> $name<'a> {
            /// Information to aid in pagination.
            async fn page_info(&self) -> async_graphql::connection::PageInfo {
                $crate::schema::pagination::page_info(&self.0.edges, self.0.has_previous_page, self.0.has_next_page)
            }
            /// A list of edges.
            async fn edges(&self) -> &[async_graphql::connection::Edge<usize, $node<'a>, async_graphql::connection::EmptyFields>] {
                &self.0.edges
            }
            /// A list of nodes.
            async fn nodes(&self) -> Vec<&$node<'a>> {
                self.0.edges.iter().map(|e| &e.node).collect()
            }
            #[graphql(flatten)]
            async fn extra(&self) -> &$extra {
                &self.0.additional_fields
            }
        }
    };
}
pub(crate) use connection_type;

/// A connection's `pageInfo`, as async-graphql's own connection writes it.
pub(crate) fn page_info<N: async_graphql::OutputType>(
    edges: &[Edge<usize, N, EmptyFields>],
    has_previous_page: bool,
    has_next_page: bool,
) -> PageInfo {
    PageInfo {
        has_previous_page,
        has_next_page,
        start_cursor: edges.first().map(|e| e.cursor.encode_cursor()),
        end_cursor: edges.last().map(|e| e.cursor.encode_cursor()),
    }
}

/// Relay paging arguments, as a field receives them.
pub(crate) struct PageArgs {
    pub(crate) after: Option<String>,
    pub(crate) before: Option<String>,
    pub(crate) first: Option<i32>,
    pub(crate) last: Option<i32>,
}

/// Relay paging arguments, checked: cursors are positions in the list and
/// page sizes are within `0..=MAX_PAGE_SIZE`.
pub(crate) struct Paging {
    /// The position the page starts after.
    pub(crate) after: Option<usize>,
    /// The position the page ends before.
    pub(crate) before: Option<usize>,
    /// At most this many from the start.
    pub(crate) first: Option<usize>,
    /// At most this many from the end.
    pub(crate) last: Option<usize>,
}

impl PageArgs {
    /// Checks the arguments, cursors first, and says which one is wrong.
    pub(crate) fn check(self) -> Result<Paging> {
        Ok(Paging {
            after: cursor(self.after, "after")?,
            before: cursor(self.before, "before")?,
            first: size(self.first, "first")?,
            last: size(self.last, "last")?,
        })
    }
}

impl Paging {
    /// The position of the first item after the `after` cursor.
    pub(crate) fn start(&self) -> usize {
        self.after.map_or(0, |a| a.saturating_add(1))
    }
}

/// A cursor of this API is the position of an item in its list.
fn cursor(cursor: Option<String>, name: &str) -> Result<Option<usize>> {
    cursor
        .map(|c| c.parse::<usize>().map_err(|_| Error::new(format!("`{name}` is not a cursor from this API"))))
        .transpose()
}

fn size(n: Option<i32>, name: &str) -> Result<Option<usize>> {
    match n {
        Some(n) if n < 0 => Err(Error::new(format!("`{name}` must not be negative"))),
        Some(n) if n as usize > MAX_PAGE_SIZE => Err(Error::new(format!("`{name}` is at most {MAX_PAGE_SIZE}"))),
        n => Ok(n.map(|n| n as usize)),
    }
}

/// Cuts a list into one Relay page.
pub(crate) fn paginate<N: async_graphql::OutputType>(
    nodes: Vec<N>,
    paging: &Paging,
) -> Connection<usize, N, Total, EmptyFields> {
    let total = nodes.len();
    let mut start = paging.start().min(total);
    let mut end = paging.before.map_or(total, |b| b.min(total)).max(start);
    match (paging.first, paging.last) {
        (Some(f), _) => end = end.min(start + f),
        (None, Some(l)) => start = start.max(end.saturating_sub(l)),
        (None, None) => end = end.min(start + DEFAULT_PAGE_SIZE),
    }
    if let (Some(_), Some(l)) = (paging.first, paging.last) {
        start = start.max(end.saturating_sub(l));
    }
    let mut connection = Connection::with_additional_fields(start > 0, end < total, Total { total_count: total });
    connection.edges.extend(nodes.into_iter().enumerate().skip(start).take(end - start).map(|(i, n)| Edge::new(i, n)));
    connection
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(after: Option<&str>, before: Option<&str>, first: Option<i32>, last: Option<i32>) -> PageArgs {
        PageArgs { after: after.map(str::to_owned), before: before.map(str::to_owned), first, last }
    }

    fn message(args: PageArgs) -> String {
        match args.check() {
            Ok(_) => String::new(),
            Err(e) => e.message,
        }
    }

    #[test]
    fn wrong_arguments_are_named() {
        assert_eq!(message(args(Some("x"), None, None, None)), "`after` is not a cursor from this API");
        assert_eq!(message(args(None, Some("-1"), None, None)), "`before` is not a cursor from this API");
        assert_eq!(message(args(None, None, Some(-1), None)), "`first` must not be negative");
        assert_eq!(message(args(None, None, None, Some(101))), "`last` is at most 100");
        assert_eq!(message(args(Some("3"), Some("9"), Some(100), Some(0))), "");
    }

    fn cut(args: PageArgs) -> (Vec<usize>, bool, bool) {
        let paging = match args.check() {
            Ok(paging) => paging,
            Err(e) => panic!("{}", e.message),
        };
        let connection = paginate((0..50).collect::<Vec<i32>>(), &paging);
        (connection.edges.iter().map(|e| e.cursor).collect(), connection.has_previous_page, connection.has_next_page)
    }

    #[test]
    fn a_page_is_cut_from_the_cursors_and_sizes() {
        assert_eq!(cut(args(None, None, Some(3), None)), (vec![0, 1, 2], false, true));
        assert_eq!(cut(args(Some("2"), None, Some(2), None)), (vec![3, 4], true, true));
        assert_eq!(cut(args(None, Some("10"), None, Some(2))), (vec![8, 9], true, true));
        assert_eq!(cut(args(Some("47"), None, None, None)), (vec![48, 49], true, false));
        assert_eq!(cut(args(None, None, None, None)).0.len(), DEFAULT_PAGE_SIZE);
        // A cursor past the end gives an empty page, not an error.
        assert_eq!(cut(args(Some("500"), None, Some(5), None)), (vec![], true, false));
    }
}
