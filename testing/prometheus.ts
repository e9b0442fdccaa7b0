// Reads a Prometheus text exposition with the reference parser (Debian's python3-prometheus-client,
// prometheus_client.parser.text_string_to_metric_families): what a Prometheus server would make of
// it. A text the parser refuses rejects with its message.
import { spawn } from 'node:child_process';

export interface ParsedFamily {
  name: string;
  type: string;
  help: string;
  samples: { name: string; labels: Record<string, string>; value: number }[];
}

const SCRIPT = `
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for f in text_string_to_metric_families(sys.stdin.read()):
    out.append({"name": f.name, "type": f.type, "help": f.documentation,
                "samples": [{"name": s.name, "labels": s.labels, "value": s.value} for s in f.samples]})
print(json.dumps(out))
`;

export function parseExposition(text: string): Promise<ParsedFamily[]> {
  return new Promise((resolve, reject) => {
    // Debian's own python3: the one python3-prometheus-client installs into (another python3 may come first in PATH).
    const child = spawn('/usr/bin/python3', ['-c', SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`the Prometheus parser refused the exposition: ${err.trim().split('\n').at(-1)}`));
      resolve(JSON.parse(out) as ParsedFamily[]);
    });
    child.stdin.end(text);
  });
}
