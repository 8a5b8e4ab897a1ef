// Bench plugin: the smallest real step (sums its inputs and a param into JSON).
export default {
  name: 'tiny',
  version: '1',
  description: 'value = n + sum of inputs',
  paramsSchema: { type: 'object', additionalProperties: false, required: ['n'], properties: { n: { type: 'number' } } },
  inputs: { a: { optional: true }, b: { optional: true } },
  outputs: { value: {} },
  async run(_ctx: unknown, params: { n: number }, inputs: Record<string, { json(): Promise<number> }>) {
    let value = params.n;
    for (const input of Object.values(inputs)) value += await input.json();
    return { value: { kind: 'json', value } };
  },
};
