// GET /metrics (Prometheus text format) and GET /status.json: the router's facts for machines,
// behind the same allowlist and password as every console page (docs/observability.md says why).
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.ts';
import { FactsReader } from '../observe/facts.ts';
import { statusJson, statusJsonSchema } from '../observe/status-json.ts';
import { EXPOSITION_CONTENT_TYPE, exposition } from '../observe/exposition.ts';
import { metricFamilies } from '../observe/metrics.ts';

/** In development and tests the document is checked against its schema before it goes out. */
const CHECK_OUTPUT = process.env.NODE_ENV !== 'production';

export function registerMetrics(app: FastifyInstance, ctx: AppContext): void {
  const facts = new FactsReader(ctx.agent, ctx.store);
  const read = async () => {
    const doc = statusJson(await facts.read());
    if (CHECK_OUTPUT) statusJsonSchema.parse(doc);
    return doc;
  };
  app.get('/status.json', async (_req, reply) => {
    const doc = await read();
    return reply.header('cache-control', 'no-store').type('application/json; charset=utf-8').send(JSON.stringify(doc));
  });
  app.get('/metrics', async (_req, reply) => {
    const text = exposition(metricFamilies(await read()));
    return reply.header('cache-control', 'no-store').type(EXPOSITION_CONTENT_TYPE).send(text);
  });
}
