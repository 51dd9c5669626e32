//! The best hits, ranked the same in every index of the same content.
//!
//! tantivy adds a document's partial scores in an order that depends on the
//! segment it is in (an intersection starts from its rarest term in that
//! segment), so the same document can score a unit in the last place apart
//! in two indexes of the same content, say a fresh one and an updated one.
//! Scores are therefore rounded to 11 significant bits ([`coarse`]), and
//! equal scores rank by the document's order key (a fast field), never by
//! where the document happens to sit. The key is read only for a document
//! that may enter the list, not for every match.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::query::Weight;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, DocId, DocSet as _, Score, SegmentOrdinal, SegmentReader, TERMINATED};

use crate::facets::FacetTable;

/// `score` to 11 significant bits (about 3 decimal digits), rounded.
pub(crate) fn coarse(score: Score) -> Score {
    const DROPPED: u32 = 12;
    if !score.is_finite() {
        return score;
    }
    let bits = score.to_bits();
    Score::from_bits(bits.saturating_add(1 << (DROPPED - 1)) & !((1 << DROPPED) - 1))
}

/// One ranked hit: better is greater.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ranked {
    pub(crate) score: Score,
    order: u64,
    pub(crate) address: DocAddress,
}

impl Ranked {
    fn key(&self) -> (Score, u64, Reverse<(u32, u32)>) {
        (self.score, self.order, Reverse((self.address.segment_ord, self.address.doc_id)))
    }
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Ranked {}
impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = (self.key(), other.key());
        a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2))
    }
}

/// What one generation of the index keeps per segment for collecting:
/// every document's order key and facet numbers, and for each locale the
/// documents visible in it, read once when the generation is opened, so
/// that a match costs array reads, not column decoding, and a search is
/// not an intersection with every document of its locale.
#[derive(Default)]
pub(crate) struct SegmentColumns {
    order: Vec<u64>,
    facets: FacetTable,
    /// By locale tag.
    visible: Vec<(String, DocBits)>,
}

impl SegmentColumns {
    pub(crate) fn read(
        reader: &SegmentReader,
        order_field: &str,
        facet_field: &str,
        facet_numbers: usize,
        visible_field: Field,
    ) -> tantivy::Result<SegmentColumns> {
        let column = reader.fast_fields().u64(order_field)?.first_or_default_col(0);
        let mut order = vec![0; reader.max_doc() as usize];
        column.get_range(0, &mut order);
        let inverted = reader.inverted_index(visible_field)?;
        let mut locales = inverted.terms().stream()?;
        let mut visible = Vec::new();
        while locales.advance() {
            let mut docs = DocBits::new(reader.max_doc());
            let mut postings = inverted.read_postings_from_terminfo(locales.value(), IndexRecordOption::Basic)?;
            while postings.doc() != TERMINATED {
                docs.insert(postings.doc());
                postings.advance();
            }
            visible.push((String::from_utf8_lossy(locales.key()).into_owned(), docs));
        }
        Ok(SegmentColumns { order, facets: FacetTable::read(reader, facet_field, facet_numbers)?, visible })
    }
}

/// A set of a segment's documents, one bit each.
#[derive(Debug, Default)]
pub(crate) struct DocBits(Vec<u64>);

impl DocBits {
    fn new(max_doc: DocId) -> DocBits {
        DocBits(vec![0; (max_doc as usize).div_ceil(64)])
    }

    fn insert(&mut self, doc: DocId) {
        if let Some(word) = self.0.get_mut(doc as usize / 64) {
            *word |= 1 << (doc % 64);
        }
    }

    fn contains(&self, doc: DocId) -> bool {
        self.0.get(doc as usize / 64).is_some_and(|word| word & (1 << (doc % 64)) != 0)
    }
}

/// In one pass over the matches visible in `locale`: the `limit` best hits
/// after skipping `offset`, how many match, and the matches' counts by
/// facet number.
pub(crate) struct Gather<'c> {
    /// By segment ordinal.
    pub(crate) columns: &'c [Arc<SegmentColumns>],
    pub(crate) locale: &'c str,
    /// What a match's title adds to its score, if anything can.
    pub(crate) titles: Option<&'c dyn Weight>,
    pub(crate) facet_numbers: usize,
    pub(crate) limit: usize,
    pub(crate) offset: usize,
}

/// The best hits, the number of matches, the counts by facet number.
pub(crate) type Gathered = (Vec<Ranked>, usize, Vec<u64>);

pub(crate) struct SegmentGather {
    columns: Arc<SegmentColumns>,
    /// Where the locale's documents are in `columns.visible`; `None`
    /// when no document of the segment is visible in it.
    visible: Option<usize>,
    /// The documents whose titles add to their score, ascending, with
    /// what they add, and the first one not passed yet: matches come in
    /// ascending order too, so each costs a comparison or two.
    titles: Vec<(DocId, Score)>,
    next_title: usize,
    segment: SegmentOrdinal,
    keep: usize,
    /// The best so far, worst on top.
    heap: BinaryHeap<Reverse<Ranked>>,
    count: usize,
    facets: Vec<u64>,
}

impl Collector for Gather<'_> {
    type Fruit = Gathered;
    type Child = SegmentGather;

    fn for_segment(&self, segment: SegmentOrdinal, reader: &SegmentReader) -> tantivy::Result<SegmentGather> {
        let columns =
            self.columns.get(segment as usize).cloned().ok_or_else(|| {
                tantivy::TantivyError::InternalError(format!("no columns read for segment {segment}"))
            })?;
        let keep = self.limit.saturating_add(self.offset);
        let visible = columns.visible.iter().position(|(locale, _)| locale == self.locale);
        let mut titles = Vec::new();
        if let Some(weight) = self.titles {
            weight.for_each(reader, &mut |doc, score| titles.push((doc, score)))?;
        }
        Ok(SegmentGather {
            columns,
            visible,
            titles,
            next_title: 0,
            segment,
            keep,
            heap: BinaryHeap::with_capacity(keep.min(1024) + 1),
            count: 0,
            facets: vec![0; self.facet_numbers],
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Gathered>) -> tantivy::Result<Gathered> {
        let mut all = Vec::new();
        let mut count = 0;
        let mut facets = vec![0; self.facet_numbers];
        for (top, n, counts) in fruits {
            all.extend(top);
            count += n;
            for (total, n) in facets.iter_mut().zip(counts) {
                *total += n;
            }
        }
        all.sort_unstable_by(|a, b| b.cmp(a));
        Ok((all.into_iter().skip(self.offset).take(self.limit).collect(), count, facets))
    }
}

impl SegmentCollector for SegmentGather {
    type Fruit = Gathered;

    #[inline]
    fn collect(&mut self, doc: DocId, score: Score) {
        let visible =
            self.visible.and_then(|i| self.columns.visible.get(i)).is_some_and(|(_, docs)| docs.contains(doc));
        if !visible {
            return;
        }
        self.count += 1;
        self.columns.facets.count(doc, &mut self.facets);
        if self.keep == 0 {
            return;
        }
        let mut score = score;
        while let Some(&(title, adds)) = self.titles.get(self.next_title) {
            if title > doc {
                break;
            }
            self.next_title += 1;
            if title == doc {
                score += adds;
                break;
            }
        }
        let score = coarse(score);
        let full = self.heap.len() >= self.keep;
        // Strictly worse than the worst kept: its order key cannot help.
        if full && self.heap.peek().is_some_and(|Reverse(worst)| score < worst.score) {
            return;
        }
        let order = self.columns.order.get(doc as usize).copied().unwrap_or(0);
        let ranked = Ranked { score, order, address: DocAddress::new(self.segment, doc) };
        if !full {
            self.heap.push(Reverse(ranked));
        } else if let Some(mut worst) = self.heap.peek_mut()
            && ranked > worst.0
        {
            *worst = Reverse(ranked);
        }
    }

    fn harvest(self) -> Gathered {
        (self.heap.into_iter().map(|Reverse(r)| r).collect(), self.count, self.facets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_scores_round_alike_and_order_is_kept() {
        assert_eq!(coarse(1.0), 1.0);
        assert_eq!(coarse(2.5), 2.5);
        let a = 1.234_567_8_f32;
        let b = f32::from_bits(a.to_bits() + 1);
        assert_eq!(coarse(a), coarse(b));
        assert!(coarse(3.0) < coarse(3.01));
        assert!((coarse(a) - a).abs() / a < 1e-3);
        assert!(coarse(f32::NAN).is_nan());
    }
}
