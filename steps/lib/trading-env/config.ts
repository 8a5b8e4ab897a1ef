/**
 * The environment's settings: FinRL's env_kwargs, validated against
 * schemas/stock_trading_env_config.schema.json with its defaults applied.
 */
import { relative } from 'node:path';
import schemaJson from '../../../schemas/stock_trading_env_config.schema.json' with { type: 'json' };
import type { StockTradingEnvConfig } from '../../../schemas/stock_trading_env_config.ts';
import { InvalidInput, Positions, validateFillingDefaults, yamlLoader } from '../../../engine/sdk.ts';

export type { StockTradingEnvConfig };

/** A config after validation: every default filled in. */
export type EnvConfig = Required<StockTradingEnvConfig>;

/**
 * The schema as a plain subschema, for embedding in a plugin's params schema
 * (`env: <this>`), so the engine validates and defaults it with the other params.
 */
export const envConfigSchema: Record<string, unknown> = (() => {
  const { $schema: _schema, ...rest } = schemaJson as Record<string, unknown>;
  return rest;
})();

/**
 * Replaces `properties.env` of a plugin params schema (written in the file as a `$ref`
 * to the env config schema, which is what `npm run gen:types` follows) with the schema itself.
 */
export function withEnvConfigSchema(paramsSchema: Record<string, unknown>): Record<string, unknown> {
  const properties = paramsSchema.properties as Record<string, Record<string, unknown>>;
  const { $ref: _ref, ...siblings } = properties.env ?? {};
  return { ...paramsSchema, properties: { ...properties, env: { ...envConfigSchema, ...siblings } } };
}

/** Validates a config object (e.g. from JSON) and returns a copy with defaults applied. */
export function parseEnvConfig(value: unknown, origin = 'env'): EnvConfig {
  const copy = structuredClone(value ?? {});
  const problems = validateFillingDefaults(envConfigSchema, copy, [], new Positions(), { noun: 'field', context: ` of ${origin}` });
  if (problems.length > 0) throw new InvalidInput(problems);
  return copy as EnvConfig;
}

/** Reads a YAML config file; errors name file:line:col. */
export function loadEnvConfig(file: string, root = process.cwd()): EnvConfig {
  const loader = yamlLoader(root, (abs) => relative(process.cwd(), abs) || abs);
  const { value, positions } = loader.load(file);
  if (loader.errors.length > 0) throw new InvalidInput(loader.errors);
  const config = value ?? {};
  const problems = validateFillingDefaults(envConfigSchema, config, [], positions, { noun: 'field', context: '' });
  if (problems.length > 0) throw new InvalidInput(problems);
  return config as EnvConfig;
}

/** A per-asset setting (one number for all, or one per ticker) as one value per ticker. */
export function perTicker(value: number | readonly number[], tickers: readonly string[], field: string): Float64Array {
  if (typeof value === 'number') return new Float64Array(tickers.length).fill(value);
  if (value.length !== tickers.length) {
    throw new Error(`env \`${field}\` lists ${value.length} values but the data has ${tickers.length} tickers (${tickers.join(', ')})`);
  }
  return Float64Array.from(value);
}
