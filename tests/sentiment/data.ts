/** Small labelled headline sets in the synthetic news' style, deterministic. */
import { table, type Table } from '../../engine/table/table.ts';

const TICKERS = ['AAPL', 'MSFT', 'JPM', 'XOM', 'NKE', 'KO', 'BA', 'IBM'];
const TEMPLATES: Record<string, string[]> = {
  positive: ['{t} shares jump after record revenue', 'Analysts upgrade {t} following strong earnings', '{t} rallies as investors cheer a buyback'],
  negative: ['{t} shares slide after a profit warning', 'Analysts downgrade {t} following weak guidance', '{t} tumbles as investors react to a lawsuit'],
  neutral: ['{t} holds annual meeting as scheduled', '{t} trades flat ahead of earnings', '{t} announces date of quarterly report'],
};

/** `perLabel` rows per label, `offset` picks other tickers so train and test differ. */
export function headlines(perLabel: number, offset = 0): Table {
  const headline: string[] = [];
  const label: string[] = [];
  for (let i = 0; i < perLabel; i++) {
    for (const [tone, templates] of Object.entries(TEMPLATES)) {
      headline.push(templates[(i + offset) % templates.length]!.replace('{t}', TICKERS[(i * 3 + offset) % TICKERS.length]!));
      label.push(tone);
    }
  }
  return table({ headline, label });
}
