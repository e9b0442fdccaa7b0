// What the check history and the traffic samples cost in the agent's memory at 1,000 virtual
// servers × 20 real servers: 20,000 checks with 20 results each (a failure's message on a quarter
// of them), and 21,000 traffic rows (services and real servers) with ten minutes of samples.
// Measured in a fresh process, before and after, after a forced collection.
// Run: node --expose-gc --import tsx bench/observe/memory.ts
import { CheckHistory, HISTORY_DEPTH } from '../../agent/checkers/history.ts';
import { SeriesStore } from '../../agent/traffic/series-store.ts';

const CHECKS = 20_000;
const ROWS = 21_000;

function usage() {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed, buffers: m.arrayBuffers };
}

const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;

export function measure() {
  const start = usage();
  const h = new CheckHistory();
  const ids = Array.from({ length: CHECKS }, () => h.open());
  for (let k = 0; k < HISTORY_DEPTH; k++) {
    for (let i = 0; i < CHECKS; i++) {
      const failing = i % 4 === 0;
      h.add(ids[i]!, { at: Date.now(), ok: !failing, latencyMs: 0.3, received: failing ? '' : 'HTTP/1.0 200', error: failing ? `connect ECONNREFUSED 10.0.${i >> 8}.${i & 255}:80` : null });
    }
  }
  const afterHistory = usage();
  const s = new SeriesStore(60);
  for (let p = 0; p < 60; p++) {
    s.beginSample(p * 10_000);
    const seen = new Set<string>();
    for (let r = 0; r < ROWS; r++) {
      const key = `tcp|127.80.${r >> 8}.${r & 255}|18080>127.81.0.${r % 20}:18081`;
      seen.add(key);
      s.put(key, { active: r % 7, inactive: 1, connsPerSec: 2.5, bytesPerSec: 1200 });
    }
    s.endSample(seen);
  }
  const afterSeries = usage();
  return {
    history: { rss: afterHistory.rss - start.rss, heap: afterHistory.heap - start.heap, buffers: afterHistory.buffers - start.buffers },
    series: { rss: afterSeries.rss - afterHistory.rss, heap: afterSeries.heap - afterHistory.heap, buffers: afterSeries.buffers - afterHistory.buffers },
    keep: [h, s],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const m = measure();
  console.log(`check history, ${CHECKS} checks × ${HISTORY_DEPTH} results: RSS +${mib(m.history.rss)} (heap +${mib(m.history.heap)}, typed arrays +${mib(m.history.buffers)})`);
  console.log(`traffic samples, ${ROWS} rows × 60 samples: RSS +${mib(m.series.rss)} (heap +${mib(m.series.heap)}, typed arrays +${mib(m.series.buffers)})`);
}
