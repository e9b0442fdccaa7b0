// GET /metrics (Prometheus text format) and GET /status.json: the router's facts for machines,
// behind the same allowlist and password as every console page (docs/observability.md says why).
// Both are large on a large router (a sample per real server and counter): each body is made once
// per read of the facts (facts.ts shares a read between the requests of a second) and sent gzipped
// to a client that accepts it, as Prometheus does.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { AppContext } from '../context.ts';
import { FactsReader, type Facts } from '../observe/facts.ts';
import { statusJson, statusJsonSchema } from '../observe/status-json.ts';
import { EXPOSITION_CONTENT_TYPE, exposition } from '../observe/exposition.ts';
import { metricFamilies } from '../observe/metrics.ts';

const gzipAsync = promisify(gzip);

/** In development and tests the document is checked against its schema before it goes out. */
const CHECK_OUTPUT = process.env.NODE_ENV !== 'production';

/** A body made once, and its gzip made once when first asked for. */
class Body {
  private zipped: Promise<Buffer> | null = null;
  constructor(readonly text: string) {}
  gzipped(): Promise<Buffer> {
    // Level 1: a body of megabytes shrinks about tenfold in a fraction of level 6's time.
    this.zipped ??= gzipAsync(this.text, { level: 1 });
    return this.zipped;
  }
}

/** Whether Accept-Encoding names gzip (or *) without q=0. */
function acceptsGzip(req: FastifyRequest): boolean {
  const accept = req.headers['accept-encoding'];
  if (typeof accept !== 'string') return false;
  return accept.split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((x) => x !== undefined);
    return (coding === 'gzip' || coding === '*') && (q === undefined || Number(q) > 0);
  });
}

async function send(req: FastifyRequest, reply: FastifyReply, type: string, body: Body): Promise<FastifyReply> {
  reply.header('cache-control', 'no-store').header('vary', 'accept-encoding').type(type);
  if (acceptsGzip(req)) return reply.header('content-encoding', 'gzip').send(await body.gzipped());
  return reply.send(body.text);
}

export function registerMetrics(app: FastifyInstance, ctx: AppContext): void {
  const facts = new FactsReader(ctx.agent, ctx.store);
  // The bodies of the last facts read (a new read makes new bodies).
  let made: { facts: Facts; json?: Body; metrics?: Body } | null = null;
  const bodies = async () => {
    const f = await facts.read();
    if (made?.facts !== f) made = { facts: f };
    return made;
  };
  const doc = (f: Facts) => {
    const d = statusJson(f);
    if (CHECK_OUTPUT) statusJsonSchema.parse(d);
    return d;
  };
  app.get('/status.json', async (req, reply) => {
    const m = await bodies();
    m.json ??= new Body(JSON.stringify(doc(m.facts)));
    return send(req, reply, 'application/json; charset=utf-8', m.json);
  });
  app.get('/metrics', async (req, reply) => {
    const m = await bodies();
    m.metrics ??= new Body(exposition(metricFamilies(doc(m.facts))));
    return send(req, reply, EXPOSITION_CONTENT_TYPE, m.metrics);
  });
}
