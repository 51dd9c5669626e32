//! What the index holds now, counted over live documents only.
//!
//! An index updated in place keeps the documents it replaced, marked
//! deleted, until a merge drops them: tantivy's own statistics (document
//! frequencies, token totals, document count) still count them, so the same
//! query could rank differently on an updated index than on a fresh one.
//! Everything that ranks or suggests goes through [`Live`] instead, which
//! counts only live documents and takes token totals from field norms, a
//! function of the live documents alone, however they are split into
//! segments.

use std::collections::HashMap;
use std::sync::Arc;

use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::TermInfo;
use tantivy::query::Bm25StatisticsProvider;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, DocSet, InvertedIndexReader, Searcher, TERMINATED, Term};

use crate::top::SegmentColumns;

/// One generation of the index with the statistics of its live documents.
pub(crate) struct Live {
    pub(crate) searcher: Searcher,
    /// By segment, in the searcher's order: its deleted documents, ascending.
    deleted: Vec<Vec<DocId>>,
    /// By field with norms: the sum of the live documents' field norms.
    tokens: HashMap<Field, u64>,
    docs: u64,
    /// By segment, in the searcher's order: what collecting reads.
    pub(crate) columns: Vec<Arc<SegmentColumns>>,
}

impl Live {
    /// Reads the statistics of `searcher`'s generation: one pass over the
    /// field norms and deletions, done once per generation, and the order
    /// keys, facet numbers and visibility collecting reads (`order_field`,
    /// `facet_field`, numbers below `facet_numbers`, `visible_field`).
    pub(crate) fn new(
        searcher: Searcher,
        order_field: &str,
        facet_field: &str,
        facet_numbers: usize,
        visible_field: Field,
    ) -> tantivy::Result<Live> {
        let columns = searcher
            .segment_readers()
            .iter()
            .map(|segment| {
                SegmentColumns::read(segment, order_field, facet_field, facet_numbers, visible_field).map(Arc::new)
            })
            .collect::<tantivy::Result<_>>()?;
        let mut deleted = Vec::with_capacity(searcher.segment_readers().len());
        let mut tokens: HashMap<Field, u64> = HashMap::new();
        let normed: Vec<Field> =
            searcher.schema().fields().filter(|(_, entry)| entry.has_fieldnorms()).map(|(field, _)| field).collect();
        for segment in searcher.segment_readers() {
            let dead: Vec<DocId> = match segment.alive_bitset() {
                Some(alive) => (0..segment.max_doc()).filter(|d| !alive.is_alive(*d)).collect(),
                None => Vec::new(),
            };
            for field in &normed {
                let Ok(Some(norms)) = segment.fieldnorms_readers().get_field(*field) else { continue };
                let mut by_id = [0u64; 256];
                for doc in segment.doc_ids_alive() {
                    by_id[usize::from(norms.fieldnorm_id(doc))] += 1;
                }
                let sum: u64 = by_id
                    .iter()
                    .zip(0u8..=255)
                    .map(|(count, id)| count * u64::from(FieldNormReader::id_to_fieldnorm(id)))
                    .sum();
                *tokens.entry(*field).or_default() += sum;
            }
            deleted.push(dead);
        }
        let docs = searcher.num_docs();
        Ok(Live { searcher, deleted, tokens, docs, columns })
    }

    /// How many deleted documents the segments still hold.
    pub(crate) fn deleted(&self) -> usize {
        self.deleted.iter().map(Vec::len).sum()
    }

    /// How many live documents of segment `segment` hold the term of
    /// `info`.
    pub(crate) fn segment_doc_freq(
        &self,
        segment: usize,
        inverted: &InvertedIndexReader,
        info: &TermInfo,
    ) -> tantivy::Result<u64> {
        let dead = self.deleted.get(segment).map(Vec::as_slice).unwrap_or(&[]);
        if dead.is_empty() {
            return Ok(u64::from(info.doc_freq));
        }
        let mut postings = inverted.read_postings_from_terminfo(info, IndexRecordOption::Basic)?;
        let mut gone = 0u64;
        for &doc in dead {
            // `seek` only moves forward.
            let mut at = postings.doc();
            if at < doc {
                at = postings.seek(doc);
            }
            if at == TERMINATED {
                break;
            }
            gone += u64::from(at == doc);
        }
        Ok(u64::from(info.doc_freq).saturating_sub(gone))
    }

    /// How many live documents hold `term`.
    pub(crate) fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        let mut total = 0;
        for (i, segment) in self.searcher.segment_readers().iter().enumerate() {
            let inverted = segment.inverted_index(term.field())?;
            if let Some(info) = inverted.get_term_info(term)? {
                total += self.segment_doc_freq(i, &inverted, &info)?;
            }
        }
        Ok(total)
    }

    /// Whether any live document holds `term`.
    pub(crate) fn knows(&self, term: &Term) -> bool {
        self.doc_freq(term).is_ok_and(|n| n > 0)
    }
}

impl Bm25StatisticsProvider for Live {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        Ok(self.tokens.get(&field).copied().unwrap_or(0))
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        Ok(self.docs)
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        Live::doc_freq(self, term)
    }
}
