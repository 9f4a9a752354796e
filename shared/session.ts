import { z } from 'zod';

export const LoginRequest = z.object({
  address: z.string().trim().min(3).max(320),
  password: z.string().min(1).max(1024),
});
export type LoginRequest = z.infer<typeof LoginRequest>;

/** What the client learns about its session; the CSRF token must accompany every state-changing request. */
export const SessionInfo = z.object({
  address: z.string(),
  csrfToken: z.string(),
  /** Absolute expiry, ISO 8601. */
  expiresAt: z.string(),
  idleTimeoutSeconds: z.number().int().positive(),
});
export type SessionInfo = z.infer<typeof SessionInfo>;

/** The header that carries the CSRF token. */
export const CSRF_HEADER = 'x-csrf-token';
