/** Where an MLflow server is and how to sign in, from the environment: read without loading the client. */

export interface MlflowClientOptions {
  /** http(s)://host[:port][/prefix]; user info in the URI is used as Basic auth. */
  uri: string;
  token?: string;
  username?: string;
  password?: string;
  /** Per request. */
  timeoutMs?: number;
  /** Extra attempts for transient failures, with exponential backoff. */
  retries?: number;
  retryBaseMs?: number;
}

/** Client options from MLFLOW_TRACKING_URI / _TOKEN / _USERNAME / _PASSWORD. */
export function clientOptionsFromEnv(env: NodeJS.ProcessEnv): MlflowClientOptions | undefined {
  const uri = env.MLFLOW_TRACKING_URI?.trim();
  if (!uri) return undefined;
  return {
    uri,
    token: env.MLFLOW_TRACKING_TOKEN || undefined,
    username: env.MLFLOW_TRACKING_USERNAME || undefined,
    password: env.MLFLOW_TRACKING_PASSWORD || undefined,
  };
}
