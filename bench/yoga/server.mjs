// The benchmark's comparison server: graphql-yoga answering the page query
// over the same content folder, read the way a team would write it by hand.
// usage: node server.mjs CONTENT_DIR PORT
import { createServer } from 'node:http';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createSchema, createYoga } from 'graphql-yoga';
import { parse } from 'smol-toml';

const [root, port = '4000'] = process.argv.slice(2);

function frontMatter(text) {
  const lines = text.split('\n');
  const end = lines.indexOf('+++', 1);
  return { front: parse(lines.slice(1, end).join('\n')), body: lines.slice(end + 1).join('\n') };
}

// Originals only (`slug.md`, `slug.toml`): the benchmark reads the default locale.
function load(kind, ext) {
  const items = new Map();
  for (const name of readdirSync(join(root, kind))) {
    const parts = name.split('.');
    if (parts.length !== 2 || parts[1] !== ext) continue;
    const text = readFileSync(join(root, kind, name), 'utf8');
    const item = ext === 'md' ? frontMatter(text) : { front: parse(text), body: '' };
    items.set(parts[0], { slug: parts[0], ...item.front, body: { markdown: item.body } });
  }
  return items;
}

const pages = load('pages', 'md');
const measures = load('measures', 'md');
const partners = load('partners', 'md');
const stories = load('stories', 'md');
const media = load('media', 'toml');

const visible = (item) =>
  item && (item.status === 'published' || item.status === 'archived') &&
  (!item.publish_at || new Date(String(item.publish_at)) <= new Date());
const resolve = (map, slugs = []) => slugs.map((s) => map.get(s)).filter(visible);
const upper = (kebab) => kebab.replaceAll('-', '_').toUpperCase();

const typeDefs = /* GraphQL */ `
  type Query { page(slug: String!, locale: String): Page }
  type Page {
    slug: String! title: String! summary: String section: String locale: String! body: Body!
    hero: Hero quotes: [Quote!]! measures: [Measure!]! partners: [Partner!]! fromTheField: [Story!]!
  }
  type Body { markdown: String! }
  type Hero { caption: String media: Media! }
  type Media { alt: String caption: String credit: String src: String }
  type Quote { text: String! source: String! }
  type Measure { slug: String! title: String! partnerKinds: [String!]! }
  type Partner { slug: String! name: String! kind: String! country: String }
  type Story { slug: String! title: String! summary: String country: String }
`;

const resolvers = {
  Query: {
    page: (_, { slug }) => {
      const page = pages.get(slug);
      return visible(page) ? page : null;
    },
  },
  Page: {
    locale: () => 'en',
    hero: (p) => {
      const m = p.hero && media.get(p.hero.media);
      return m ? { caption: p.hero.caption ?? m.caption ?? null, media: m } : null;
    },
    quotes: (p) => p.quotes ?? [],
    measures: (p) => resolve(measures, p.measures),
    partners: (p) => resolve(partners, p.partners),
    fromTheField: (p) => resolve(stories, p.from_the_field),
  },
  Measure: { partnerKinds: (m) => (m.partner_kinds ?? []).map(upper) },
  Partner: { kind: (p) => upper(p.kind) },
};

const yoga = createYoga({ schema: createSchema({ typeDefs, resolvers }), graphiql: false, logging: false });
createServer(yoga).listen(Number(port), '127.0.0.1', () => {
  console.log(`graphql-yoga on http://127.0.0.1:${port}/graphql (${pages.size} pages)`);
});
