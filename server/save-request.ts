// What a panel hands the save flow (save-flow.ts's runSave): the request, the edits to make, where
// to go after, how to show a refused form again. In a module of its own so that the flow's answers
// (save-answers.ts) and its PLAN page (plan-flow.ts) name it without importing the flow that uses them.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Edit, Target } from '../lvs-cf/index.ts';
import type { SaveResult, Snapshot } from './config-store.ts';
import type { AppContext } from './context.ts';
import type { Values } from './forms/form.ts';
import type { FieldErrors } from './forms/fields.ts';

export interface SaveFlow {
  ctx: AppContext;
  req: FastifyRequest;
  reply: FastifyReply;
  action: string;
  build: (snap: Snapshot) => Edit[];
  successUrl: string;
  notes?: string[];
  /** Re-renders the form with errors (status 422). */
  onInvalid?: (errors: FieldErrors, messages: string[], snap: Snapshot) => FastifyReply | Promise<FastifyReply>;
  target?: Target;
  keyToField?: Record<string, string>;
  submitted?: Values;
  reloadUrl: string;
  tab: string;
  /** After a successful save, before the agent reloads (e.g. remember a drain). */
  onSaved?: (result: Extract<SaveResult, { kind: 'saved' }>) => Promise<void>;
}
