import type { StepContext } from '../../../engine/sdk.ts';
import type { EncoderParams } from '../params.ts';

/** Writes the encoder's files into `dir` (an empty folder). */
export type EncoderSource = (ctx: StepContext, params: EncoderParams, dir: string) => Promise<void>;
