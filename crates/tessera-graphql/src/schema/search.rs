//! `search`: full-text search over the items, its hits and facets. The
//! indexes themselves are [`crate::search::SearchIndexes`].

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Enum, Error, Object, Result, SimpleObject};
use tessera_core as core;
use tessera_core::Kind;

use super::filters::{check_topic, country_arg};
use super::items::{Node, PartnerKind, node_for};
use super::pagination::{DEFAULT_PAGE_SIZE, PageArgs, connection_type};
use super::{Scope, locale_arg, view};

/// What a search costs toward the complexity limit before its page: a
/// search (typo expansion, scoring, facets) is real work even for one hit,
/// so a request holds at most a handful.
pub const SEARCH_COST: usize = 200;
/// Deepest a search may page: beyond it, a narrower query serves better.
pub const MAX_SEARCH_OFFSET: usize = 10_000;

/// The kinds of item search can find.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum ItemKind {
    /// Pages.
    Page,
    /// Measures.
    Measure,
    /// Partners.
    Partner,
    /// Stories.
    Story,
}

impl From<ItemKind> for Kind {
    fn from(k: ItemKind) -> Kind {
        match k {
            ItemKind::Page => Kind::Page,
            ItemKind::Measure => Kind::Measure,
            ItemKind::Partner => Kind::Partner,
            ItemKind::Story => Kind::Story,
        }
    }
}

/// A facet value and how many matches have it.
#[derive(SimpleObject)]
pub struct FacetValue {
    /// A kind, topic slug, country code or partner kind.
    value: String,
    /// How many matches have it.
    count: i64,
}

/// Counts of all matches by kind, topic, country and partner kind.
#[derive(SimpleObject)]
pub struct SearchFacets {
    /// By kind.
    kinds: Vec<FacetValue>,
    /// By topic slug.
    topics: Vec<FacetValue>,
    /// By country code.
    countries: Vec<FacetValue>,
    /// By partner kind.
    partner_kinds: Vec<FacetValue>,
}

/// A search connection's extra fields.
#[derive(SimpleObject)]
pub struct SearchExtra {
    /// How many items match in all.
    total_count: usize,
    /// Counts of all matches.
    facets: SearchFacets,
    /// "Did you mean": the query with the words the index does not know
    /// replaced by the closest ones it does; empty when every word is known.
    suggestions: Vec<String>,
}

/// One search result.
pub struct SearchHit<'a> {
    node: Node<'a>,
    hit: tessera_search::Hit,
}

/// One search result.
#[Object]
impl<'a> SearchHit<'a> {
    /// The item found.
    async fn item(&self) -> &Node<'a> {
        &self.node
    }
    /// Relevance: higher is better.
    async fn score(&self) -> f32 {
        self.hit.score
    }
    /// The locale of the document that matched.
    async fn locale(&self) -> &str {
        &self.hit.locale
    }
    /// The best matching passage as plain text.
    async fn snippet(&self) -> &str {
        &self.hit.snippet.text
    }
    /// The passage as safe HTML, each match in `<mark>`.
    async fn snippet_html(&self) -> String {
        self.hit.snippet.marked("<mark>", "</mark>", core::escape_html)
    }
    /// The passage as plain text in order, cut where a match starts or
    /// ends: joined, the parts are `snippet`. For clients that mark matches
    /// themselves, with nothing to un-escape.
    async fn snippet_parts(&self) -> Vec<SnippetPart> {
        snippet_parts(&self.hit.snippet)
    }
}

/// A run of a search snippet's text: a match, or the text between matches.
#[derive(SimpleObject, Debug, PartialEq)]
pub struct SnippetPart {
    /// The text, plain (not escaped).
    text: String,
    /// Whether the text matched the query.
    #[graphql(name = "match")]
    is_match: bool,
}

/// `snippet` cut into runs at the edges of its matches; empty runs are
/// left out. A match outside the text or not on a character boundary is
/// skipped rather than trusted.
fn snippet_parts(snippet: &tessera_search::Snippet) -> Vec<SnippetPart> {
    let text = &snippet.text;
    let mut parts = Vec::new();
    let mut push = |part: &str, is_match: bool| {
        if !part.is_empty() {
            parts.push(SnippetPart { text: part.to_owned(), is_match });
        }
    };
    let mut at = 0;
    for r in &snippet.highlights {
        let (Some(before), Some(matched)) = (text.get(at..r.start), text.get(r.clone())) else { continue };
        push(before, false);
        push(matched, true);
        at = r.end;
    }
    push(text.get(at..).unwrap_or(""), false);
    parts
}

connection_type!(
    /// A page of search hits, best first, in the Relay connection shape;
    /// `totalCount` and `facets` count all the matches.
    SearchHitConnection, "SearchHitConnection", SearchHit, SearchExtra
);

/// The arguments of the `search` field.
pub(crate) struct SearchArgs {
    pub(crate) query: String,
    pub(crate) locale: Option<String>,
    pub(crate) kinds: Option<Vec<ItemKind>>,
    pub(crate) topics: Option<Vec<String>>,
    pub(crate) countries: Option<Vec<String>>,
    pub(crate) partner_kinds: Option<Vec<PartnerKind>>,
    pub(crate) first: Option<i32>,
    pub(crate) after: Option<String>,
}

/// Runs a search for the `search` field: the index of the request's
/// audience, then each hit resolved through the view.
pub(crate) async fn search<'c>(ctx: &Context<'c>, args: SearchArgs) -> Result<SearchHitConnection<'c>> {
    let SearchArgs { query, locale, kinds, topics, countries, partner_kinds, first, after } = args;
    let scope = ctx.data::<Scope>()?;
    let view = view(ctx)?;
    let locale = locale_arg(&view, locale)?;
    // A locale the site does not have searches as its default locale, as
    // an item asked for in it is the default locale's.
    let site = view.snapshot().site();
    let locale = if site.locales.iter().any(|l| l.code == locale) { locale } else { site.default_locale.clone() };
    let paging = PageArgs { after, before: None, first, last: None }.check()?;
    let first = paging.first.unwrap_or(DEFAULT_PAGE_SIZE);
    let offset = paging.start();
    // The index collects offset + page hits per segment: a far cursor
    // would make it allocate for all of them.
    if offset > MAX_SEARCH_OFFSET {
        return Err(Error::new(format!(
            "`after` is too far: search pages through the first {MAX_SEARCH_OFFSET} hits; narrow the query instead"
        )));
    }
    let mut request = tessera_search::SearchRequest::new(query, locale.clone());
    request.limit = first;
    request.offset = offset;
    request.kinds = kinds.unwrap_or_default().into_iter().map(Kind::from).collect();
    request.topics = topics.unwrap_or_default();
    for t in &request.topics {
        check_topic(ctx, Some(t))?;
    }
    request.countries = countries
        .unwrap_or_default()
        .into_iter()
        .map(|c| country_arg(Some(c)))
        .filter_map(Result::transpose)
        .collect::<Result<_>>()?;
    request.partner_kinds = partner_kinds.unwrap_or_default().into_iter().map(Into::into).collect();
    let index = scope.search.get(scope.snapshot.clone(), scope.audience, scope.now).await.map_err(|e| {
        tracing::error!(error = %e, "search index unavailable");
        Error::new("search is unavailable right now")
    })?;
    // Searching is CPU work: on the blocking pool, the async workers stay
    // free to answer other requests (and health checks) meanwhile.
    let results = tokio::task::spawn_blocking(move || index.search(&request))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "search task failed");
            Error::new("search failed")
        })?
        .map_err(|e| match e {
            tessera_search::SearchError::EmptyQuery | tessera_search::SearchError::QueryTooLong { .. } => {
                Error::new(e.to_string())
            }
            other => {
                tracing::error!(error = %other, "search failed");
                Error::new("search failed")
            }
        })?;
    let facet = |list: &[tessera_search::FacetCount]| -> Vec<FacetValue> {
        list.iter().map(|f| FacetValue { value: f.value.clone(), count: f.count as i64 }).collect()
    };
    let extra = SearchExtra {
        total_count: results.total,
        facets: SearchFacets {
            kinds: facet(&results.facets.kinds),
            topics: facet(&results.facets.topics),
            countries: facet(&results.facets.countries),
            partner_kinds: facet(&results.facets.partner_kinds),
        },
        suggestions: results.suggestions.clone(),
    };
    let has_next = offset + results.hits.len() < results.total;
    let mut connection = Connection::with_additional_fields(offset > 0, has_next, extra);
    for (i, hit) in results.hits.into_iter().enumerate() {
        // Resolved through the view: a hit the reader may not see is
        // dropped, whatever the index holds.
        let Some(node) = node_for(view, hit.kind, &hit.slug, &locale) else { continue };
        connection.edges.push(Edge::new(offset + i, SearchHit { node, hit }));
    }
    Ok(SearchHitConnection(connection))
}

#[cfg(test)]
mod tests {
    use super::{SnippetPart, snippet_parts};

    #[test]
    fn snippet_parts_join_to_the_snippet_and_keep_markup_as_text() {
        let snippet = tessera_search::Snippet { text: "a <b> & c d".to_owned(), highlights: vec![2..5, 10..11] };
        let part = |text: &str, is_match| SnippetPart { text: text.to_owned(), is_match };
        assert_eq!(
            snippet_parts(&snippet),
            vec![part("a ", false), part("<b>", true), part(" & c ", false), part("d", true)]
        );
        // A range that does not fit the text is dropped, not panicked on.
        let odd = tessera_search::Snippet { text: "é".to_owned(), highlights: vec![1..2, 0..9] };
        assert_eq!(snippet_parts(&odd), vec![part("é", false)]);
    }
}
