import type { MessageStructureObject } from 'imapflow';

/** A leaf of the MIME tree with the IMAP part number that fetches it. */
export interface LeafPart {
  part: string;
  type: string;
  charset: string | undefined;
  encoding: string;
  size: number;
  filename: string | null;
  contentId: string | null;
  disposition: 'inline' | 'attachment' | null;
}

export interface BodyParts {
  text: LeafPart | null;
  html: LeafPart | null;
  /** Everything else the user can open or download, inline images included. */
  attachments: LeafPart[];
}

function toLeaf(node: MessageStructureObject): LeafPart {
  const disposition = node.disposition?.toLowerCase();
  const filename = node.dispositionParameters?.filename ?? node.parameters?.name ?? null;
  return {
    // A message that is not multipart has just one body, addressed as part 1.
    part: node.part ?? '1',
    type: (node.type || 'text/plain').toLowerCase(),
    charset: node.parameters?.charset,
    encoding: (node.encoding ?? '7bit').toLowerCase(),
    size: node.size ?? 0,
    filename: filename ? filename.replace(/[\u0000-\u001f\u007f]/g, '').trim() || null : null,
    contentId: node.id ? node.id.replace(/^<|>$/g, '') : null,
    disposition: disposition === 'attachment' ? 'attachment' : disposition === 'inline' ? 'inline' : null,
  };
}

function isBodyCandidate(leaf: LeafPart, type: 'text/plain' | 'text/html'): boolean {
  return leaf.type === type && leaf.disposition !== 'attachment' && !(leaf.filename && leaf.disposition !== 'inline');
}

/**
 * Pick the readable bodies the way mail clients do: the first plain and the first HTML part that are not
 * attachments, looking into alternatives and related parts but not into attached messages (those are files).
 */
export function bodyParts(structure: MessageStructureObject | undefined): BodyParts {
  const result: BodyParts = { text: null, html: null, attachments: [] };
  if (!structure) return result;
  // message/rfc822 is not multipart, so an attached message stays one leaf: a file, not the body.
  const visit = (node: MessageStructureObject) => {
    const type = (node.type || '').toLowerCase();
    if (type.startsWith('multipart/') && node.childNodes) {
      for (const child of node.childNodes) visit(child);
      return;
    }
    const leaf = toLeaf(node);
    if (!result.text && isBodyCandidate(leaf, 'text/plain')) result.text = leaf;
    else if (!result.html && isBodyCandidate(leaf, 'text/html')) result.html = leaf;
    else result.attachments.push(leaf);
  };
  visit(structure);
  return result;
}

/** True when the message carries a file the user would call an attachment (inline cid: images do not count). */
export function hasAttachments(structure: MessageStructureObject | undefined): boolean {
  return bodyParts(structure).attachments.some((leaf) => leaf.disposition === 'attachment' || !(leaf.contentId && leaf.type.startsWith('image/')));
}

/** The part whose opening words make the list preview: plain text if there is one, else HTML. */
export function previewPart(structure: MessageStructureObject | undefined): LeafPart | null {
  const parts = bodyParts(structure);
  return parts.text ?? parts.html;
}
