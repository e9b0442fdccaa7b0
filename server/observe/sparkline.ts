// A small inline chart of a series, as SVG written on the server (so it shows with JavaScript off):
// a polyline over the samples, scaled to the series' own maximum, gaps where there was no sample.
// Only numbers computed here go into the markup.

export interface SparkOptions {
  width?: number;
  height?: number;
  /** What the chart shows, for screen readers (escaped by the caller's template). */
  label: string;
}

const fmt = (x: number): string => (Math.round(x * 10) / 10).toString();

/** The SVG of `values` (oldest first; null = no sample). */
export function sparkline(values: readonly (number | null)[], opts: SparkOptions): string {
  const width = opts.width ?? 120;
  const height = opts.height ?? 24;
  const max = Math.max(0, ...values.filter((v): v is number => v !== null));
  const step = values.length > 1 ? width / (values.length - 1) : width;
  const y = (v: number) => (max === 0 ? height - 1 : height - 1 - (v / max) * (height - 2));
  const runs: string[] = [];
  let run: string[] = [];
  values.forEach((v, i) => {
    if (v === null) {
      if (run.length) runs.push(run.join(' '));
      run = [];
      return;
    }
    run.push(`${fmt(i * step)},${fmt(y(v))}`);
  });
  if (run.length) runs.push(run.join(' '));
  const lines = runs.map((points) => (points.includes(' ') ? `<polyline points="${points}"/>` : `<circle cx="${points.split(',')[0]}" cy="${points.split(',')[1]}" r="1"/>`)).join('');
  return `<svg class="spark" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeAttr(opts.label)}" data-max="${fmt(max)}">${lines}</svg>`;
}

function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Bytes per second in words: 12 B/s, 3.4 kB/s, 1.2 MB/s. */
export function rateOfBytes(bps: number): string {
  if (bps < 1000) return `${Math.round(bps)} B/s`;
  if (bps < 1e6) return `${(bps / 1e3).toFixed(1)} kB/s`;
  if (bps < 1e9) return `${(bps / 1e6).toFixed(1)} MB/s`;
  return `${(bps / 1e9).toFixed(2)} GB/s`;
}
