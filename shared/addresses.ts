import { z } from 'zod';

export const Address = z.object({
  name: z.string().optional(),
  address: z.string(),
});
export type Address = z.infer<typeof Address>;

/** A recipient the user typed: a bare address or `Name <address>` object, checked loosely (the server decides). */
export const RecipientInput = z.object({
  name: z.string().max(200).optional(),
  address: z
    .string()
    .trim()
    .max(320)
    .regex(/^[^\s@<>,;"]+@[^\s@<>,;"]+$/, 'must look like name@domain'),
});
export type RecipientInput = z.infer<typeof RecipientInput>;
