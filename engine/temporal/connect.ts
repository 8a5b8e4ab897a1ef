/** Connection options for the cluster: TLS and the Temporal Cloud API key (a secret, never logged). */
import type { Secrets } from '../secrets.ts';
import type { TemporalConfig } from './config.ts';

export function connectionOptions(config: TemporalConfig, secrets: Secrets): { address: string; tls?: boolean; apiKey?: string } {
  const apiKey = config.apiKeySecret ? secrets.get(config.apiKeySecret) : undefined;
  return { address: config.address, ...(config.tls || apiKey ? { tls: true } : {}), ...(apiKey ? { apiKey } : {}) };
}
