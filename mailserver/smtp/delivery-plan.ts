import type { Account } from '../directory/types.ts';
import { decideRecipient, type RecipientDecision, type RecipientServices } from './recipients.ts';

/** Where one message goes once its recipients are decided. */
export interface DeliveryPlan {
  /** Mailboxes here, each account once (an alias and its target may both be named). */
  accounts: Account[];
  /** Addresses elsewhere that aliases forward to (or SRS bounces return to). */
  forwards: string[];
  /** Recipients in relay domains, for the customer's server. */
  relayed: string[];
  /** Recipients in no domain of ours (only submission accepts these). */
  remote: string[];
}

/** Decisions made at RCPT TO, kept with smtp-server's recipient object so DATA does not look them up again. */
const decided = new WeakMap<object, RecipientDecision>();

export function rememberDecision(recipient: object, decision: RecipientDecision): void {
  decided.set(recipient, decision);
}

export async function planDelivery(services: RecipientServices, recipients: Array<{ address: string }>): Promise<DeliveryPlan> {
  const accounts = new Map<string, Account>();
  const forwards = new Set<string>();
  const plan: DeliveryPlan = { accounts: [], forwards: [], relayed: [], remote: [] };
  for (const recipient of recipients) {
    const { address } = recipient;
    const decision = decided.get(recipient) ?? (await decideRecipient(services, address));
    if (decision.kind === 'local') {
      for (const account of decision.accounts) accounts.set(account.id, account);
      for (const forward of decision.forwards) forwards.add(forward);
    } else if (decision.kind === 'relay') {
      plan.relayed.push(address);
    } else if (decision.reply.responseCode === 554) {
      plan.remote.push(address);
    }
  }
  plan.accounts = [...accounts.values()];
  plan.forwards = [...forwards];
  return plan;
}
