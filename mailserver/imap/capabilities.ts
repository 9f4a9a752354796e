import type { SessionState } from './context.ts';

/** Capabilities before login: just what is needed to get secure and authenticated. */
export function preAuthCapabilities(session: SessionState, plaintextAllowed: boolean): string[] {
  const caps = ['IMAP4rev1', 'IMAP4rev2', 'LITERAL+', 'SASL-IR', 'ID', 'ENABLE'];
  if (!session.secure) caps.push('STARTTLS');
  if (plaintextAllowed) caps.push('AUTH=PLAIN', 'AUTH=LOGIN');
  else caps.push('LOGINDISABLED');
  return caps;
}

export function authenticatedCapabilities(maxAppendBytes: number): string[] {
  return [
    'IMAP4rev1',
    'IMAP4rev2',
    'LITERAL+',
    'ID',
    'ENABLE',
    'IDLE',
    'NAMESPACE',
    'UNSELECT',
    'UIDPLUS',
    'MOVE',
    'CHILDREN',
    'LIST-EXTENDED',
    'LIST-STATUS',
    'SPECIAL-USE',
    'CREATE-SPECIAL-USE',
    'ESEARCH',
    'SEARCHRES',
    'WITHIN',
    'CONDSTORE',
    'QRESYNC',
    'SORT',
    'SORT=DISPLAY',
    'ESORT',
    'THREAD=REFERENCES',
    'THREAD=ORDEREDSUBJECT',
    'QUOTA',
    'QUOTA=RES-STORAGE',
    `APPENDLIMIT=${maxAppendBytes}`,
    'MULTIAPPEND',
    'BINARY',
    'STATUS=SIZE',
    'PREVIEW',
    'OBJECTID',
    'SAVEDATE',
    'UTF8=ACCEPT',
    'COMPRESS=DEFLATE',
  ];
}
