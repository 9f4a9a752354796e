export * from './types.ts';
export { InternalDirectory } from './internal.ts';
export { parseAddress, isDomainName } from './address.ts';
export { hashPassword, verifyPassword, generatePassword } from './password.ts';
