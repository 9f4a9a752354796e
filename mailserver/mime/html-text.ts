/**
 * HTML to plain text for the search index and previews. htmlparser2 does the tokenising (entities, comments,
 * raw-text elements, broken markup); this module only decides which text is visible and where lines break.
 */
import { Parser } from 'htmlparser2';

/** Elements whose content is never rendered as text. */
const HIDDEN = new Set(['script', 'style', 'title', 'template']);

/** Elements that start a new line when rendered. */
const BLOCK = new Set([
  'address', 'article', 'aside', 'blockquote', 'br', 'dd', 'div', 'dl', 'dt', 'fieldset', 'figcaption', 'figure',
  'footer', 'form', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hr', 'li', 'main', 'nav', 'ol', 'p', 'pre',
  'section', 'table', 'tr', 'ul',
]);

/** Visible text of an HTML document, at most maxChars characters. */
export function htmlToText(html: string, maxChars: number): string {
  const pieces: string[] = [];
  let length = 0;
  let hiddenDepth = 0;
  let atLineStart = true;
  const emit = (text: string): void => {
    if (length >= maxChars || text === '') return;
    pieces.push(text);
    length += text.length;
    atLineStart = text.endsWith('\n');
  };
  // Adjacent block boundaries (</p><div>) make one line break, not a run of empty lines.
  const breakLine = (): void => {
    if (!atLineStart) emit('\n');
  };
  const parser = new Parser(
    {
      onopentag(name) {
        if (HIDDEN.has(name)) hiddenDepth++;
        else if (BLOCK.has(name)) breakLine();
        else if (name === 'td' || name === 'th') emit(' ');
      },
      onclosetag(name) {
        if (HIDDEN.has(name)) hiddenDepth = Math.max(0, hiddenDepth - 1);
        else if (BLOCK.has(name)) breakLine();
      },
      ontext(text) {
        // Source line breaks are just whitespace in HTML; only block elements break lines.
        if (hiddenDepth === 0) emit(text.replace(/\s+/g, ' '));
      },
    },
    { decodeEntities: true },
  );
  parser.write(html);
  parser.end();
  return tidyLines(pieces.join('')).slice(0, maxChars);
}

/** Trims each line; whitespace-only lines between blocks disappear. */
function tidyLines(text: string): string {
  return text.replace(/ *\n[\n ]*/g, '\n').trim();
}
