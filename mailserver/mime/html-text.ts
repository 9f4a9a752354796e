/**
 * HTML to plain text for the search index and previews.
 *
 * htmlparser2's Tokenizer does the HTML work (tags, attributes, comments, raw-text elements, character
 * references). Its Parser is not used on purpose: it keeps open elements in an array it unshifts into, so deeply
 * nested markup costs quadratic time (80,000 nested <div> took 1.7 s). Without a tree there is no stack to grow:
 * this module only counts how deep it is inside elements whose text is hidden.
 */
import { Tokenizer, type TokenizerCallbacks } from 'htmlparser2';

/** Elements whose content is never rendered as text. */
const HIDDEN = new Set(['script', 'style', 'title', 'template', 'noscript']);

/** Elements that start a new line when rendered. */
const BLOCK = new Set([
  'address', 'article', 'aside', 'blockquote', 'br', 'dd', 'div', 'dl', 'dt', 'fieldset', 'figcaption', 'figure',
  'footer', 'form', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hr', 'li', 'main', 'nav', 'ol', 'p', 'pre',
  'section', 'table', 'tr', 'ul',
]);

/** Collects visible text up to a character limit; adjacent block boundaries make a single line break. */
class TextSink {
  private readonly pieces: string[] = [];
  private length = 0;
  private atLineStart = true;

  constructor(private readonly maxChars: number) {}

  text(value: string): void {
    // Source line breaks are just whitespace in HTML; only block elements break lines.
    this.push(value.replace(/\s+/g, ' '));
  }

  breakLine(): void {
    if (!this.atLineStart) this.push('\n');
  }

  space(): void {
    this.push(' ');
  }

  result(): string {
    return this.pieces.join('').replace(/ *\n[\n ]*/g, '\n').trim().slice(0, this.maxChars);
  }

  private push(value: string): void {
    if (this.length >= this.maxChars || value === '') return;
    this.pieces.push(value);
    this.length += value.length;
    this.atLineStart = value.endsWith('\n');
  }
}

/** Visible text of an HTML document, at most maxChars characters. Linear in the input size. */
export function htmlToText(html: string, maxChars: number): string {
  const sink = new TextSink(maxChars);
  let hiddenDepth = 0;
  let tagName = '';
  const name = (start: number, end: number): string => html.slice(start, end).toLowerCase();
  const callbacks: TokenizerCallbacks = {
    onopentagname(start, end) {
      tagName = name(start, end);
    },
    onopentagend() {
      if (HIDDEN.has(tagName)) hiddenDepth++;
      else if (BLOCK.has(tagName)) sink.breakLine();
      else if (tagName === 'td' || tagName === 'th') sink.space();
    },
    onselfclosingtag() {
      if (BLOCK.has(tagName)) sink.breakLine();
    },
    onclosetag(start, end) {
      const closed = name(start, end);
      if (HIDDEN.has(closed)) hiddenDepth = Math.max(0, hiddenDepth - 1);
      else if (BLOCK.has(closed)) sink.breakLine();
    },
    ontext(start, end) {
      if (hiddenDepth === 0) sink.text(html.slice(start, end));
    },
    ontextentity(codepoint) {
      if (hiddenDepth === 0) sink.text(String.fromCodePoint(codepoint));
    },
    onattribdata() {},
    onattribentity() {},
    onattribend() {},
    onattribname() {},
    oncdata() {},
    oncomment() {},
    ondeclaration() {},
    onend() {},
    onprocessinginstruction() {},
  };
  const tokenizer = new Tokenizer({ decodeEntities: true }, callbacks);
  tokenizer.write(html);
  tokenizer.end();
  return sink.result();
}
