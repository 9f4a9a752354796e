/**
 * Server-side sanitizer for HTML e-mail bodies.
 *
 * This is defence in depth: the browser sanitizes again with DOMPurify and renders the result in a sandboxed
 * iframe. Here we keep what mail needs to look right (tables, inline and embedded CSS, images, links) and remove
 * everything that can run code, navigate, submit, or smuggle markup past a parser.
 *
 * Pipeline:
 *  1. `prepareMarkup` tokenizes once with htmlparser2's Tokenizer (the same tokenizer sanitize-html's parser uses),
 *     caps element nesting and lifts every raw-text `<style>` element out, leaving an unguessable placeholder.
 *  2. sanitize-html applies the tag/attribute allowlists; a transform rewrites URLs, CSS and link targets.
 *  3. The placeholders are replaced by `<style>` elements whose CSS we sanitized ourselves.
 *
 * Why `<style>` is not simply allowed in sanitize-html: it copies raw-text element content verbatim, and its
 * parser disagrees with browsers on where a style element ends (`</style/>` ends it in a browser but not in
 * htmlparser2; `<style/>` opens a non-raw element whose decoded text is then emitted raw). Both turn into
 * script injection. Emitting the CSS ourselves, with every `<` escaped, closes that class of bugs.
 */
import { randomBytes } from 'node:crypto';
import { Tokenizer, type TokenizerCallbacks } from 'htmlparser2';
import sanitizeHtml from 'sanitize-html';

export interface SanitizeOptions {
  /** Maps a Content-ID (without <>) to a same-origin URL for that inline part, or null if the message has no such part. */
  cidUrl(contentId: string): string | null;
}

/** Returns a safe HTML fragment for `html`; never throws, returns '' for empty or unusable input. */
export function sanitizeMessageHtml(html: string, options: SanitizeOptions): string {
  if (typeof html !== 'string' || html === '') return '';
  try {
    return sanitizeUnchecked(html, options);
  } catch {
    // Fail closed: an unexpected bug must show an empty body, never an unsanitized one or a failed request.
    return '';
  }
}

function sanitizeUnchecked(html: string, options: SanitizeOptions): string {
  const resolveCid = safeCidResolver(options);
  const nonce = randomBytes(16).toString('hex');
  const prepared = prepareMarkup(html, nonce);
  const body = sanitizeHtml(prepared.markup, sanitizeConfig(resolveCid));
  return restoreStyles(body, nonce, prepared.styles, resolveCid);
}

type CidResolver = (contentId: string) => string | null;

/** The caller's lookup is outside our control; a throwing or odd lookup just means "no such part". */
function safeCidResolver(options: SanitizeOptions): CidResolver {
  return (contentId) => {
    try {
      const url = options.cidUrl(contentId);
      return typeof url === 'string' && url !== '' ? url : null;
    } catch {
      return null;
    }
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Tag and attribute policy
// ---------------------------------------------------------------------------------------------------------------

const ALLOWED_TAGS = [
  // Text formatting, including the legacy elements mail generators still emit.
  'a', 'abbr', 'acronym', 'b', 'bdi', 'bdo', 'big', 'br', 'cite', 'code', 'del', 'dfn', 'em', 'font', 'i', 'ins',
  'kbd', 'mark', 'q', 'rp', 'rt', 'ruby', 's', 'samp', 'small', 'span', 'strike', 'strong', 'sub', 'sup', 'time',
  'tt', 'u', 'var', 'wbr',
  // Blocks.
  'address', 'article', 'aside', 'blockquote', 'center', 'dd', 'details', 'div', 'dl', 'dt', 'figcaption', 'figure',
  'footer', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hr', 'li', 'main', 'nav', 'ol', 'p', 'pre', 'section',
  'summary', 'ul',
  // Tables carry most mail layout.
  'caption', 'col', 'colgroup', 'table', 'tbody', 'td', 'tfoot', 'th', 'thead', 'tr',
  'img',
];
const ALLOWED_TAG_SET = new Set(ALLOWED_TAGS);

/**
 * Dropped together with everything inside. Executable, embedding, form and metadata elements have no useful
 * content; svg and math are mutation-XSS vectors (foreign content parses differently after serialization);
 * raw-text elements would otherwise leak their source as text. `style` is here because only the raw-text
 * style elements lifted out by `prepareMarkup` are kept; anything else named style is not CSS.
 */
const REMOVED_WITH_CONTENT = [
  'script', 'style', 'iframe', 'frame', 'frameset', 'noframes', 'object', 'embed', 'applet', 'param',
  'form', 'input', 'button', 'select', 'textarea', 'option', 'optgroup', 'datalist',
  'base', 'link', 'meta', 'title', 'svg', 'math', 'template', 'noscript', 'noembed', 'xmp',
];

const TABLE_CELL_ATTRIBUTES = ['colspan', 'rowspan', 'nowrap', 'scope', 'background'];

/** Allowlist: event handlers, srcset, formaction, xlink:href, ping etc. are dropped by not being listed. */
const ALLOWED_ATTRIBUTES: Record<string, string[]> = {
  '*': ['class', 'id', 'style', 'dir', 'lang', 'title', 'align', 'valign', 'width', 'height', 'bgcolor'],
  a: ['href', 'name', 'target', 'rel'],
  img: ['src', 'alt', 'border', 'hspace', 'vspace'],
  font: ['color', 'face', 'size'],
  table: ['border', 'cellpadding', 'cellspacing', 'background', 'summary', 'frame', 'rules'],
  tr: ['background'],
  td: TABLE_CELL_ATTRIBUTES,
  th: TABLE_CELL_ATTRIBUTES,
  col: ['span'],
  colgroup: ['span'],
  hr: ['size', 'noshade', 'color'],
  ol: ['start', 'type', 'reversed'],
  ul: ['type'],
  li: ['value', 'type'],
  // Apple Mail and Thunderbird mark quoted replies with type="cite".
  blockquote: ['type'],
  time: ['datetime'],
  del: ['datetime'],
  ins: ['datetime'],
  details: ['open'],
};

const ALLOWED_ATTRIBUTE_SETS = new Map(Object.entries(ALLOWED_ATTRIBUTES).map(([tag, names]) => [tag, new Set(names)]));

function isAllowedAttribute(tag: string, name: string): boolean {
  return ALLOWED_ATTRIBUTE_SETS.get('*')?.has(name) === true || ALLOWED_ATTRIBUTE_SETS.get(tag)?.has(name) === true;
}

const IMAGE_SCHEMES = ['http', 'https', 'data'];

function sanitizeConfig(resolveCid: CidResolver): sanitizeHtml.IOptions {
  return {
    allowedTags: ALLOWED_TAGS,
    allowedAttributes: ALLOWED_ATTRIBUTES,
    nonTextTags: REMOVED_WITH_CONTENT,
    disallowedTagsMode: 'discard',
    // Second line of defence behind our own URL checks in `cleanAttributes`.
    allowedSchemes: ['http', 'https', 'mailto', 'tel'],
    allowedSchemesByTag: { img: IMAGE_SCHEMES, table: IMAGE_SCHEMES, tr: IMAGE_SCHEMES, td: IMAGE_SCHEMES, th: IMAGE_SCHEMES },
    allowProtocolRelative: false,
    // We filter CSS ourselves; sanitize-html's postcss round trip is slow and mangles comments and at-rules.
    parseStyleAttributes: false,
    transformTags: { '*': (tagName, attribs) => ({ tagName, attribs: cleanAttributes(tagName, attribs, resolveCid) }) },
  };
}

/** Rewrites the attributes whose values need more than an allowlist: URLs, CSS and link targets. */
function cleanAttributes(tag: string, attribs: sanitizeHtml.Attributes, resolveCid: CidResolver): sanitizeHtml.Attributes {
  const cleaned: sanitizeHtml.Attributes = Object.create(null) as sanitizeHtml.Attributes;
  // A tag that will be dropped needs no work, and must not trigger cid lookups.
  if (!ALLOWED_TAG_SET.has(tag)) return cleaned;
  for (const name of Object.keys(attribs)) {
    // The allowlist is applied here too, so values we would discard are never examined.
    if (!isAllowedAttribute(tag, name)) continue;
    const kept = cleanAttribute(tag, name, attribs[name] ?? '', resolveCid);
    if (kept !== null) cleaned[name] = kept;
  }
  if (tag === 'a') {
    // Links leave the sandboxed frame in a new browsing context that cannot reach back to the webmail.
    cleaned.target = '_blank';
    cleaned.rel = 'noopener noreferrer';
  }
  return cleaned;
}

function cleanAttribute(tag: string, name: string, value: string, resolveCid: CidResolver): string | null {
  // The allowlist already drops handlers; this keeps that true even if someone widens the allowlist later.
  if (name.startsWith('on')) return null;
  // CSS is filtered declaration by declaration, so one bad url() does not cost the whole style.
  if (name === 'style') return nonEmpty(sanitizeInlineCss(value, resolveCid));
  // No other value may carry a script URL, not even where no URL is expected: a later allowlist change or a
  // client quirk must not turn it live. Losing such a title or class costs nothing.
  if (SCRIPT_URL.test(compactUrl(value).toLowerCase())) return null;
  switch (name) {
    case 'href':
      return tag === 'a' ? linkUrl(value) : null;
    case 'src':
      return tag === 'img' ? imageUrl(value, resolveCid) : null;
    case 'background':
      return imageUrl(value, resolveCid);
    default:
      return value;
  }
}

function nonEmpty(value: string): string | null {
  return value.trim() === '' ? null : value;
}

// ---------------------------------------------------------------------------------------------------------------
// URLs
// ---------------------------------------------------------------------------------------------------------------

const LINK_SCHEMES = new Set(['http', 'https', 'mailto', 'tel']);
const SCRIPT_URL = /(?:java|vb|live)script:/;
const SCHEME = /^([a-z][a-z0-9+.-]*):/i;
/** Raster formats only: an SVG image or an HTML document in a data: URL is active content. */
const DATA_IMAGE = /^data:image\/(?:png|gif|jpeg|webp)[;,]/i;

/**
 * What a browser's URL parser does first: strip surrounding C0 controls and spaces, drop tabs and newlines.
 * `<` and `>` are percent-encoded as browsers would: it changes nothing for the URL, and keeps sanitize-html's
 * URL check (which cuts `<!--…-->` out with a quadratic loop) fast.
 */
function tidyUrl(value: string): string {
  let start = 0;
  let end = value.length;
  // Loops, not /^\s+|\s+$/: a trailing-whitespace regex backtracks quadratically on long inner runs.
  while (start < end && value.charCodeAt(start) <= 0x20) start += 1;
  while (end > start && value.charCodeAt(end - 1) <= 0x20) end -= 1;
  return value.slice(start, end).replace(/[\t\n\r]/g, '').replace(/</g, '%3C').replace(/>/g, '%3E');
}

/**
 * The scheme as the browser will see it, or null for relative URLs. Also computed with every whitespace and
 * invisible character removed: if the two disagree the URL is an obfuscation attempt and is rejected.
 */
function urlScheme(value: string): string | null {
  const tidy = SCHEME.exec(tidyUrl(value))?.[1]?.toLowerCase();
  const compact = SCHEME.exec(compactUrl(value))?.[1]?.toLowerCase();
  return tidy !== undefined && tidy === compact ? tidy : null;
}

function compactUrl(value: string): string {
  return value.replace(/[\s\p{Cc}\p{Cf}]+/gu, '');
}

/**
 * Links keep only schemes that open something outside the frame. Relative URLs are dropped too: a mail has no
 * meaningful base URL, and resolved against the webmail origin they would be same-origin requests.
 */
function linkUrl(value: string): string | null {
  const scheme = urlScheme(value);
  return scheme !== null && LINK_SCHEMES.has(scheme) ? tidyUrl(value) : null;
}

/** Image sources: remote images (the client blocks them until allowed), inline raster data, and cid: parts. */
function imageUrl(value: string, resolveCid: CidResolver): string | null {
  const scheme = urlScheme(value);
  if (scheme === 'http' || scheme === 'https') return tidyUrl(value);
  if (scheme === 'data') return DATA_IMAGE.test(compactUrl(value)) ? tidyUrl(value) : null;
  if (scheme === 'cid') return resolveCid(contentIdOf(compactUrl(value)));
  return null;
}

/** `cid:` URLs (RFC 2392) are percent-encoded; some senders also keep the Content-ID header's angle brackets. */
function contentIdOf(cidUrl: string): string {
  const encoded = cidUrl.slice('cid:'.length);
  let id = encoded;
  try {
    id = decodeURIComponent(encoded);
  } catch {
    // A stray '%' is not an encoding; use the text as written.
  }
  return id.startsWith('<') && id.endsWith('>') ? id.slice(1, -1) : id;
}

// ---------------------------------------------------------------------------------------------------------------
// CSS
// ---------------------------------------------------------------------------------------------------------------

/**
 * Anything that can run code, bind behaviour or pull in more CSS. Matched against `normalizeCss` output, so
 * escapes, comments, case, whitespace and fullwidth letters cannot hide them.
 */
const DANGEROUS_CSS = /expression\(|behaviou?r:|-moz-binding|javascript:|vbscript:|livescript:|@import/;
/** CSS functions that accept a plain string as an image URL, bypassing our `url()` rewriting. */
const STRING_URL_FUNCTIONS = /image-set\(|image\(|src\(/;
/** A `url()` token with a double-quoted, single-quoted or bare argument (groups 1, 2, 3). */
const CSS_URL = /url\(\s*(?:"((?:[^"\\\n\r\f]|\\[\s\S])*)"|'((?:[^'\\\n\r\f]|\\[\s\S])*)'|((?:[^\s"'()\\]|\\[\s\S])*))\s*\)/gi;
/** Deeper blocks are dropped: real mail CSS nests a few levels, and the scan cost grows with depth. */
const CSS_MAX_DEPTH = 8;

interface CssContext {
  resolveCid: CidResolver;
  /** Style attributes hold declarations only; a block there is not valid CSS and is dropped. */
  allowBlocks: boolean;
}

function sanitizeInlineCss(css: string, resolveCid: CidResolver): string {
  return sanitizeCss(css, { resolveCid, allowBlocks: false });
}

/** `<style>` element content. `<` is escaped so the text can never close the element or open a comment. */
function sanitizeStylesheet(css: string, resolveCid: CidResolver): string {
  return sanitizeCss(css, { resolveCid, allowBlocks: true }).replace(/</g, '\\3c ');
}

function sanitizeCss(css: string, context: CssContext): string {
  const filtered = filterCssList(stripCssComments(css), context, 0);
  // Each piece was checked alone; this catches anything that would only appear once pieces are joined again.
  return cssViews(filtered).some((view) => DANGEROUS_CSS.test(view)) ? '' : filtered;
}

function filterCssList(css: string, context: CssContext, depth: number): string {
  let out = '';
  for (const item of splitCss(css)) out += filterCssItem(item, context, depth) ?? '';
  return out;
}

function filterCssItem(item: CssItem, context: CssContext, depth: number): string | null {
  const head = cleanCssPiece(item.prelude, context);
  // Not trimmed: a newline may be what ends an unterminated string, and moving it would shift string state.
  if (head === null || head.trim() === '') return null;
  if (item.body === null) return `${head};`;
  if (!context.allowBlocks || depth >= CSS_MAX_DEPTH) return null;
  return `${head}{${filterCssList(item.body, context, depth + 1)}}`;
}

/** A declaration, a block-less at-rule or a block's prelude: dropped whole if anything in it is unsafe. */
function cleanCssPiece(piece: string, context: CssContext): string | null {
  const views = cssViews(piece);
  if (views.some((view) => DANGEROUS_CSS.test(view))) return null;
  const stringUrls = views.some((view) => STRING_URL_FUNCTIONS.test(view)) && /["']/.test(piece.replace(CSS_URL, ''));
  if (stringUrls) return null;
  return rewriteCssUrls(piece, Math.max(...views.map((view) => view.split('url(').length - 1)), context);
}

/**
 * Runs every `url()` through the image URL policy (cid: parts become same-origin URLs). If the normalized text
 * holds more `url(` than we matched, some are disguised (escapes, whitespace) and the piece is dropped.
 */
function rewriteCssUrls(piece: string, expected: number, context: CssContext): string | null {
  let matched = 0;
  let rejected = false;
  const rewritten = piece.replace(CSS_URL, (_match, dq?: string, sq?: string, bare?: string) => {
    matched += 1;
    const url = imageUrl(decodeCssEscapes(dq ?? sq ?? bare ?? ''), context.resolveCid);
    if (url === null) rejected = true;
    return url === null ? '' : `url('${escapeCssString(url)}')`;
  });
  return rejected || matched !== expected ? null : rewritten;
}

/**
 * The text as a CSS tokenizer would read it, flattened for substring checks (escapes decoded, fullwidth
 * letters folded, whitespace and invisible characters removed, lower case). If it holds a comment opener, a
 * second view drops every `/*…*\/` even inside strings: whichever way a browser splits strings from comments,
 * one of the two views matches what it reads.
 */
function cssViews(css: string): string[] {
  const views = [normalizeCss(css)];
  if (css.includes('/*')) views.push(normalizeCss(css.replace(/\/\*[\s\S]*?(?:\*\/|$)/g, '')));
  return views;
}

function normalizeCss(css: string): string {
  return decodeCssEscapes(css).normalize('NFKC').replace(/[\s\p{Cc}\p{Cf}]+/gu, '').toLowerCase();
}

/** Decodes CSS escapes. A loop, not a regex callback: escape-dense hostile CSS made the callback version crawl. */
function decodeCssEscapes(css: string): string {
  let slash = css.indexOf('\\');
  if (slash < 0) return css;
  const parts: string[] = [];
  let copied = 0;
  while (slash >= 0) {
    const escape = cssEscapeAt(css, slash + 1);
    parts.push(css.slice(copied, slash), escape.text);
    copied = escape.end;
    slash = css.indexOf('\\', copied);
  }
  parts.push(css.slice(copied));
  return parts.join('');
}

/** One escape after its backslash: 1-6 hex digits plus one optional whitespace, a newline (a continuation), or a char. */
function cssEscapeAt(css: string, start: number): { text: string; end: number } {
  let end = start;
  while (end < css.length && end - start < 6 && isHexDigit(css.charCodeAt(end))) end += 1;
  if (end === start) {
    const char = css[start] ?? '';
    const continuation = char === '\n' || char === '\r' || char === '\f';
    return { text: continuation ? '' : char, end: start + char.length };
  }
  const text = codePointOrReplacement(parseInt(css.slice(start, end), 16));
  if (css.startsWith('\r\n', end)) return { text, end: end + 2 };
  return { text, end: end + (/[ \t\r\n\f]/.test(css[end] ?? '') ? 1 : 0) };
}

function isHexDigit(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x46) || (code >= 0x61 && code <= 0x66);
}

function codePointOrReplacement(code: number): string {
  const valid = code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff);
  return String.fromCodePoint(valid ? code : 0xfffd);
}

/** Quotes a URL for `url('…')`: anything that could end the string or the element becomes a hex escape. */
function escapeCssString(value: string): string {
  return value.replace(/["'\\<>\u0000-\u001f\u007f]/g, (c) => `\\${c.charCodeAt(0).toString(16)} `);
}

/**
 * Removes comments and the HTML-era `<!--`/`-->` markers, outside strings. Each becomes a space so removal
 * cannot join tokens into new ones (`/` + `*` would otherwise open a fresh comment in our output).
 */
function stripCssComments(css: string): string {
  let out = '';
  let copied = 0;
  let i = 0;
  while (i < css.length) {
    const c = css[i];
    const skip = c === '/' || c === '<' || c === '-' ? cssCommentLength(css, i) : 0;
    if (skip > 0) {
      out += `${css.slice(copied, i)} `;
      i += skip;
      copied = i;
    } else {
      i = nextCssIndex(css, i);
    }
  }
  return copied === 0 ? css : out + css.slice(copied);
}

function cssCommentLength(css: string, i: number): number {
  if (css.startsWith('/*', i)) {
    const end = css.indexOf('*/', i + 2);
    return (end < 0 ? css.length : end + 2) - i;
  }
  if (css.startsWith('<!--', i)) return 4;
  if (css.startsWith('-->', i)) return 3;
  return 0;
}

/** Steps over one character, or a whole escape or string, so their contents are never taken for syntax. */
function nextCssIndex(css: string, i: number): number {
  const c = css[i];
  if (c === '\\') return i + 2;
  if (c === '"' || c === "'") return skipCssString(css, i);
  return i + 1;
}

/** Index after the string starting at `start`; like a browser, an unescaped newline ends it too. */
function skipCssString(css: string, start: number): number {
  const quote = css[start];
  let i = start + 1;
  while (i < css.length) {
    const c = css[i];
    if (c === quote) return i + 1;
    if (c === '\n' || c === '\r' || c === '\f') return i;
    i += c === '\\' ? 2 : 1;
  }
  return css.length;
}

interface CssItem {
  /** Declaration or block-less at-rule text, or a block's prelude (selector, `@media …`). */
  prelude: string;
  /** Content between a block's braces; null for statements ended by `;`. */
  body: string | null;
}

/** Splits one nesting level into statements and blocks. Parentheses and brackets hide `;` and `{`, as in CSS. */
function splitCss(css: string): CssItem[] {
  const items: CssItem[] = [];
  let start = 0;
  let parens = 0;
  let i = 0;
  while (i < css.length) {
    const c = css[i];
    if (c === '(' || c === '[') parens += 1;
    else if ((c === ')' || c === ']') && parens > 0) parens -= 1;
    else if (parens === 0 && (c === ';' || c === '}')) {
      items.push({ prelude: css.slice(start, i), body: null });
      start = i + 1;
    } else if (parens === 0 && c === '{') {
      const end = blockEnd(css, i + 1);
      items.push({ prelude: css.slice(start, i), body: css.slice(i + 1, end) });
      i = start = end + 1;
      continue;
    }
    i = nextCssIndex(css, i);
  }
  if (start < css.length) items.push({ prelude: css.slice(start), body: null });
  return items;
}

/** Index of the `}` closing a block whose content starts at `from` (or the end of an unclosed block). */
function blockEnd(css: string, from: number): number {
  let depth = 1;
  let i = from;
  while (i < css.length) {
    const c = css[i];
    if (c === '{') depth += 1;
    else if (c === '}' && --depth === 0) return i;
    i = nextCssIndex(css, i);
  }
  return css.length;
}

// ---------------------------------------------------------------------------------------------------------------
// Pre-pass: nesting cap and <style> extraction
// ---------------------------------------------------------------------------------------------------------------

/**
 * htmlparser2's Parser keeps its open-element stack with `unshift`/`indexOf`, so every tag costs time
 * proportional to the nesting depth: 100,000 nested divs took ~6 s even with sanitize-html's `nestingLimit`.
 * No real mail comes near this bound (Chromium's own HTML parser stops nesting at 512 levels).
 */
const MAX_OPEN_ELEMENTS = 1000;

/** Below this depth the Parser's stack scan for an unmatched end tag is cheap; leave such tags alone. */
const DEEP_STACK = 64;

/** Elements whose content htmlparser2's tokenizer reads as raw text (unless the start tag is self-closing). */
const RAW_TEXT_TAGS = new Set(['script', 'style', 'title', 'textarea', 'xmp']);

/** Mirrors htmlparser2's Parser: void elements never go on the open-element stack. */
const VOID_TAGS = new Set([
  'area', 'base', 'basefont', 'br', 'col', 'command', 'embed', 'frame', 'hr', 'img', 'input', 'isindex', 'keygen',
  'link', 'meta', 'param', 'source', 'track', 'wbr',
]);

/** Mirrors htmlparser2's Parser: opening the key closes open elements of these kinds first. */
const IMPLIED_CLOSE = impliedCloseTable();

function impliedCloseTable(): ReadonlyMap<string, ReadonlySet<string>> {
  const p = new Set(['p']);
  const form = new Set(['input', 'option', 'optgroup', 'select', 'button', 'datalist', 'textarea']);
  const table = new Map<string, ReadonlySet<string>>([
    ['tr', new Set(['tr', 'th', 'td'])], ['th', new Set(['th'])], ['td', new Set(['thead', 'th', 'td'])],
    ['body', new Set(['head', 'link', 'script'])], ['li', new Set(['li'])],
    ['option', new Set(['option'])], ['optgroup', new Set(['optgroup', 'option'])],
    ['dd', new Set(['dd', 'dt'])], ['dt', new Set(['dd', 'dt'])], ['rt', new Set(['rt', 'rp'])],
    ['rp', new Set(['rt', 'rp'])], ['tbody', new Set(['thead', 'tbody'])], ['tfoot', new Set(['thead', 'tbody'])],
  ]);
  for (const tag of ['select', 'input', 'output', 'button', 'datalist', 'textarea']) table.set(tag, form);
  const closesP = [
    'p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'address', 'article', 'aside', 'blockquote', 'details', 'div', 'dl',
    'fieldset', 'figcaption', 'figure', 'footer', 'form', 'header', 'hr', 'main', 'nav', 'ol', 'pre', 'section',
    'table', 'ul',
  ];
  for (const tag of closesP) table.set(tag, p);
  return table;
}

interface PreparedMarkup {
  markup: string;
  /** Raw CSS of each lifted `<style>` element, by placeholder index. */
  styles: string[];
}

interface Edit {
  start: number;
  /** Exclusive. */
  end: number;
  replacement: string;
}

function prepareMarkup(html: string, nonce: string): PreparedMarkup {
  const pass = new PrepareMarkupPass(html, nonce);
  const tokenizer = new Tokenizer({ xmlMode: false, decodeEntities: true }, pass);
  tokenizer.write(html);
  tokenizer.end();
  return { markup: applyEdits(html, pass.edits), styles: pass.styles };
}

function applyEdits(html: string, edits: readonly Edit[]): string {
  if (edits.length === 0) return html;
  const parts: string[] = [];
  let copied = 0;
  for (const edit of edits) {
    if (edit.start < copied) continue; // cannot happen (events arrive in order), but never emit garbage
    parts.push(html.slice(copied, edit.start), edit.replacement);
    copied = edit.end;
  }
  parts.push(html.slice(copied));
  return parts.join('');
}

function stylePlaceholder(nonce: string, index: number): string {
  // Private-use delimiters: not markup, not an entity, and not something sanitize-html escapes or a tag can start with.
  return `\uE000${nonce}:${index}\uE001`;
}

function restoreStyles(body: string, nonce: string, styles: readonly string[], resolveCid: CidResolver): string {
  if (styles.length === 0) return body;
  return body.replace(new RegExp(`\uE000${nonce}:(\\d+)\uE001`, 'g'), (_match, index: string) => {
    const css = sanitizeStylesheet(styles[Number(index)] ?? '', resolveCid);
    return css.trim() === '' ? '' : `<style>${css}</style>`;
  });
}

/**
 * Tokenizer callbacks that replay htmlparser2 Parser's open-element bookkeeping (with O(1) operations) and
 * record edits:
 *  - a start tag that would nest deeper than MAX_OPEN_ELEMENTS becomes a space (its content stays);
 *  - on a deep stack, an end tag that closes nothing becomes a space (the Parser ignores it, or makes an empty
 *    paragraph of a stray `</p>`, but only after scanning its whole stack);
 *  - a raw-text `<style>` element becomes a placeholder and its CSS is kept aside.
 * Replacing with a space, never with nothing, keeps neighbouring text from fusing into a new tag or entity.
 */
class PrepareMarkupPass implements TokenizerCallbacks {
  readonly edits: Edit[] = [];
  readonly styles: string[] = [];
  private readonly open: string[] = [];
  private readonly openCounts = new Map<string, number>();
  private tagStart = 0;
  private tagName = '';
  private tagPending = false;
  private dropTag = false;
  private styleStart = -1;
  private styleContentStart = -1;

  constructor(
    private readonly html: string,
    private readonly nonce: string,
  ) {}

  onopentagname(start: number, endIndex: number): void {
    this.tagStart = start - 1;
    this.tagName = this.html.slice(start, endIndex).toLowerCase();
    this.tagPending = true;
    // Whether a raw-text tag really starts raw text is only known at its end (`<script/>` does not).
    this.dropTag = RAW_TEXT_TAGS.has(this.tagName) ? false : !this.openElement(this.tagName, false);
  }

  onopentagend(endIndex: number): void {
    this.tagPending = false;
    if (this.tagName === 'style') {
      this.styleStart = this.tagStart;
      this.styleContentStart = endIndex + 1;
    } else if (RAW_TEXT_TAGS.has(this.tagName)) {
      this.openElement(this.tagName, true);
    } else if (this.dropTag) {
      this.edits.push({ start: this.tagStart, end: endIndex + 1, replacement: ' ' });
    }
  }

  onselfclosingtag(endIndex: number): void {
    this.tagPending = false;
    // HTML ignores the slash: `<style/>` opens an ordinary element (which sanitize-html drops), not raw text.
    if (RAW_TEXT_TAGS.has(this.tagName)) this.dropTag = !this.openElement(this.tagName, false);
    if (this.dropTag) this.edits.push({ start: this.tagStart, end: endIndex + 1, replacement: ' ' });
  }

  onclosetag(start: number, endIndex: number): void {
    const name = this.html.slice(start, endIndex).toLowerCase();
    if (this.styleContentStart >= 0) {
      this.liftStyle(this.html.lastIndexOf('<', start), this.closeTagEnd(endIndex));
    } else if (!VOID_TAGS.has(name)) {
      this.closeElement(name, start, endIndex);
    }
  }

  onend(): void {
    if (this.styleContentStart >= 0) this.liftStyle(this.html.length, this.html.length);
    else if (this.tagPending && this.dropTag) {
      this.edits.push({ start: this.tagStart, end: this.html.length, replacement: ' ' });
    }
  }

  // Text, attributes, comments and the like do not affect nesting.
  ontext(): void {}
  ontextentity(): void {}
  onattribname(): void {}
  onattribdata(): void {}
  onattribentity(): void {}
  onattribend(): void {}
  oncomment(): void {}
  oncdata(): void {}
  ondeclaration(): void {}
  onprocessinginstruction(): void {}

  /**
   * Applies the Parser's stack effect of a start tag; false if the tag must be dropped to respect the bound.
   * Raw text is exempt: dropping its start tag would expose its content as markup, and nothing nests inside it.
   */
  private openElement(name: string, rawText: boolean): boolean {
    const implied = this.impliedCloseCount(name);
    const grows = !VOID_TAGS.has(name);
    if (grows && !rawText && this.open.length - implied >= MAX_OPEN_ELEMENTS) return false;
    for (let i = 0; i < implied; i += 1) this.pop();
    if (grows) this.push(name);
    return true;
  }

  private closeElement(name: string, start: number, endIndex: number): void {
    if ((this.openCounts.get(name) ?? 0) > 0) {
      // Pop through the matching element, as the Parser does.
      while (this.open.length > 0 && this.pop() !== name);
    } else if (this.open.length >= DEEP_STACK) {
      // The Parser would ignore it (or, for `</p>`, add an empty paragraph), but only after scanning its stack.
      this.edits.push({ start: this.html.lastIndexOf('<', start), end: this.closeTagEnd(endIndex), replacement: ' ' });
    }
  }

  private impliedCloseCount(name: string): number {
    const closes = IMPLIED_CLOSE.get(name);
    let count = 0;
    while (closes && count < this.open.length && closes.has(this.open[this.open.length - 1 - count] ?? '')) {
      count += 1;
    }
    return count;
  }

  private push(name: string): void {
    this.open.push(name);
    this.openCounts.set(name, (this.openCounts.get(name) ?? 0) + 1);
  }

  private pop(): string | undefined {
    const name = this.open.pop();
    if (name !== undefined) this.openCounts.set(name, (this.openCounts.get(name) ?? 1) - 1);
    return name;
  }

  /** The tokenizer skips everything after an end tag's name up to the next `>`. */
  private closeTagEnd(nameEnd: number): number {
    const gt = this.html.indexOf('>', nameEnd);
    return gt < 0 ? this.html.length : gt + 1;
  }

  private liftStyle(contentEnd: number, elementEnd: number): void {
    const css = this.html.slice(this.styleContentStart, contentEnd);
    const placeholder = stylePlaceholder(this.nonce, this.styles.length);
    this.edits.push({ start: this.styleStart, end: elementEnd, replacement: placeholder });
    this.styles.push(css);
    this.styleStart = -1;
    this.styleContentStart = -1;
  }
}
