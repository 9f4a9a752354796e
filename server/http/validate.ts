import type { Context } from 'hono';
import type { z } from 'zod';
import { GatewayError } from '../errors.ts';

/** The zod issue as a typed 400 naming the field, e.g. `to.2.address: must look like name@domain`. */
function invalid(error: z.ZodError, prefix?: string): GatewayError {
  const issue = error.issues[0];
  const path = issue?.path.map(String).join('.') ?? '';
  const field = [prefix, path].filter(Boolean).join('.') || undefined;
  const message = issue ? `${field ?? 'request'}: ${issue.message}` : 'The request is not valid.';
  return new GatewayError('invalid_request', message, field ? { field } : {});
}

export async function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/json\b/i.test(type)) throw new GatewayError('invalid_request', 'Send the request body as application/json.', { field: 'body' });
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new GatewayError('invalid_request', 'The request body is not valid JSON.', { field: 'body' });
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw invalid(parsed.error);
  return parsed.data;
}

export function readQuery<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  const parsed = schema.safeParse(c.req.query());
  if (!parsed.success) throw invalid(parsed.error);
  return parsed.data;
}

/** A route parameter that must be a positive UID. */
export function uidParam(c: Context, name = 'uid'): number {
  const raw = c.req.param(name) ?? '';
  const uid = /^\d{1,10}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(uid) || uid < 1 || uid > 0xffffffff) throw new GatewayError('invalid_request', `${name} must be a message UID (a positive number).`, { field: name });
  return uid;
}

export function folderParam(c: Context, name = 'folder'): string {
  const folder = c.req.param(name) ?? '';
  if (!folder || folder.length > 1000 || /[\u0000-\u001f]/.test(folder)) throw new GatewayError('invalid_request', 'folder must name a folder.', { field: 'folder' });
  return folder;
}
