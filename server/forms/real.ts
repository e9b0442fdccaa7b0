// EDIT REAL SERVER (manual ch.4 §6.2, original virtual_edit_real_edit.php): name, address, port, weight.
import { z } from 'zod';
import type { Edit, LvsConfig } from '../../lvs-cf/index.ts';
import { changed, panelForm, setterOf, type Values } from './form.ts';
import { host, optionalPort, serverName, weight } from './fields.ts';

export interface RealCtx {
  model: LvsConfig;
  virtual: number;
  server: number;
}

const schema = z.object({ name: serverName, address: host, port: optionalPort, weight: weight });

/** Whether the file has its own `port` line for this server (else it follows the virtual server's port). */
export function hasOwnPort(model: LvsConfig, virtual: number, server: number): boolean {
  const v = model.virtuals[virtual];
  return v.servers[server].port !== v.port;
}

export const realForm = panelForm<RealCtx>(schema, {
  initial({ model, virtual, server }) {
    const s = model.virtuals[virtual].servers[server];
    return {
      name: s.name,
      address: s.address === '0.0.0.0' ? '' : s.address,
      // Blank = "the virtual server's application port", as the original's field said.
      port: hasOwnPort(model, virtual, server) ? String(s.port) : '',
      weight: String(s.weight),
    };
  },
  edits(v: Values, init: Values, { virtual, server }: RealCtx) {
    const set = setterOf({ scope: 'server', virtual, server });
    const out: Edit[] = [];
    if (changed(v, init, 'name')) out.push({ op: 'renameServer', virtual, server, name: v.name });
    if (changed(v, init, 'address')) out.push(set('address', v.address));
    if (changed(v, init, 'port')) out.push(set('port', v.port === '' ? null : Number(v.port)));
    if (changed(v, init, 'weight')) out.push(set('weight', Number(v.weight)));
    return out;
  },
});
