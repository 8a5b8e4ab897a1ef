/**
 * The write-ahead record of a decision: written (atomically) before the first order is
 * sent, read back by any later run for the same decision. A rerun after a crash so
 * resends the same orders, decided from the account as it was, not from an account
 * its own earlier orders have already changed.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../engine/sdk.ts';
import { digest, type DecisionIdentity } from './order-id.ts';

export interface PlannedOrder {
  tic: string;
  side: 'buy' | 'sell';
  qty: number;
  client_order_id: string;
  /** A risk-limit clip, or empty. */
  reason: string;
}

export interface AccountState {
  cash: number;
  equity: number;
  buying_power: number;
  /** Shares by symbol. */
  positions: Record<string, number>;
}

export interface Plan {
  date: string;
  decided_at: string;
  model: string;
  turbulence: number | null;
  liquidate: boolean;
  account_before: AccountState;
  orders: PlannedOrder[];
}

/** The plan's file: one per decision and account (the account number only enters its hash). */
export function planPath(stateDir: string, decision: DecisionIdentity, accountNumber: string): string {
  return join(stateDir, 'decisions', `${decision.date}-${digest([decision, accountNumber], 16)}.json`);
}

export async function readPlan(path: string): Promise<Plan | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as Plan;
  } catch (error) {
    throw new Error(`decision record ${path} is not valid JSON (${(error as Error).message}); it says which orders this decision sends: restore it, or remove it to decide again`);
  }
}

export async function writePlan(path: string, plan: Plan): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(plan, null, 1));
}
