/* Generated from steps/trade.alpaca/params.schema.json by `npm run gen:types`. Do not edit. */
import type {StockTradingEnvConfig} from '../../schemas/stock_trading_env_config.ts';

/**
 * One trading decision of a trained agent sent to an Alpaca account: the broker's cash and shares, the last date of the features, the FinRL environment's trade rules; idempotent per decision date.
 */
export interface TradeAlpacaParams {
  /**
   * A registered model (`models:/name@alias`, `models:/name/version`), resolved at plan time, instead of the `model` input.
   */
  model?: string;
  env?: StockTradingEnvConfig;
  /**
   * State features; overrides env.tech_indicator_list. Must match what the agent was trained with.
   *
   * @minItems 1
   */
  tech_indicator_list?: [string, ...string[]];
  /**
   * `paper` refuses Alpaca's live endpoint; `live` refuses the paper endpoint and needs `confirm_live: true`.
   */
  mode?: 'paper' | 'live';
  /**
   * Must be true for `mode: live`: real money.
   */
  confirm_live?: boolean;
  /**
   * Trading API origin. Default: APCA_API_BASE_URL from the environment, else Alpaca's paper (or, in live mode, live) API.
   */
  endpoint?: string;
  /**
   * Decide and journal (status `dry_run`), send nothing; decides even while the market is closed.
   */
  dry_run?: boolean;
  /**
   * The kill switch: cancel every open order and close every position with market orders; no model or features needed.
   */
  flatten?: boolean;
  /**
   * Risk limit: an order worth more than this (shares x last close) is clipped to whole shares within it; the clip is journalled.
   */
  max_order_notional?: number;
  /**
   * Risk limit: a buy may not lift a position above this fraction of the account's equity (at the last close); clipped and journalled.
   */
  max_position_weight?: number;
  time_in_force?: 'day' | 'gtc' | 'opg' | 'cls' | 'ioc' | 'fok';
  order_type?: 'market';
  /**
   * Tries per read (GET), the first included; 429, 5xx and timeouts are retried with doubling waits.
   */
  attempts?: number;
  /**
   * Wait before the first retry; each further wait doubles.
   */
  retry_delay_ms?: number;
  /**
   * An answer later than this is a timeout (a read is retried; a POST is looked up by client_order_id).
   */
  request_timeout_ms?: number;
  /**
   * Wait between two looks at the sent orders.
   */
  poll_interval_ms?: number;
  /**
   * Stop polling after this long; orders still working are journalled with their status and stay at the broker.
   */
  poll_timeout_s?: number;
}
