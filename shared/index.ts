// The contract between the webmail client and the gateway: every request and response type, with its schema.
export * from './addresses.ts';
export * from './compose.ts';
export * from './errors.ts';
export * from './events.ts';
export * from './folders.ts';
export * from './messages.ts';
export * from './session.ts';
export * from './spam.ts';
