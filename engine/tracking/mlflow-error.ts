/** MLflow's errors, and how to treat them: one module, so code that only classifies them loads no client. */

export class MlflowError extends Error {
  constructor(
    message: string,
    /** MLflow's error_code, `HTTP_<status>` when the body had none, `UNREACHABLE` when no answer came. */
    readonly errorCode: string,
    readonly httpStatus: number | undefined,
  ) {
    super(message);
    this.name = 'MlflowError';
  }

  /** Worth retrying later: no answer, overload or a server-side failure. */
  get transient(): boolean {
    return this.httpStatus === undefined || this.httpStatus === 429 || this.httpStatus >= 500;
  }

  get unauthorized(): boolean {
    return this.httpStatus === 401 || this.httpStatus === 403;
  }
}
