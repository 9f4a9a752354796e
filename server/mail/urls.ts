/** Same-origin API paths the client follows for a message's parts. */
export function messagePath(folder: string, uid: number): string {
  return `/api/folders/${encodeURIComponent(folder)}/messages/${uid}`;
}

export function partUrl(folder: string, uid: number, part: string): string {
  return `${messagePath(folder, uid)}/parts/${encodeURIComponent(part)}`;
}

export function cidUrl(folder: string, uid: number, contentId: string): string {
  return `${messagePath(folder, uid)}/cid/${encodeURIComponent(contentId)}`;
}

export function rawUrl(folder: string, uid: number): string {
  return `${messagePath(folder, uid)}/raw`;
}
