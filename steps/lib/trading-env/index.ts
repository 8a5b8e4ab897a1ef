/** FinRL's stock trading environment: see README.md in this folder. */
export { StockTradingEnv, type EnvStepResult, type EnvOptions } from './env.ts';
export { TradeRules, writeObservation, type Book } from './trade-rules.ts';
export { marketFromTable, sliceMarket, type Market, type MarketOptions } from './market.ts';
export { parseEnvConfig, loadEnvConfig, withEnvConfigSchema, envConfigSchema, perTicker, type EnvConfig, type StockTradingEnvConfig } from './config.ts';
