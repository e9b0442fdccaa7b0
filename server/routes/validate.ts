// Inline validation for htmx: on blur a field posts its form to /secure/validate/FORM/FIELD and gets
// back just that field's error <span> (empty when the value is fine). The full check, including the
// library's, still runs on ACCEPT; this only gives earlier feedback.
import type { FastifyInstance } from 'fastify';
import { sendFragment, type AppContext } from '../context.ts';
import { validateField, type PanelForm } from '../forms/form.ts';
import { formStrings } from '../forms/fields.ts';
import { globalForm } from '../forms/global.ts';
import { redundancyForm } from '../forms/redundancy.ts';
import { virtualForm } from '../forms/virtual.ts';
import { realForm } from '../forms/real.ts';
import { scriptsForm } from '../forms/scripts.ts';
import { HttpError } from '../http-error.ts';

const FORMS: Record<string, PanelForm<never>> = {
  global: globalForm as PanelForm<never>,
  redundancy: redundancyForm as PanelForm<never>,
  virtual: virtualForm as PanelForm<never>,
  real: realForm as PanelForm<never>,
  scripts: scriptsForm as PanelForm<never>,
};

export function registerValidate(app: FastifyInstance, ctx: AppContext): void {
  app.post('/secure/validate/:form/:field', async (req, reply) => {
    const { form, field } = req.params as { form: string; field: string };
    const spec = Object.hasOwn(FORMS, form) ? FORMS[form] : undefined;
    if (!spec || !spec.fields.includes(field)) throw new HttpError(404, 'No such field.');
    const value = formStrings(req.body, [field])[field];
    return sendFragment(ctx, req, reply, 'partials/field-error', { name: field, error: validateField(spec, field, value) });
  });
}
