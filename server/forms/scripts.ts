// EDIT MONITORING SCRIPTS (manual ch.4 §6.3, original virtual_edit_services.php): sending program,
// send, expect, and "treat expect as a regular expression". The values are the text between the
// quotes; the library adds the quotes. The escapes \n \r \t \\ are stored as typed, nanny's way.
import { z } from 'zod';
import type { Edit } from '../../lvs-cf/index.ts';
import { changed, panelForm, setterOf, type Values } from './form.ts';
import { checkbox, quotedText } from './fields.ts';
import type { VirtualCtx } from './virtual.ts';

const schema = z.object({
  send_program: quotedText.refine((s) => s === '' || !/^\s/.test(s), 'Start with the program path, e.g. /usr/local/bin/check %h.'),
  send: quotedText,
  expect: quotedText,
  use_regex: checkbox,
});

export const SCRIPT_BUTTONS = ['accept', 'no_send_program', 'blank_send', 'blank_expect'] as const;
export type ScriptButton = (typeof SCRIPT_BUTTONS)[number];

export const scriptsForm = panelForm<VirtualCtx>(schema, {
  initial({ model, virtual }) {
    const v = model.virtuals[virtual];
    return { send_program: v.send_program ?? '', send: v.send ?? '', expect: v.expect ?? '', use_regex: v.use_regex ? '1' : '0' };
  },
  edits(v: Values, init: Values, { virtual }: VirtualCtx) {
    const set = setterOf({ scope: 'virtual', virtual });
    const out: Edit[] = [];
    for (const k of ['send_program', 'send', 'expect']) {
      if (changed(v, init, k)) out.push(set(k, v[k] === '' ? null : v[k]));
    }
    if (changed(v, init, 'use_regex')) out.push(set('use_regex', v.use_regex === '1'));
    return out;
  },
});

/** The NO SEND PROGRAM / BLANK SEND / BLANK EXPECT buttons blank their field and save the rest. */
export function applyScriptButton(raw: Values, button: ScriptButton): Values {
  const out = { ...raw };
  if (button === 'no_send_program') out.send_program = '';
  if (button === 'blank_send') out.send = '';
  if (button === 'blank_expect') out.expect = '';
  return out;
}
