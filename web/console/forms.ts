// A form that sends one write: its refusal's `detail` goes in the form's alert box and each field
// error (`errors[].path`) next to its field, in words. A request that got no definite answer (no
// answer, or a 503) keeps its Idempotency-Key, so pressing the button again cannot apply it twice.
import { newIdempotencyKey, type Answer } from './api.js';
import { byId, el } from './dom.js';
import type { Problem } from './types.js';

export type FieldErrors = { path: string; message: string }[];

/** Shows `message` under the field `${form}-${name}`; false when the form has no such field. */
export function showFieldError(form: string, name: string, message: string): boolean {
  const input = document.getElementById(`${form}-${name}`) as HTMLInputElement | null;
  const error = document.getElementById(`${form}-${name}-error`);
  if (!input || !error) return false;
  input.setAttribute('aria-invalid', 'true');
  error.textContent = `${input.labels?.[0]?.firstChild?.textContent?.trim() ?? name}: ${message}`;
  error.hidden = false;
  return true;
}

export function clearErrors(form: string) {
  const root = byId(form);
  for (const input of root.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
  for (const error of root.querySelectorAll<HTMLElement>('.error')) {
    error.textContent = '';
    error.hidden = true;
  }
  const box = byId(`${form}-problem`);
  box.replaceChildren();
  box.hidden = true;
}

/** The refusal in words: detail in the box, field errors by their fields (the rest in the box). */
export function showProblem(form: string, problem: Problem) {
  const box = byId(`${form}-problem`);
  // The path's userId is the user field's; every other path names a field of this form, if any.
  const loose = (problem.errors ?? []).filter(({ path, message }) => !(path === 'userId' ? showFieldError('who', 'user', message) : showFieldError(form, path, message)));
  box.replaceChildren(
    el('p', {}, problem.title ? el('strong', {}, `${problem.title}: `) : '', problem.detail),
    loose.length ? el('ul', {}, ...loose.map(({ path, message }) => el('li', {}, `${path || 'body'}: ${message}`))) : '',
  );
  box.hidden = false;
}

const NUMBER = /^[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
/** The number typed, or a field error; whether it is a valid amount (integer, sign) is the service's to say. */
export const pointsValue = (text: string): number | undefined => (NUMBER.test(text.trim()) ? Number(text.trim()) : undefined);

export interface WriteForm<T> {
  id: string;
  /** The request, or field errors found before sending. */
  prepare(values: Record<string, string>): { route: string; body?: unknown } | { errors: FieldErrors };
  done(body: T): void;
  send(route: string, body: unknown, idempotencyKey: string): Promise<Answer<T>>;
}

export function wireForm<T>(form: WriteForm<T>) {
  const element = byId<HTMLFormElement>(form.id);
  let unsure: { request: string; key: string } | undefined;
  element.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form.id);
    const values = Object.fromEntries([...new FormData(element)].map(([name, value]) => [name, String(value)]));
    const request = form.prepare(values);
    if ('errors' in request) {
      for (const { path, message } of request.errors) showFieldError(form.id, path, message);
      element.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
      return;
    }
    const text = JSON.stringify(request);
    const key = unsure?.request === text ? unsure.key : newIdempotencyKey();
    const button = element.querySelector('button[type="submit"]') as HTMLButtonElement;
    button.disabled = true;
    element.setAttribute('aria-busy', 'true');
    const answer = await form.send(request.route, request.body, key);
    button.disabled = false;
    element.removeAttribute('aria-busy');
    unsure = !answer.ok && (answer.problem.status === 0 || answer.problem.status === 503) ? { request: text, key } : undefined;
    if (answer.ok) form.done(answer.body);
    else {
      showProblem(form.id, answer.problem);
      element.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
    }
  });
}
