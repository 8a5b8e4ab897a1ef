/**
 * Test sentences for tokenizer and model parity: financial headlines in the style of
 * Financial PhraseBank, plus the cases tokenizers get wrong (casing, punctuation,
 * numbers and currency, accents, CJK, emoji, unknown and very long words, control
 * characters, whitespace runs, overlong input for truncation).
 */
const subjects = ['Apple', 'NOKIA', 'the Finnish bank', 'Tesla Inc.', 'Société Générale', 'ACME Corp', 'Ålandsbanken', 'Müller AG', 'BYD (比亚迪)', "McDonald's"];
const verbs = ['raised', 'cut', 'kept', 'beat', 'missed', 'reported', "didn't change", 'slashed', 'doubled', 'is expected to lift'];
const objects = [
  'its full-year guidance',
  'Q3 revenue by 12.5% to $81.4bn',
  'operating profit to EUR 3.2 mn from EUR 2.9 mn',
  'the dividend (payable 2024-05-01)',
  'net sales, up 7 % y/y',
  'expectations; shares fell 4.3%!!',
  'its outlook — again…',
  'headcount by 1,200 jobs',
  'price targets to €145/share',
  'EBITDA margin to 23.1 per cent',
];

const edgeCases = [
  '',
  ' ',
  'UPPER CASE HEADLINE ABOUT PROFITS',
  'naïve café résumé coöperate',
  '東京証券取引所 rose 2% 今日',
  'Stocks 📈 rally as Fed pauses 🎉',
  'supercalifragilisticexpialidocious quarterly zzzqqxxj results',
  'tab\tseparated\nnew line\r\ncarriage',
  'multiple     spaces   between words',
  'control\u0000chars\u0007here',
  "it's isn't they're we'll",
  'U.S.-based e-commerce firm\'s "record" sales',
  '#earnings @CEO https://example.com/news?id=42&x=y',
  '1.000.000,00 1,000,000.00 3e-5 0x1F −12 ±3',
  'a'.repeat(150),
  Array.from({ length: 120 }, (_, i) => `word${i}`).join(' '),
];

/** A few hundred sentences, deterministic. */
export function paritySentences(): string[] {
  const out = [...edgeCases];
  for (let i = 0; i < subjects.length; i++) {
    for (let j = 0; j < verbs.length; j++) {
      for (let k = 0; k < 3; k++) out.push(`${subjects[i]} ${verbs[j]} ${objects[(i * 3 + j * 7 + k) % objects.length]}`);
    }
  }
  return out;
}
