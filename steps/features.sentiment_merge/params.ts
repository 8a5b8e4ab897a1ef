/* Generated from steps/features.sentiment_merge/params.schema.json by `npm run gen:types`. Do not edit. */

/**
 * Daily per-ticker aggregates of headline sentiment joined onto a feature table.
 */
export interface SentimentMergeParams {
  /**
   * mean_probs: mean positive/negative/neutral probabilities; count_sentiment: headlines per label; majority_vote_label: the most frequent label as +1/0/-1. Each also adds news_count.
   */
  aggregate?: 'mean_probs' | 'count_sentiment' | 'majority_vote_label';
}
