import { randomBytes } from 'node:crypto';
import type { Upload, UploadCreateRequest } from '../../shared/compose.ts';
import { UPLOAD_CHUNK_MAX_BYTES } from '../../shared/compose.ts';
import { GatewayError } from '../errors.ts';

interface Pending {
  meta: Upload;
  chunks: Buffer[];
}

export interface CompleteUpload {
  filename: string;
  contentType: string;
  content: Buffer;
}

/**
 * Attachments being uploaded for compose, held in memory for the session (they are the user's draft, not
 * mail yet). The declared size is reserved up front against the session's budget, so an upload that could
 * not fit is refused before any of it is received.
 */
export class UploadStore {
  private readonly uploads = new Map<string, Pending>();
  private reserved = 0;

  constructor(private readonly limitBytes: number) {}

  create(request: UploadCreateRequest): Upload {
    if (request.size > this.limitBytes - this.reserved) {
      throw new GatewayError('too_large', `Attachments may total at most ${formatMb(this.limitBytes)} per message; this file does not fit.`);
    }
    const meta: Upload = { id: randomBytes(12).toString('base64url'), filename: request.filename, contentType: request.contentType, size: request.size, received: 0, complete: request.size === 0 };
    this.uploads.set(meta.id, { meta, chunks: [] });
    this.reserved += request.size;
    return { ...meta };
  }

  /** How many bytes the next chunk for this upload may have, or an error when there is no such upload. */
  remaining(id: string): number {
    const pending = this.pending(id);
    return Math.min(UPLOAD_CHUNK_MAX_BYTES, pending.meta.size - pending.meta.received);
  }

  append(id: string, offset: number, chunk: Buffer): Upload {
    const pending = this.pending(id);
    const { meta } = pending;
    if (offset !== meta.received) throw new GatewayError('conflict', `Expected the chunk at offset ${meta.received}.`, { field: 'offset' });
    if (chunk.length > meta.size - meta.received) throw new GatewayError('too_large', 'The chunk goes past the declared file size.');
    pending.chunks.push(chunk);
    meta.received += chunk.length;
    meta.complete = meta.received === meta.size;
    return { ...meta };
  }

  take(id: string): CompleteUpload {
    const pending = this.pending(id);
    if (!pending.meta.complete) throw new GatewayError('invalid_request', `The attachment "${pending.meta.filename}" has not finished uploading.`, { field: 'attachments' });
    return { filename: pending.meta.filename, contentType: pending.meta.contentType, content: Buffer.concat(pending.chunks) };
  }

  delete(id: string): void {
    const pending = this.uploads.get(id);
    if (!pending) return;
    this.uploads.delete(id);
    this.reserved -= pending.meta.size;
  }

  clear(): void {
    this.uploads.clear();
    this.reserved = 0;
  }

  private pending(id: string): Pending {
    const pending = this.uploads.get(id);
    if (!pending) throw new GatewayError('not_found', 'No such upload (it may have expired with the session).', { field: 'attachments' });
    return pending;
  }
}

function formatMb(bytes: number): string {
  return `${Math.round(bytes / (1024 * 1024))} MB`;
}
