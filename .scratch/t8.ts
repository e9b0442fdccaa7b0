import { generate } from '../bench/lvs-cf/run.ts';
import { IncrementalDoc } from '../lvs-cf/incremental.ts';
const d = IncrementalDoc.parse(generate(100));
console.log(d.uncut);
for (const e of [[{ op: 'set', target: { scope: 'global' }, key: 'tcp_timeout', value: 900 }], [{ op: 'set', target: { scope: 'global' }, key: 'deadtime', value: 19 }]] as any) {
  const r = d.edit([...e, { op: 'set', target: { scope: 'global' }, key: 'serial_no', value: 43 }]);
  console.log(r.kind, (r as any).reason);
}
