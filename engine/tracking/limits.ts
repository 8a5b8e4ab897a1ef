/**
 * MLflow's size limits (mlflow/utils/validation.py). We stay inside the strictest
 * values across MLflow 2.x and 3.x so a history synced to an older server is accepted.
 */
export const MLFLOW_LIMITS = {
  keyLength: 250,
  paramValueLength: 6000,
  /** 8000 in MLflow 3.x, 5000 in early 2.x. */
  tagValueLength: 5000,
  metricsPerBatch: 1000,
  /** MLflow allows 100 params and 100 tags; the REST docs state 100 for both together. */
  paramsAndTagsPerBatch: 100,
  entitiesPerBatch: 1000,
} as const;

/** Artifacts up to this size are uploaded; larger ones are referenced by content hash in a tag. */
export const DEFAULT_MAX_UPLOAD_BYTES = 64 * 1024 * 1024;
