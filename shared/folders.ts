import { z } from 'zod';

/** Special-use roles (RFC 6154) the client gives icons and behaviour to. */
export const FolderRole = z.enum(['inbox', 'sent', 'drafts', 'trash', 'junk', 'archive', 'all', 'flagged']);
export type FolderRole = z.infer<typeof FolderRole>;

export const Folder = z.object({
  /** Full IMAP path, the folder's identity in every other request. */
  path: z.string(),
  name: z.string(),
  delimiter: z.string().nullable(),
  role: FolderRole.nullable(),
  parent: z.string().nullable(),
  total: z.number().int().nonnegative(),
  unread: z.number().int().nonnegative(),
  /** False for \Noselect containers. */
  selectable: z.boolean(),
});
export type Folder = z.infer<typeof Folder>;

export const FolderList = z.object({ folders: z.array(Folder) });
export type FolderList = z.infer<typeof FolderList>;

const folderName = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .refine((s) => !/[\u0000-\u001f\u007f*%]/.test(s), 'must not contain control characters, * or %');

export const CreateFolderRequest = z.object({ path: folderName });
export type CreateFolderRequest = z.infer<typeof CreateFolderRequest>;

export const RenameFolderRequest = z.object({ path: z.string().min(1), newPath: folderName });
export type RenameFolderRequest = z.infer<typeof RenameFolderRequest>;

export const FolderPathQuery = z.object({ path: z.string().min(1).max(1000) });
