/* Generated from steps/registry.register/params.schema.json by `npm run gen:types`. Do not edit. */

/**
 * Registers the `artifact` input as a new version of a registered model.
 */
export interface RegistryRegisterParams {
  /**
   * Registered model name (no '/', '@' or ':').
   */
  name: string;
  /**
   * Where the files go inside the step's run artifacts; the version's source points there.
   */
  artifact_path?: string;
  /**
   * Alias set on the new version (null: none).
   */
  alias?: string | null;
  /**
   * Description stored on the new version.
   */
  description?: string;
}
