/* Generated from steps/exec/params.schema.json by `npm run gen:types`. Do not edit. */

/**
 * Runs a shell command, like a DVC stage.
 */
export interface ExecParams {
  /**
   * Shell command, or a list of commands run in order (the first failure stops).
   */
  cmd: string | [string, ...string[]];
  /**
   * Files or folders the command reads (project-relative). Their content is part of the cache key; another step's out creates an edge.
   */
  deps?: string[];
  /**
   * Files or folders the command writes (project-relative). Stored in the cache and restored on a cache hit.
   */
  outs?: string[];
  /**
   * Working directory of the command, relative to the project root.
   */
  wdir?: string;
}
