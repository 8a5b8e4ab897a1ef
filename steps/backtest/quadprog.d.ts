/** Types for `quadprog` (a JavaScript port of R's quadprog; arrays are 1-indexed as in Fortran). */
declare module 'quadprog' {
  interface QPResult {
    solution: number[];
    value: number[];
    /** Empty on success. */
    message: string;
  }
  const quadprog: {
    /** min -dvec'b + 1/2 b'Dmat b subject to Amat'b >= bvec, the first `meq` as equalities. */
    solveQP(Dmat: number[][], dvec: number[], Amat: number[][], bvec: number[], meq?: number): QPResult;
  };
  export default quadprog;
}
