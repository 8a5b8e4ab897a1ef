/**
 * The params rl.ppo and rl.a2c share live once, in params.schema.json here; each plugin's
 * schema refers to them property by property (keeping its own order), and this inlines
 * them so the validator sees one self-contained schema.
 */
import shared from './params.schema.json' with { type: 'json' };

const REF = /^\.\.\/lib\/agent\/params\.schema\.json#\/\$defs\/(.+)$/;
const defs = shared.$defs as Record<string, Record<string, unknown>>;

export function withAgentParams(paramsSchema: Record<string, unknown>): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(paramsSchema.properties as Record<string, Record<string, unknown>>)) {
    const { $ref, ...siblings } = property;
    const target = typeof $ref === 'string' ? REF.exec($ref)?.[1] : undefined;
    if (target === undefined) properties[name] = property;
    else if (defs[target]) properties[name] = { ...defs[target], ...siblings };
    else throw new Error(`${$ref}: no such shared agent param`);
  }
  return { ...paramsSchema, properties };
}
