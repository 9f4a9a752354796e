import type { Hono } from 'hono';
import { CreateFolderRequest, RenameFolderRequest, type FolderList } from '../../shared/folders.ts';
import { GatewayError } from '../errors.ts';
import type { GatewayEnv } from '../http/env.ts';
import { folderParam, readJson } from '../http/validate.ts';
import { listFolders } from '../mail/folders.ts';

/** Folders the user may not rename or delete: losing them breaks the special-use contract clients rely on. */
async function refuseSpecial(client: Awaited<ReturnType<GatewayEnv['Variables']['session']['imap']['get']>>, path: string): Promise<void> {
  const folder = (await listFolders(client)).find((f) => f.path === path);
  if (!folder) throw new GatewayError('not_found', `No folder named "${path}".`);
  if (folder.role) throw new GatewayError('conflict', `"${path}" is the ${folder.role} folder and cannot be renamed or deleted.`);
}

export function folderRoutes(api: Hono<GatewayEnv>): void {
  api.get('/folders', async (c) => {
    const client = await c.get('session').imap.get();
    return c.json({ folders: await listFolders(client) } satisfies FolderList);
  });

  api.post('/folders', async (c) => {
    const { path } = await readJson(c, CreateFolderRequest);
    const client = await c.get('session').imap.get();
    const created = await client.mailboxCreate(path);
    if (!created.created) throw new GatewayError('conflict', `A folder named "${path}" already exists.`);
    return c.json({ path: created.path }, 201);
  });

  api.patch('/folders/:folder', async (c) => {
    const path = folderParam(c);
    const { newPath } = await readJson(c, RenameFolderRequest.omit({ path: true }));
    const client = await c.get('session').imap.get();
    await refuseSpecial(client, path);
    const renamed = await client.mailboxRename(path, newPath);
    return c.json({ path: renamed.newPath });
  });

  api.delete('/folders/:folder', async (c) => {
    const path = folderParam(c);
    const client = await c.get('session').imap.get();
    await refuseSpecial(client, path);
    await client.mailboxDelete(path);
    return c.body(null, 204);
  });
}
