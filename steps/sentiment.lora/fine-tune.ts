/** The body of `sentiment.lora`: read and tokenize, train on the chosen backend, evaluate per epoch, export. */
import { join } from 'node:path';
import { formatDuration, table, toCsv, writeFileAtomic, type Artifact, type InputArtifact, type StepContext } from '../../engine/sdk.ts';
import { initBackend } from '../lib/agent/backend.ts';
import { Draws } from '../lib/random.ts';
import { loadClassifier } from '../lib/sentiment/classifier.ts';
import { labelIndices, texts } from '../lib/sentiment/examples.ts';
import { initialAdapterValues, type LoraSettings } from '../lib/sentiment/lora.ts';
import { argmaxRows, classificationMetrics, type ClassificationMetrics } from '../lib/sentiment/metrics.ts';
import { writePeftModel } from '../lib/sentiment/peft-io.ts';
import { predictProbabilities } from '../lib/sentiment/predict.ts';
import { totalSteps, train } from '../lib/sentiment/train.ts';
import type { SentimentLoraParams } from './params.ts';

const EVAL_BATCH = 64;

interface Labelled {
  sequences: number[][];
  labels: Int32Array;
}

/** Mean cross-entropy of given probabilities: the validation loss the Trainer reports. */
function meanNegLogLikelihood(probabilities: Float32Array, labels: Int32Array, k: number): number {
  let sum = 0;
  for (let i = 0; i < labels.length; i++) sum -= Math.log(probabilities[i * k + labels[i]!]!);
  return sum / labels.length;
}

export async function fineTune(ctx: StepContext, params: SentimentLoraParams, inputs: Record<string, InputArtifact>): Promise<Record<string, Artifact>> {
  const p = params as Required<SentimentLoraParams>;
  const backend = await initBackend(p.device);
  const { tf } = backend;
  ctx.track.tag('tfjs_backend', backend.name);
  ctx.log.info(`tfjs backend: ${backend.name} (${backend.provider})`);

  const settings: LoraSettings = { r: p.r, alpha: p.lora_alpha, dropout: p.lora_dropout, targetModules: p.target_modules };
  const k = p.labels.length;
  const classifier = await loadClassifier(tf, inputs.encoder!.path, settings, k, (weights) =>
    initialAdapterValues(weights, settings, k, new Draws(p.seed, 'sentiment/init'), weights.config.initializer_range ?? 0.02),
  );
  try {
    const { model, tokenizer } = classifier;
    const labelled = async (port: string): Promise<Labelled> => {
      const t = await inputs[port]!.table();
      return {
        sequences: texts(t, p.text_column, port).map((text) => tokenizer.encode(text, p.max_length)),
        labels: labelIndices(t, p.label_column, p.labels, port),
      };
    };
    const trainSet = await labelled('train');
    const validation = inputs.validation ? await labelled('validation') : undefined;
    const steps = totalSteps(trainSet.labels.length, { batchSize: p.batch_size, epochs: p.epochs });
    const trainable = model.adapter.variables.reduce((a, v) => a + v.variable.size, 0);
    ctx.log.info(`${trainSet.labels.length} training examples${validation ? `, ${validation.labels.length} validation` : ''}; ${steps} steps; ${trainable} trainable parameters`);
    const { device: _device, ...hyperparameters } = p;
    ctx.track.params(hyperparameters);

    const curve = { step: [] as number[], epoch: [] as number[], loss: [] as number[], learning_rate: [] as number[] };
    const evaluations = new Map<number, { loss: number; metrics: ClassificationMetrics }>();
    const evaluate = async () => {
      const probabilities = await predictProbabilities(tf, model, tokenizer.padId, validation!.sequences, EVAL_BATCH, ctx.signal);
      return { loss: meanNegLogLikelihood(probabilities, validation!.labels, k), metrics: classificationMetrics(p.labels, validation!.labels, argmaxRows(probabilities, k)) };
    };
    const started = performance.now();
    let lastProgress = 0;
    await train(
      tf,
      model,
      tokenizer.padId,
      trainSet,
      {
        batchSize: p.batch_size,
        epochs: p.epochs,
        learningRate: p.learning_rate,
        warmupRatio: p.warmup_ratio,
        weightDecay: p.weight_decay,
        maxGradNorm: p.max_grad_norm,
        seed: p.seed,
        dropout: true,
        signal: ctx.signal,
      },
      {
        onStep(log) {
          curve.step.push(log.step);
          curve.epoch.push(log.epoch);
          curve.loss.push(log.loss);
          curve.learning_rate.push(log.learningRate);
          ctx.track.metric('train/loss', log.loss, log.step);
          ctx.track.metric('train/learning_rate', log.learningRate, log.step);
          const now = performance.now();
          if (now - lastProgress < 1000 && log.step < steps) return;
          lastProgress = now;
          const examplesPerSecond = (log.step * p.batch_size) / ((now - started) / 1000);
          ctx.progress(log.step / steps, `${examplesPerSecond.toFixed(1)} examples/s, ETA ${formatDuration(((steps - log.step) * p.batch_size * 1000) / examplesPerSecond)}`);
        },
        async onEpoch(epoch) {
          const stepsPerEpoch = Math.ceil(trainSet.labels.length / p.batch_size);
          const epochLosses = curve.loss.slice(-stepsPerEpoch);
          ctx.track.metric('train/epoch_loss', epochLosses.reduce((a, b) => a + b, 0) / epochLosses.length, curve.step.at(-1)!);
          if (!validation) return;
          const result = await evaluate();
          const step = curve.step.at(-1)!;
          evaluations.set(step, result);
          ctx.track.metric('val/loss', result.loss, step);
          for (const name of ['accuracy', 'weighted_f1', 'macro_f1'] as const) ctx.track.metric(`val/${name}`, result.metrics[name], step);
          ctx.log.info(`epoch ${epoch}: validation loss ${result.loss.toFixed(4)}, weighted F1 ${result.metrics.weighted_f1.toFixed(4)}, accuracy ${result.metrics.accuracy.toFixed(4)}`);
        },
      },
    );
    const seconds = (performance.now() - started) / 1000;
    ctx.log.info(`trained in ${formatDuration(seconds * 1000)}: ${((trainSet.labels.length * p.epochs) / seconds).toFixed(1)} examples/s`);

    const modelDir = join(ctx.scratchDir, 'model');
    await writePeftModel(modelDir, model.adapter, { labels: p.labels, max_length: p.max_length, encoder_hash: inputs.encoder!.hash, text_column: p.text_column });
    const column = (pick: (e: { loss: number; metrics: ClassificationMetrics }) => number) =>
      Float64Array.from(curve.step, (s) => {
        const e = evaluations.get(s);
        return e === undefined ? Number.NaN : pick(e);
      });
    const curveTable = table({
      step: Int32Array.from(curve.step),
      epoch: Float64Array.from(curve.epoch),
      loss: Float64Array.from(curve.loss),
      learning_rate: Float64Array.from(curve.learning_rate),
      val_loss: column((e) => e.loss),
      val_accuracy: column((e) => e.metrics.accuracy),
      val_weighted_f1: column((e) => e.metrics.weighted_f1),
      val_macro_f1: column((e) => e.metrics.macro_f1),
    });
    // In MLflow next to the per-step metrics: the adapter as peft loads it, and the curve as CSV.
    ctx.track.artifact(modelDir, 'model');
    const curvePath = join(ctx.scratchDir, 'curve.csv');
    await writeFileAtomic(curvePath, await toCsv(curveTable));
    ctx.track.artifact(curvePath, 'curve.csv');
    const last = [...evaluations.values()].at(-1);
    const metrics = last ? { ...last.metrics, loss: last.loss, train_loss: curve.loss.at(-1) } : { train_loss: curve.loss.at(-1), count: 0 };
    return {
      model: { kind: 'dir', path: modelDir },
      curve: { kind: 'table', table: curveTable },
      metrics: { kind: 'json', value: metrics },
    };
  } finally {
    classifier.dispose();
  }
}
