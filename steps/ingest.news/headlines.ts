/**
 * Phrasebook for synthetic headlines. Each tone has its own templates and
 * catalysts, so the tone is readable from the words alone (what a sentiment
 * model is meant to learn); `{tic}` and `{why}` are filled in per headline.
 */
import type { Label } from './news.ts';

interface Phrasebook {
  headlines: readonly string[];
  summaries: readonly string[];
  catalysts: readonly string[];
}

export const PHRASES: Readonly<Record<Label, Phrasebook>> = {
  positive: {
    headlines: [
      '{tic} shares jump after {why}',
      '{tic} rallies as investors cheer {why}',
      'Analysts upgrade {tic} following {why}',
      '{tic} climbs to a fresh high on {why}',
      '{tic} beats expectations, lifted by {why}',
      'Bulls pile into {tic} after {why}',
    ],
    summaries: [
      'Investors welcomed {why}, and the stock outperformed the broader market.',
      'Buyers stepped in after {why}; several analysts raised their price targets.',
      'The company reported {why}, which traders read as a sign of strengthening demand.',
    ],
    catalysts: [
      'strong quarterly earnings',
      'raised full-year guidance',
      'a major contract win',
      'record revenue',
      'a new share buyback plan',
      'an upbeat product launch',
      'better-than-expected margins',
    ],
  },
  negative: {
    headlines: [
      '{tic} shares slide after {why}',
      '{tic} tumbles as investors react to {why}',
      'Analysts downgrade {tic} following {why}',
      '{tic} sinks to a multi-month low on {why}',
      '{tic} misses expectations, weighed down by {why}',
      'Sellers dump {tic} after {why}',
    ],
    summaries: [
      'Investors were rattled by {why}, and the stock lagged the broader market.',
      'Selling intensified after {why}; several analysts cut their price targets.',
      'The company disclosed {why}, which traders read as a sign of weakening demand.',
    ],
    catalysts: [
      'disappointing quarterly earnings',
      'a cut to full-year guidance',
      'a regulatory probe',
      'the loss of a key customer',
      'a product recall',
      'supply chain disruptions',
      'shrinking margins',
    ],
  },
  neutral: {
    headlines: [
      '{tic} little changed ahead of {why}',
      '{tic} holds steady as markets await {why}',
      '{tic} trades in a narrow range before {why}',
      '{tic} to discuss strategy at {why}',
      'What to watch for {tic} at {why}',
    ],
    summaries: [
      'Shares moved little as investors waited for {why}.',
      'Trading was muted; analysts kept their ratings unchanged ahead of {why}.',
      'The stock tracked the market while attention turned to {why}.',
    ],
    catalysts: [
      'next week\'s earnings report',
      'the central bank decision',
      'its annual investor day',
      'the annual shareholder meeting',
      'an industry conference',
    ],
  },
};

export function fill(template: string, tic: string, why: string): string {
  return template.replaceAll('{tic}', tic).replaceAll('{why}', why);
}
