//! The `Query` root. Each field reads the request's view; lists, search and
//! routing are worked out in their own modules.

use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, ID, Object, Result};
use tessera_core as core;
use tessera_core::{Document, Kind, Publishable};

use super::filters::{Order, check_topic, country_arg, has_topic, ordered, status_matches};
use super::items::{MeasureConnection, MeasureObject, PageConnection, PageObject, PartnerConnection, PartnerObject};
use super::items::{Node, PartnerKind, Status, StoryConnection, StoryObject, Wrapper, node_for, wrap_all};
use super::pagination::{PageArgs, Total, list_complexity, paginate};
use super::route::Route;
use super::search::{ItemKind, SEARCH_COST, SearchArgs, SearchHitConnection};
use super::site::{SiteObject, TopicObject};
use super::status::ContentStatus;
use super::{Scope, locale_arg, view};

/// One item by slug, in `locale` or its fallback.
fn lookup<'c, W: Wrapper<'c>>(ctx: &Context<'c>, slug: &str, locale: Option<String>) -> Result<Option<W>> {
    let view = view(ctx)?;
    let locale = locale_arg(&view, locale)?;
    Ok(view.get::<W::Model>(slug, &locale).map(|d| W::wrap(d, view)))
}

/// A list field: the visible items of a kind that `keep` accepts, ordered,
/// then cut into one page.
fn list<'c, W>(
    ctx: &Context<'c>,
    locale: Option<String>,
    keep: impl Fn(&Document<W::Model>) -> bool,
    order: Order,
    page: PageArgs,
) -> Result<Connection<usize, W, Total, EmptyFields>>
where
    W: Wrapper<'c> + async_graphql::OutputType,
    W::Model: Publishable,
{
    let view = view(ctx)?;
    let locale = locale_arg(&view, locale)?;
    let docs = view.list::<W::Model>(&locale).into_iter().filter(|d| keep(d.doc)).collect();
    let paging = page.check()?;
    Ok(paginate(wrap_all(ordered(docs, order), view), &paging))
}

/// The root of every query. The API is read-only.
pub struct QueryRoot;

/// The root of every query. The API is read-only.
#[Object(name = "Query")]
impl QueryRoot {
    /// The site's settings.
    async fn site<'c>(&self, ctx: &Context<'c>) -> Result<SiteObject<'c>> {
        Ok(SiteObject(view(ctx)?.snapshot()))
    }

    /// The content being served and the result of the last reload.
    async fn content_status(&self, ctx: &Context<'_>) -> Result<ContentStatus> {
        let scope = ctx.data::<Scope>()?;
        // The version is the one this request reads, not the newest.
        Ok(scope.status.for_view(&view(ctx)?))
    }

    /// What changed for the public since `since` (a `contentStatus.version`
    /// or a change's `version`), oldest first: a consumer that missed
    /// events catches up here. An error coded `UNKNOWN_VERSION` when the
    /// server's log does not reach back that far.
    #[graphql(complexity = "first * child_complexity")]
    async fn changes(
        &self,
        ctx: &Context<'_>,
        since: String,
        #[graphql(default = 100, validator(minimum = 1, maximum = 500))] first: usize,
        #[graphql(desc = "The id of the last change already read.")] after: Option<String>,
    ) -> Result<crate::schema::changes::ChangeSet> {
        crate::schema::changes::changes(ctx, since, first, after)
    }

    /// The topic taxonomy.
    async fn topics<'c>(&self, ctx: &Context<'c>, locale: Option<String>) -> Result<Vec<TopicObject<'c>>> {
        let view = view(ctx)?;
        let locale = locale_arg(&view, locale)?;
        Ok(view.snapshot().topics().iter().map(|topic| TopicObject { topic, locale: locale.clone() }).collect())
    }

    /// One page by slug, in `locale` or its fallback.
    async fn page<'c>(
        &self,
        ctx: &Context<'c>,
        slug: String,
        locale: Option<String>,
    ) -> Result<Option<PageObject<'c>>> {
        lookup(ctx, &slug, locale)
    }

    /// Pages, filtered and ordered.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "list_complexity(first, last, child_complexity)")]
    async fn pages<'c>(
        &self,
        ctx: &Context<'c>,
        locale: Option<String>,
        section: Option<String>,
        topic: Option<String>,
        status: Option<Status>,
        #[graphql(default)] order_by: Order,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<PageConnection<'c>> {
        check_topic(ctx, topic.as_deref())?;
        let keep = |d: &Document<core::Page>| {
            section.as_deref().is_none_or(|s| d.meta.section.as_deref() == Some(s))
                && has_topic(d, topic.as_deref())
                && status_matches(d, status)
        };
        list(ctx, locale, keep, order_by, PageArgs { after, before, first, last }).map(PageConnection)
    }

    /// One measure by slug.
    async fn measure<'c>(
        &self,
        ctx: &Context<'c>,
        slug: String,
        locale: Option<String>,
    ) -> Result<Option<MeasureObject<'c>>> {
        lookup(ctx, &slug, locale)
    }

    /// Measures, filtered and ordered.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "list_complexity(first, last, child_complexity)")]
    async fn measures<'c>(
        &self,
        ctx: &Context<'c>,
        locale: Option<String>,
        topic: Option<String>,
        partner_kind: Option<PartnerKind>,
        status: Option<Status>,
        #[graphql(default)] order_by: Order,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<MeasureConnection<'c>> {
        check_topic(ctx, topic.as_deref())?;
        let keep = |d: &Document<core::Measure>| {
            has_topic(d, topic.as_deref())
                && status_matches(d, status)
                && partner_kind.is_none_or(|k| d.meta.partner_kinds.contains(&k.into()))
        };
        list(ctx, locale, keep, order_by, PageArgs { after, before, first, last }).map(MeasureConnection)
    }

    /// One partner by slug.
    async fn partner<'c>(
        &self,
        ctx: &Context<'c>,
        slug: String,
        locale: Option<String>,
    ) -> Result<Option<PartnerObject<'c>>> {
        lookup(ctx, &slug, locale)
    }

    /// Partners, filtered by kind, country and topic.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "list_complexity(first, last, child_complexity)")]
    async fn partners<'c>(
        &self,
        ctx: &Context<'c>,
        locale: Option<String>,
        kind: Option<PartnerKind>,
        country: Option<String>,
        topic: Option<String>,
        status: Option<Status>,
        #[graphql(default)] order_by: Order,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<PartnerConnection<'c>> {
        let country = country_arg(country)?;
        check_topic(ctx, topic.as_deref())?;
        let keep = |d: &Document<core::Partner>| {
            kind.is_none_or(|k| d.meta.kind == k.into())
                && country.is_none_or(|c| d.meta.country == Some(c))
                && has_topic(d, topic.as_deref())
                && status_matches(d, status)
        };
        list(ctx, locale, keep, order_by, PageArgs { after, before, first, last }).map(PartnerConnection)
    }

    /// One story by slug.
    async fn story<'c>(
        &self,
        ctx: &Context<'c>,
        slug: String,
        locale: Option<String>,
    ) -> Result<Option<StoryObject<'c>>> {
        lookup(ctx, &slug, locale)
    }

    /// Stories, filtered by country and topic.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "list_complexity(first, last, child_complexity)")]
    async fn stories<'c>(
        &self,
        ctx: &Context<'c>,
        locale: Option<String>,
        country: Option<String>,
        topic: Option<String>,
        status: Option<Status>,
        #[graphql(default)] order_by: Order,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<StoryConnection<'c>> {
        let country = country_arg(country)?;
        check_topic(ctx, topic.as_deref())?;
        let keep = |d: &Document<core::Story>| {
            country.is_none_or(|c| d.meta.country == Some(c))
                && has_topic(d, topic.as_deref())
                && status_matches(d, status)
        };
        list(ctx, locale, keep, order_by, PageArgs { after, before, first, last }).map(StoryConnection)
    }

    /// Full-text search over pages, measures, partners and stories, forgiving
    /// typos and matching the last word as a prefix. Hits come best first,
    /// with a marked snippet; `facets` counts all matches.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "SEARCH_COST + list_complexity(first, None, child_complexity)")]
    async fn search<'c>(
        &self,
        ctx: &Context<'c>,
        query: String,
        locale: Option<String>,
        kinds: Option<Vec<ItemKind>>,
        topics: Option<Vec<String>>,
        countries: Option<Vec<String>>,
        partner_kinds: Option<Vec<PartnerKind>>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<SearchHitConnection<'c>> {
        let args = SearchArgs { query, locale, kinds, topics, countries, partner_kinds, first, after };
        super::search::search(ctx, args).await
    }

    /// Any item by its global ID.
    async fn node<'c>(&self, ctx: &Context<'c>, id: ID, locale: Option<String>) -> Result<Option<Node<'c>>> {
        let view = view(ctx)?;
        let locale = locale_arg(&view, locale)?;
        let Some((kind, slug)) = id.split_once(':') else {
            return Ok(None);
        };
        let kind = kind.parse::<Kind>().ok().filter(|k| Kind::FOLDERS.contains(k));
        Ok(kind.and_then(|k| node_for(view, k, slug, &locale)))
    }

    /// The move from the old site: how many old addresses have moved, wait
    /// or are gone, as the public sees it now; editors in preview also get
    /// the pending ones.
    async fn transition<'c>(&self, ctx: &Context<'c>) -> Result<super::transition::TransitionObject<'c>> {
        super::transition::transition(ctx)
    }

    /// Routes a site path: a current path (`/measures/x/`, `/fr/pages/y/`)
    /// gives its item; an old address of the site says whether it moved
    /// (and where), waits, or is gone.
    async fn route<'c>(&self, ctx: &Context<'c>, path: String) -> Result<Option<Route<'c>>> {
        super::route::route(ctx, path)
    }
}
